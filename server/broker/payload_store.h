// Sealed envelopes beside the diarium, addressed by the SHA-256 digest of
// their serialized bytes: <dir>/<first 2 hex>/<64 hex>. The broker cannot
// open them; lawful gallring may delete them while the log stays
// verifiable (the log holds only digests).
//
// Put writes atomically and durably (temp file, fsync, rename, fsync of
// the directory) and is idempotent; it must complete before the diarium
// entry that references the digest is appended. Thread-safe.
#ifndef SLUSS_SERVER_BROKER_PAYLOAD_STORE_H_
#define SLUSS_SERVER_BROKER_PAYLOAD_STORE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sluss::broker {

class PayloadStore {
 public:
  explicit PayloadStore(std::string dir) : dir_(std::move(dir)) {}
  // Creates the directory (0700).
  absl::Status Init() const;
  // Stores `bytes` under `digest` (32 raw bytes, which the caller has
  // checked is SHA-256(bytes)). OK if it is already there.
  absl::Status Put(absl::string_view digest, absl::string_view bytes) const;
  // kNotFound if absent (never stored, or removed by gallring); kDataLoss
  // if the stored bytes no longer hash to `digest`.
  absl::StatusOr<std::string> Get(absl::string_view digest) const;
  std::string PathFor(absl::string_view digest) const;

 private:
  const std::string dir_;
};

}  // namespace sluss::broker

#endif  // SLUSS_SERVER_BROKER_PAYLOAD_STORE_H_
