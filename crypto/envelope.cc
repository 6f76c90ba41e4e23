#include "crypto/envelope.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "absl/strings/str_cat.h"
#include "crypto/sodium_init.h"

namespace sluss::crypto {
namespace {

constexpr size_t kMaxRecipients = 64;
constexpr absl::string_view kDomain("sluss.envelope.v1");

void AppendU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// AD* = domain || 0x00 || u64le(len(ad)) || ad || u64le(n) || pk_1 .. pk_n
// with the recipient keys in the order they appear in the envelope.
std::string BoundAssociatedData(absl::string_view ad, const std::vector<SealedKey>& recipients) {
  std::string out;
  out.reserve(kDomain.size() + 1 + 16 + ad.size() + 32 * recipients.size());
  out.append(kDomain.data(), kDomain.size());
  out.push_back('\0');
  AppendU64(out, ad.size());
  out.append(ad.data(), ad.size());
  AppendU64(out, recipients.size());
  for (const SealedKey& r : recipients) { auto b = Bytes(r.recipient); out.append(b.data(), b.size()); }
  return out;
}

const unsigned char* U(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

absl::StatusOr<Envelope> SealEnvelope(absl::string_view plaintext,
                                      absl::string_view associated_data,
                                      absl::Span<const X25519PublicKey> recipients) {
  internal::EnsureSodium();
  if (recipients.empty() || recipients.size() > kMaxRecipients) {
    return absl::InvalidArgumentError(absl::StrCat(
        "envelope: needs 1 to ", kMaxRecipients, " recipients, got ", recipients.size()));
  }
  std::set<X25519PublicKey> seen(recipients.begin(), recipients.end());
  if (seen.size() != recipients.size()) {
    return absl::InvalidArgumentError("envelope: a recipient is listed twice");
  }
  SecretBytes key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
  crypto_aead_xchacha20poly1305_ietf_keygen(key.data());

  Envelope env;
  env.nonce.resize(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  randombytes_buf(env.nonce.data(), env.nonce.size());
  for (const X25519PublicKey& pk : recipients) {
    SealedKey sk;
    sk.recipient = pk;
    sk.sealed_key.resize(crypto_box_SEALBYTES + key.size());
    if (crypto_box_seal(reinterpret_cast<unsigned char*>(sk.sealed_key.data()), key.data(),
                        key.size(), pk.data()) != 0) {
      return absl::InvalidArgumentError("envelope: cannot seal to a recipient key");
    }
    env.recipients.push_back(std::move(sk));
  }
  std::string ad = BoundAssociatedData(associated_data, env.recipients);
  env.ciphertext.resize(plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(env.ciphertext.data()), &clen, U(plaintext),
      plaintext.size(), U(ad), ad.size(), nullptr, U(env.nonce), key.data());
  env.ciphertext.resize(clen);
  return env;
}

absl::StatusOr<SecretBytes> OpenEnvelope(const Envelope& envelope,
                                         absl::string_view associated_data,
                                         const X25519KeyPair& me) {
  internal::EnsureSodium();
  if (envelope.nonce.size() != crypto_aead_xchacha20poly1305_ietf_NPUBBYTES) {
    return absl::InvalidArgumentError(absl::StrCat("envelope: nonce must be 24 bytes, got ",
                                                   envelope.nonce.size()));
  }
  if (envelope.ciphertext.size() < crypto_aead_xchacha20poly1305_ietf_ABYTES) {
    return absl::InvalidArgumentError("envelope: ciphertext shorter than its tag");
  }
  auto mine = std::find_if(envelope.recipients.begin(), envelope.recipients.end(),
                           [&](const SealedKey& r) { return r.recipient == me.public_key(); });
  if (mine == envelope.recipients.end()) {
    return absl::PermissionDeniedError("envelope: not addressed to this key");
  }
  SecretBytes key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
  if (mine->sealed_key.size() != crypto_box_SEALBYTES + key.size() ||
      crypto_box_seal_open(key.data(), U(mine->sealed_key), mine->sealed_key.size(),
                           me.public_key().data(), U(me.secret_key())) != 0) {
    return absl::UnauthenticatedError("envelope: sealed content key does not open");
  }
  std::string ad = BoundAssociatedData(associated_data, envelope.recipients);
  SecretBytes plain(envelope.ciphertext.size() - crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long plen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          plain.data(), &plen, nullptr, U(envelope.ciphertext), envelope.ciphertext.size(),
          U(ad), ad.size(), U(envelope.nonce), key.data()) != 0) {
    return absl::UnauthenticatedError(
        "envelope: ciphertext, nonce, recipients or associated data fail authentication");
  }
  return plain;
}

}  // namespace sluss::crypto
