#include "server/broker/payload_store.h"

#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "crypto/hash.h"

namespace sluss::broker {

absl::Status PayloadStore::Init() const { return Annotate(MakeDirectories(dir_), "payload store"); }

std::string PayloadStore::PathFor(absl::string_view digest) const {
  const std::string hex = crypto::ToHex(digest);
  return absl::StrCat(dir_, "/", hex.substr(0, 2), "/", hex);
}

absl::Status PayloadStore::Put(absl::string_view digest, absl::string_view bytes) const {
  if (digest.size() != 32) return absl::InvalidArgumentError("payload store: digest must be 32 bytes");
  const std::string path = PathFor(digest);
  SLUSS_RETURN_IF_ERROR(MakeDirectories(DirName(path)));
  absl::Status s = WriteFileAtomically(path, bytes, 0600, /*overwrite=*/false);
  if (s.code() == absl::StatusCode::kAlreadyExists) return absl::OkStatus();
  return s;
}

absl::StatusOr<std::string> PayloadStore::Get(absl::string_view digest) const {
  absl::StatusOr<std::string> bytes = ReadFile(PathFor(digest));
  if (!bytes.ok()) {
    if (bytes.status().code() == absl::StatusCode::kNotFound) {
      return absl::NotFoundError("payload store: the envelope is not stored (gallrad?)");
    }
    return bytes.status();
  }
  if (crypto::AsStringView(crypto::Sha256(*bytes)) != digest) {
    return absl::DataLossError(absl::StrCat("payload store: ", PathFor(digest), " does not match its digest"));
  }
  return bytes;
}

}  // namespace sluss::broker
