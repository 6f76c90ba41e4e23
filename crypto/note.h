// C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys: the
// format of the diarium's checkpoints, interoperable with Go's
// golang.org/x/mod/sumdb/note.
//
//   <text, ending in '\n'>
//   <blank line>
//   — <key name> <base64(key hash (4 bytes, big-endian) || signature)>
//   ...
//
// key hash = first 4 bytes of SHA-256(name || "\n" || 0x01 || public key);
// verifier key = name "+" hex8(key hash) "+" base64(0x01 || public key).
//
// NoteSigner and NoteVerifier are immutable and thread-safe.
#ifndef SLUSS_CRYPTO_NOTE_H_
#define SLUSS_CRYPTO_NOTE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "crypto/keys.h"

namespace sluss::crypto {

// Key names must be non-empty, valid UTF-8, with no whitespace and no '+'.
absl::Status ValidateNoteKeyName(absl::string_view name);

uint32_t NoteKeyHash(absl::string_view name, const Ed25519PublicKey& key);

class NoteVerifier {
 public:
  NoteVerifier(std::string name, const Ed25519PublicKey& key);
  // Parses "name+hash+base64key". kInvalidArgument names the defect
  // (bad name, hash mismatch, unknown algorithm byte, wrong key size).
  static absl::StatusOr<NoteVerifier> FromVerifierKey(absl::string_view vkey);

  const std::string& name() const { return name_; }
  uint32_t key_hash() const { return key_hash_; }
  const Ed25519PublicKey& public_key() const { return key_; }
  std::string VerifierKey() const;

 private:
  std::string name_;
  Ed25519PublicKey key_;
  uint32_t key_hash_;
};

class NoteSigner {
 public:
  // kInvalidArgument if `name` is not a valid key name.
  static absl::StatusOr<NoteSigner> Create(std::string name, Ed25519SigningKey key);

  NoteSigner(NoteSigner&&) = default;
  NoteSigner& operator=(NoteSigner&&) = default;

  const std::string& name() const { return verifier_.name(); }
  uint32_t key_hash() const { return verifier_.key_hash(); }
  const NoteVerifier& verifier() const { return verifier_; }
  std::string VerifierKey() const { return verifier_.VerifierKey(); }

  // The signature line for `text` (without the trailing newline):
  // "— name base64(hash||sig)".
  std::string SignatureLine(absl::string_view text) const;

 private:
  NoteSigner(Ed25519SigningKey key, NoteVerifier verifier)
      : key_(std::move(key)), verifier_(std::move(verifier)) {}
  Ed25519SigningKey key_;
  NoteVerifier verifier_;
};

// Signs `text` (must be valid UTF-8, end in '\n', no other control
// characters) with every signer, in order. kInvalidArgument on bad text or
// no signers.
absl::StatusOr<std::string> SignNote(absl::string_view text,
                                     absl::Span<const NoteSigner* const> signers);

struct NoteSignature {
  std::string name;
  uint32_t key_hash = 0;
  std::string signature;  // 64 bytes for Ed25519
};

struct OpenedNote {
  std::string text;                        // the signed text, with its final '\n'
  std::vector<NoteSignature> verified;     // signatures by known keys that verified
  std::vector<NoteSignature> unverified;   // signatures by keys not in `known`
};

// Parses and verifies a signed note against `known` verifier keys.
// Errors:
//   kInvalidArgument   "note: malformed ..." (structure, base64, text rules)
//   kUnauthenticated   "note: invalid signature by <name>" (a known key's
//                      signature fails: the note was altered)
//   kNotFound          "note: no signature by a known key" (nothing verifies)
absl::StatusOr<OpenedNote> OpenNote(absl::string_view note,
                                    absl::Span<const NoteVerifier> known);

}  // namespace sluss::crypto

#endif  // SLUSS_CRYPTO_NOTE_H_
