// OpenSSL 3 marks the SHA256_* low-level API deprecated in favour of EVP,
// but EVP costs a method lookup and a heap context per digest, which
// dominates when hashing 65-byte Merkle nodes. The low-level API is still
// shipped and is what EVP itself calls.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "crypto/hash.h"

#include <openssl/sha.h>
#include <sodium.h>

#include <cstring>

#include "absl/strings/escaping.h"

namespace sluss::crypto {

static_assert(sizeof(SHA256_CTX) <= 128, "Sha256Hasher state_ too small");

Sha256Digest Sha256(absl::string_view data) {
  // Not OpenSSL's one-shot SHA256(): in OpenSSL 3 it goes through an EVP
  // fetch and costs ~4x more than this on 65-byte inputs (bench/crypto_bench).
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data.data(), data.size());
  Sha256Digest out;
  SHA256_Final(out.data(), &ctx);
  return out;
}

Sha256Digest Sha256WithLibsodium(absl::string_view data) {
  Sha256Digest out;
  crypto_hash_sha256(out.data(), reinterpret_cast<const unsigned char*>(data.data()),
                     data.size());
  return out;
}

Sha256Hasher::Sha256Hasher() { SHA256_Init(reinterpret_cast<SHA256_CTX*>(state_)); }

Sha256Hasher::~Sha256Hasher() { std::memset(state_, 0, sizeof state_); }

void Sha256Hasher::Update(absl::string_view data) { Update(data.data(), data.size()); }

void Sha256Hasher::Update(const void* data, size_t size) {
  SHA256_Update(reinterpret_cast<SHA256_CTX*>(state_), data, size);
}

Sha256Digest Sha256Hasher::Finish() {
  Sha256Digest out;
  SHA256_Final(out.data(), reinterpret_cast<SHA256_CTX*>(state_));
  SHA256_Init(reinterpret_cast<SHA256_CTX*>(state_));
  return out;
}

std::string ToHex(absl::string_view bytes) { return absl::BytesToHexString(bytes); }

}  // namespace sluss::crypto
