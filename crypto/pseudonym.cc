#include "crypto/pseudonym.h"

#include <sodium.h>

#include "absl/strings/str_cat.h"
#include "crypto/sodium_init.h"

namespace sluss::crypto {

PseudonymKey PseudonymKey::Generate() {
  internal::EnsureSodium();
  SecretBytes key(kKeySize);
  randombytes_buf(key.data(), key.size());
  return PseudonymKey(std::move(key));
}

absl::StatusOr<PseudonymKey> PseudonymKey::FromBytes(absl::string_view key) {
  if (key.size() != kKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("pseudonym key must be 32 bytes, got ", key.size()));
  }
  return PseudonymKey(SecretBytes(key));
}

std::string PseudonymKey::Pseudonym(absl::string_view domain, absl::string_view id) const {
  internal::EnsureSodium();
  static constexpr char kLabel[] = "sluss.pseudonym.v1";
  crypto_generichash_state st;
  crypto_generichash_init(&st, key_.data(), key_.size(), 32);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(kLabel), sizeof kLabel);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(domain.data()),
                            domain.size());
  const unsigned char zero = 0;
  crypto_generichash_update(&st, &zero, 1);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(id.data()), id.size());
  std::string out(32, '\0');
  crypto_generichash_final(&st, reinterpret_cast<unsigned char*>(out.data()), out.size());
  sodium_memzero(&st, sizeof st);
  return out;
}

}  // namespace sluss::crypto
