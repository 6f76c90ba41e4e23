// Key files: how keys are kept on disk.
//
// A key file is two lines of text:
//   <kind tag>            e.g. "sluss-ed25519-secret-v1"
//   <base64 of the key>   32 bytes (seed, secret scalar, public key)
// Secret key files are written with mode 0600 and refused on read when group
// or others may access them. Public key files may be world-readable.
// Free functions; thread-compatible (they touch only the named file).
#ifndef SLUSS_CRYPTO_KEYFILE_H_
#define SLUSS_CRYPTO_KEYFILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/keys.h"
#include "crypto/pseudonym.h"

namespace sluss::crypto {

enum class KeyKind {
  kEd25519Secret,  // seed
  kEd25519Public,
  kX25519Secret,   // secret scalar
  kX25519Public,
  kPseudonymKey,   // BLAKE2b key
};

absl::string_view KeyKindTag(KeyKind kind);
bool IsSecretKind(KeyKind kind);

// Writes `key` (32 raw bytes) as a key file of `kind`. Secret kinds get mode
// 0600, public ones 0644. kAlreadyExists unless `overwrite`.
absl::Status WriteKeyFile(absl::string_view path, KeyKind kind, absl::string_view key,
                          bool overwrite = false);

// Reads the raw 32 bytes of a key file of `kind`. Errors name the file:
//   kNotFound / kPermissionDenied   the file cannot be read
//   kFailedPrecondition             a secret key file readable by group/others
//   kInvalidArgument                wrong kind tag, bad base64, wrong size
absl::StatusOr<SecretBytes> ReadKeyFile(absl::string_view path, KeyKind kind);

// Convenience loaders on top of ReadKeyFile.
absl::StatusOr<Ed25519SigningKey> ReadEd25519SigningKey(absl::string_view path);
absl::StatusOr<Ed25519PublicKey> ReadEd25519PublicKey(absl::string_view path);
absl::StatusOr<X25519KeyPair> ReadX25519KeyPair(absl::string_view path);
absl::StatusOr<X25519PublicKey> ReadX25519PublicKey(absl::string_view path);
absl::StatusOr<PseudonymKey> ReadPseudonymKey(absl::string_view path);

}  // namespace sluss::crypto

#endif  // SLUSS_CRYPTO_KEYFILE_H_
