// Internal: makes sure libsodium is initialised before first use.
#ifndef SLUSS_CRYPTO_SODIUM_INIT_H_
#define SLUSS_CRYPTO_SODIUM_INIT_H_

namespace sluss::crypto::internal {

// Idempotent and thread-safe. Aborts if libsodium cannot initialise (no
// usable randomness source): nothing safe can be done without it.
void EnsureSodium();

}  // namespace sluss::crypto::internal

#endif  // SLUSS_CRYPTO_SODIUM_INIT_H_
