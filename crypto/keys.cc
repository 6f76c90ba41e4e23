#include "crypto/keys.h"

#include <sodium.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "crypto/sodium_init.h"

namespace sluss::crypto {
namespace {

template <typename Array>
absl::StatusOr<Array> FromBytes(absl::string_view raw, absl::string_view what) {
  Array out;
  if (raw.size() != out.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be ", out.size(), " bytes, got ", raw.size()));
  }
  std::memcpy(out.data(), raw.data(), out.size());
  return out;
}

const unsigned char* U(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

absl::StatusOr<Ed25519PublicKey> Ed25519PublicKeyFromBytes(absl::string_view raw) {
  return FromBytes<Ed25519PublicKey>(raw, "ed25519 public key");
}

absl::StatusOr<X25519PublicKey> X25519PublicKeyFromBytes(absl::string_view raw) {
  return FromBytes<X25519PublicKey>(raw, "x25519 public key");
}

Ed25519SigningKey Ed25519SigningKey::Generate() {
  internal::EnsureSodium();
  SecretBytes seed(kSeedSize);
  randombytes_buf(seed.data(), seed.size());
  return *FromSeed(seed.view());
}

absl::StatusOr<Ed25519SigningKey> Ed25519SigningKey::FromSeed(absl::string_view seed) {
  internal::EnsureSodium();
  if (seed.size() != kSeedSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("ed25519 seed must be 32 bytes, got ", seed.size()));
  }
  SecretBytes sk(crypto_sign_SECRETKEYBYTES);
  Ed25519PublicKey pk;
  crypto_sign_seed_keypair(pk.data(), sk.data(), U(seed));
  return Ed25519SigningKey(std::move(sk), pk);
}

Ed25519Signature Ed25519SigningKey::Sign(absl::string_view message) const {
  Ed25519Signature sig;
  crypto_sign_detached(sig.data(), nullptr, U(message), message.size(), secret_.data());
  return sig;
}

absl::Status Ed25519Verify(const Ed25519PublicKey& key, absl::string_view message,
                           absl::string_view signature) {
  internal::EnsureSodium();
  if (signature.size() != crypto_sign_BYTES) {
    return absl::InvalidArgumentError(
        absl::StrCat("ed25519: signature must be 64 bytes, got ", signature.size()));
  }
  if (crypto_sign_verify_detached(U(signature), U(message), message.size(), key.data()) != 0) {
    return absl::UnauthenticatedError("ed25519: signature does not verify");
  }
  return absl::OkStatus();
}

X25519KeyPair X25519KeyPair::Generate() {
  internal::EnsureSodium();
  SecretBytes sk(crypto_box_SECRETKEYBYTES);
  X25519PublicKey pk;
  crypto_box_keypair(pk.data(), sk.data());
  return X25519KeyPair(std::move(sk), pk);
}

absl::StatusOr<X25519KeyPair> X25519KeyPair::FromSeed(absl::string_view seed) {
  internal::EnsureSodium();
  if (seed.size() != crypto_box_SEEDBYTES) {
    return absl::InvalidArgumentError(
        absl::StrCat("x25519 seed must be 32 bytes, got ", seed.size()));
  }
  SecretBytes sk(crypto_box_SECRETKEYBYTES);
  X25519PublicKey pk;
  crypto_box_seed_keypair(pk.data(), sk.data(), U(seed));
  return X25519KeyPair(std::move(sk), pk);
}

absl::StatusOr<X25519KeyPair> X25519KeyPair::FromSecretKey(absl::string_view secret) {
  internal::EnsureSodium();
  if (secret.size() != crypto_box_SECRETKEYBYTES) {
    return absl::InvalidArgumentError(
        absl::StrCat("x25519 secret key must be 32 bytes, got ", secret.size()));
  }
  SecretBytes sk(secret);
  X25519PublicKey pk;
  crypto_scalarmult_base(pk.data(), sk.data());
  return X25519KeyPair(std::move(sk), pk);
}

std::string RandomBytes(size_t n) {
  internal::EnsureSodium();
  std::string out(n, '\0');
  randombytes_buf(out.data(), n);
  return out;
}

}  // namespace sluss::crypto
