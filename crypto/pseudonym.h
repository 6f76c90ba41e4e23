// Keyed pseudonyms: a stable, non-reversible reference to a person or
// organisation, so the diarium can index "all cases about this subject"
// without a personnummer ever reaching the disk.
//
//   pseudonym = BLAKE2b-256(key = K, "sluss.pseudonym.v1" 0x00 domain 0x00 id)
//
// Without K the pseudonym of a guessed personnummer cannot be computed, which
// is what keeps the small personnummer space from being brute-forced.
// Thread-safe (immutable after construction).
#ifndef SLUSS_CRYPTO_PSEUDONYM_H_
#define SLUSS_CRYPTO_PSEUDONYM_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/secret.h"

namespace sluss::crypto {

class PseudonymKey {
 public:
  static constexpr size_t kKeySize = 32;
  static PseudonymKey Generate();
  // kInvalidArgument unless `key` is 32 bytes.
  static absl::StatusOr<PseudonymKey> FromBytes(absl::string_view key);

  PseudonymKey(PseudonymKey&&) = default;
  PseudonymKey& operator=(PseudonymKey&&) = default;

  // 32 raw bytes. `domain` separates kinds of identifier ("personnummer",
  // "orgnr"); the same id in two domains gives unrelated pseudonyms.
  std::string Pseudonym(absl::string_view domain, absl::string_view id) const;

  absl::string_view key_bytes() const { return key_.view(); }

 private:
  explicit PseudonymKey(SecretBytes key) : key_(std::move(key)) {}
  SecretBytes key_;
};

}  // namespace sluss::crypto

#endif  // SLUSS_CRYPTO_PSEUDONYM_H_
