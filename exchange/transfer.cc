#include "exchange/transfer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "crypto/hash.h"
#include "exchange/action.h"

namespace sluss::exchange {

std::vector<absl::string_view> SplitIntoChunks(absl::string_view bytes) {
  std::vector<absl::string_view> out;
  while (!bytes.empty()) {
    const size_t n = std::min(bytes.size(), kEnvelopeChunkBytes);
    out.push_back(bytes.substr(0, n));
    bytes.remove_prefix(n);
  }
  return out;
}

absl::Status EnvelopeAssembler::Add(absl::string_view chunk) {
  if (exhausted_) return absl::ResourceExhaustedError("envelope: already over the limit");
  if (chunk.size() > kEnvelopeChunkBytes) {
    return absl::InvalidArgumentError(absl::StrCat("envelope: a chunk of ", chunk.size(),
                                                   " bytes; chunks are at most ", kEnvelopeChunkBytes));
  }
  if (chunk.size() > max_bytes_ - std::min(max_bytes_, bytes_.size())) {
    const size_t total = bytes_.size() + chunk.size();
    exhausted_ = true;
    std::string().swap(bytes_);
    return absl::ResourceExhaustedError(absl::StrCat("envelope of at least ", total,
                                                     " bytes exceeds the limit of ", max_bytes_));
  }
  bytes_.append(chunk.data(), chunk.size());
  return absl::OkStatus();
}

absl::StatusOr<v1::SealedEnvelope> EnvelopeAssembler::Finish(absl::string_view digest) {
  if (exhausted_) return absl::ResourceExhaustedError("envelope: over the limit");
  std::string bytes;
  bytes.swap(bytes_);
  if (!digest.empty() && crypto::AsStringView(crypto::Sha256(bytes)) != digest) {
    return absl::InvalidArgumentError(absl::StrCat("envelope: the ", bytes.size(),
                                                   " bytes received do not hash to the announced digest"
                                                   " (stream cut short or altered)"));
  }
  v1::SealedEnvelope env;
  if (!env.ParseFromString(bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("envelope: the ", bytes.size(), " bytes received do not parse as a SealedEnvelope"));
  }
  if (SerializeEnvelope(env) != bytes) {
    return absl::InvalidArgumentError(
        "envelope: the bytes received are not the deterministic serialization of the envelope");
  }
  return env;
}

}  // namespace sluss::exchange
