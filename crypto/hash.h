// SHA-256 and keyed BLAKE2b.
//
// Sha256 is the hash of the diarium's Merkle tree (RFC 6962), of content
// digests and of rulebooks. It is backed by OpenSSL, whose SHA-256 uses the
// CPU's SHA extensions; libsodium's portable SHA-256 measured 2-5x slower on
// these machines (docs/PERFORMANCE.md). Sha256WithLibsodium is kept so the
// benchmark can keep checking that choice.
//
// All functions are thread-safe and cannot fail.
#ifndef SLUSS_CRYPTO_HASH_H_
#define SLUSS_CRYPTO_HASH_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace sluss::crypto {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(absl::string_view data);
Sha256Digest Sha256WithLibsodium(absl::string_view data);

// Incremental SHA-256 (OpenSSL). Not thread-safe; one hasher per thread.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(absl::string_view data);
  void Update(const void* data, size_t size);
  // Returns the digest; the hasher is reset and can be reused.
  Sha256Digest Finish();

 private:
  alignas(8) unsigned char state_[128];
};

// Digest as a string_view over its bytes (no copy; lives as long as `d`).
inline absl::string_view AsStringView(const Sha256Digest& d) {
  return absl::string_view(reinterpret_cast<const char*>(d.data()), d.size());
}

// Lower-case hex of arbitrary bytes.
std::string ToHex(absl::string_view bytes);

}  // namespace sluss::crypto

#endif  // SLUSS_CRYPTO_HASH_H_
