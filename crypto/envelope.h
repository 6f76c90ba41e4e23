// Multi-recipient sealed envelopes: the end-to-end encryption of disclosed
// content between agencies. The broker stores envelopes but holds none of
// the keys that open them.
//
// Construction (docs/CRYPTO.md has the byte layout):
//   - a random 32-byte content key K and a random 24-byte nonce;
//   - ciphertext = XChaCha20-Poly1305-IETF(K, nonce, plaintext, AD*), where
//     AD* binds the caller's associated data (e.g. the case id) and the exact
//     list of recipients, so the envelope cannot be moved to another case or
//     re-addressed by anyone, a recipient included;
//   - for each recipient, K sealed to its X25519 key with crypto_box_seal.
//
// Thread-safe: free functions over immutable inputs.
#ifndef SLUSS_CRYPTO_ENVELOPE_H_
#define SLUSS_CRYPTO_ENVELOPE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "crypto/keys.h"
#include "crypto/secret.h"

namespace sluss::crypto {

struct SealedKey {
  X25519PublicKey recipient;  // whom this copy of the content key is for
  std::string sealed_key;     // crypto_box_seal(K): 80 bytes
};

struct Envelope {
  std::string nonce;       // 24 bytes
  std::string ciphertext;  // plaintext size + 16-byte tag
  std::vector<SealedKey> recipients;
};

// Seals `plaintext` to every key in `recipients` (1..64, no duplicates).
// kInvalidArgument on an empty or oversized recipient list or a duplicate.
absl::StatusOr<Envelope> SealEnvelope(absl::string_view plaintext,
                                      absl::string_view associated_data,
                                      absl::Span<const X25519PublicKey> recipients);

// Opens `envelope` with `me`'s key. Errors, each with its own message:
//   kPermissionDenied  "envelope: not addressed to this key" (no copy for me)
//   kUnauthenticated   "envelope: sealed content key does not open" (sealed
//                      key tampered with or not made for this key)
//   kUnauthenticated   "envelope: ciphertext, nonce, recipients or associated
//                      data fail authentication"
//   kInvalidArgument   malformed sizes.
absl::StatusOr<SecretBytes> OpenEnvelope(const Envelope& envelope,
                                         absl::string_view associated_data,
                                         const X25519KeyPair& me);

}  // namespace sluss::crypto

#endif  // SLUSS_CRYPTO_ENVELOPE_H_
