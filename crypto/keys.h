// Key pairs: Ed25519 for signatures (officers, the diarium's checkpoints)
// and X25519 for sealing envelopes to an agency.
//
// Key objects are immutable after creation and safe to share between threads
// (const methods only). Secret halves live in SecretBytes and are wiped on
// destruction. Errors are absl::Status; nothing throws.
#ifndef SLUSS_CRYPTO_KEYS_H_
#define SLUSS_CRYPTO_KEYS_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/secret.h"

namespace sluss::crypto {

inline constexpr size_t kSeedSize = 32;
using Ed25519PublicKey = std::array<uint8_t, 32>;
using Ed25519Signature = std::array<uint8_t, 64>;
using X25519PublicKey = std::array<uint8_t, 32>;

inline absl::string_view Bytes(const std::array<uint8_t, 32>& k) {
  return absl::string_view(reinterpret_cast<const char*>(k.data()), k.size());
}
inline absl::string_view Bytes(const Ed25519Signature& s) {
  return absl::string_view(reinterpret_cast<const char*>(s.data()), s.size());
}

// Parses a 32-byte public key from raw bytes. kInvalidArgument on wrong size.
absl::StatusOr<Ed25519PublicKey> Ed25519PublicKeyFromBytes(absl::string_view raw);
absl::StatusOr<X25519PublicKey> X25519PublicKeyFromBytes(absl::string_view raw);

class Ed25519SigningKey {
 public:
  // A fresh key from the OS's CSPRNG.
  static Ed25519SigningKey Generate();
  // Deterministic key from a 32-byte seed. kInvalidArgument on wrong size.
  static absl::StatusOr<Ed25519SigningKey> FromSeed(absl::string_view seed);

  Ed25519SigningKey(Ed25519SigningKey&&) = default;
  Ed25519SigningKey& operator=(Ed25519SigningKey&&) = default;

  const Ed25519PublicKey& public_key() const { return public_key_; }
  // The 32-byte seed, for writing a key file. Handle with care.
  absl::string_view seed() const { return absl::string_view(secret_.view().data(), kSeedSize); }

  Ed25519Signature Sign(absl::string_view message) const;

 private:
  Ed25519SigningKey(SecretBytes secret, const Ed25519PublicKey& pk)
      : secret_(std::move(secret)), public_key_(pk) {}
  SecretBytes secret_;  // libsodium's 64-byte form: seed || public key
  Ed25519PublicKey public_key_;
};

// OK if `signature` is a valid Ed25519 signature of `message` by `key`.
// kInvalidArgument if the signature is not 64 bytes; kUnauthenticated
// ("ed25519: signature does not verify") otherwise.
absl::Status Ed25519Verify(const Ed25519PublicKey& key, absl::string_view message,
                           absl::string_view signature);

class X25519KeyPair {
 public:
  static X25519KeyPair Generate();
  // Deterministic key pair from a 32-byte seed (libsodium crypto_box_seed_keypair).
  static absl::StatusOr<X25519KeyPair> FromSeed(absl::string_view seed);
  // From the 32-byte secret scalar as stored in a key file.
  static absl::StatusOr<X25519KeyPair> FromSecretKey(absl::string_view secret);

  X25519KeyPair(X25519KeyPair&&) = default;
  X25519KeyPair& operator=(X25519KeyPair&&) = default;

  const X25519PublicKey& public_key() const { return public_key_; }
  absl::string_view secret_key() const { return secret_.view(); }

 private:
  X25519KeyPair(SecretBytes secret, const X25519PublicKey& pk)
      : secret_(std::move(secret)), public_key_(pk) {}
  SecretBytes secret_;  // 32 bytes
  X25519PublicKey public_key_;
};

// Fills `n` bytes from the OS's CSPRNG.
std::string RandomBytes(size_t n);

}  // namespace sluss::crypto

#endif  // SLUSS_CRYPTO_KEYS_H_
