#include "crypto/keyfile.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/file.h"
#include "base/status_macros.h"

namespace sluss::crypto {

absl::string_view KeyKindTag(KeyKind kind) {
  switch (kind) {
    case KeyKind::kEd25519Secret:
      return "sluss-ed25519-secret-v1";
    case KeyKind::kEd25519Public:
      return "sluss-ed25519-public-v1";
    case KeyKind::kX25519Secret:
      return "sluss-x25519-secret-v1";
    case KeyKind::kX25519Public:
      return "sluss-x25519-public-v1";
    case KeyKind::kPseudonymKey:
      return "sluss-pseudonym-key-v1";
  }
  return "unknown";
}

bool IsSecretKind(KeyKind kind) {
  return kind == KeyKind::kEd25519Secret || kind == KeyKind::kX25519Secret ||
         kind == KeyKind::kPseudonymKey;
}

absl::Status WriteKeyFile(absl::string_view path, KeyKind kind, absl::string_view key,
                          bool overwrite) {
  if (key.size() != 32) {
    return absl::InvalidArgumentError(absl::StrCat("key must be 32 bytes, got ", key.size()));
  }
  std::string body = absl::StrCat(KeyKindTag(kind), "\n", absl::Base64Escape(key), "\n");
  absl::Status s = WriteFileAtomically(path, body, IsSecretKind(kind) ? 0600 : 0644, overwrite);
  // Wipe the encoded secret from the temporary string.
  std::fill(body.begin(), body.end(), '\0');
  return s;
}

absl::StatusOr<SecretBytes> ReadKeyFile(absl::string_view path, KeyKind kind) {
  if (IsSecretKind(kind)) SLUSS_RETURN_IF_ERROR(CheckSecretFilePermissions(path));
  SLUSS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  SecretBytes holder(text);
  std::fill(text.begin(), text.end(), '\0');
  std::vector<absl::string_view> lines =
      absl::StrSplit(holder.view(), '\n', absl::SkipWhitespace());
  if (lines.size() != 2 || absl::StripAsciiWhitespace(lines[0]) != KeyKindTag(kind)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key file ", path, " is not a ", KeyKindTag(kind), " file (first line must be \"",
        KeyKindTag(kind), "\")"));
  }
  std::string raw;
  if (!absl::Base64Unescape(absl::StripAsciiWhitespace(lines[1]), &raw) || raw.size() != 32) {
    std::fill(raw.begin(), raw.end(), '\0');
    return absl::InvalidArgumentError(
        absl::StrCat("key file ", path, ": second line must be 32 bytes in base64"));
  }
  SecretBytes out(raw);
  std::fill(raw.begin(), raw.end(), '\0');
  return out;
}

absl::StatusOr<Ed25519SigningKey> ReadEd25519SigningKey(absl::string_view path) {
  SLUSS_ASSIGN_OR_RETURN(SecretBytes seed, ReadKeyFile(path, KeyKind::kEd25519Secret));
  return Ed25519SigningKey::FromSeed(seed.view());
}

absl::StatusOr<Ed25519PublicKey> ReadEd25519PublicKey(absl::string_view path) {
  SLUSS_ASSIGN_OR_RETURN(SecretBytes raw, ReadKeyFile(path, KeyKind::kEd25519Public));
  return Ed25519PublicKeyFromBytes(raw.view());
}

absl::StatusOr<X25519KeyPair> ReadX25519KeyPair(absl::string_view path) {
  SLUSS_ASSIGN_OR_RETURN(SecretBytes raw, ReadKeyFile(path, KeyKind::kX25519Secret));
  return X25519KeyPair::FromSecretKey(raw.view());
}

absl::StatusOr<X25519PublicKey> ReadX25519PublicKey(absl::string_view path) {
  SLUSS_ASSIGN_OR_RETURN(SecretBytes raw, ReadKeyFile(path, KeyKind::kX25519Public));
  return X25519PublicKeyFromBytes(raw.view());
}

absl::StatusOr<PseudonymKey> ReadPseudonymKey(absl::string_view path) {
  SLUSS_ASSIGN_OR_RETURN(SecretBytes raw, ReadKeyFile(path, KeyKind::kPseudonymKey));
  return PseudonymKey::FromBytes(raw.view());
}

}  // namespace sluss::crypto
