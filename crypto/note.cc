#include "crypto/note.h"

#include <cstring>
#include <set>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "crypto/hash.h"

namespace sluss::crypto {
namespace {

constexpr absl::string_view kSigPrefix = "\xE2\x80\x94 ";  // "— " (U+2014, space)
constexpr uint8_t kAlgEd25519 = 0x01;
constexpr size_t kMaxSignatures = 100;

// Returns true if `s` is valid UTF-8 (no overlongs, no surrogates).
bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= n; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

absl::Status ValidateText(absl::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return absl::InvalidArgumentError("note: malformed text: must end with a newline");
  }
  if (!IsValidUtf8(text)) return absl::InvalidArgumentError("note: malformed text: not UTF-8");
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n') || u == 0x7F) {
      return absl::InvalidArgumentError(
          "note: malformed text: control character other than newline");
    }
  }
  return absl::OkStatus();
}

std::string Uint32BigEndian(uint32_t v) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
  return out;
}

}  // namespace

absl::Status ValidateNoteKeyName(absl::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("note: key name is empty");
  if (!IsValidUtf8(name)) return absl::InvalidArgumentError("note: key name is not UTF-8");
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || c == '+') {
      return absl::InvalidArgumentError(
          absl::StrCat("note: key name \"", name, "\" contains whitespace, control or '+'"));
    }
  }
  return absl::OkStatus();
}

uint32_t NoteKeyHash(absl::string_view name, const Ed25519PublicKey& key) {
  Sha256Hasher h;
  h.Update(name);
  h.Update("\n", 1);
  h.Update(&kAlgEd25519, 1);
  h.Update(key.data(), key.size());
  Sha256Digest d = h.Finish();
  return (uint32_t{d[0]} << 24) | (uint32_t{d[1]} << 16) | (uint32_t{d[2]} << 8) | d[3];
}

NoteVerifier::NoteVerifier(std::string name, const Ed25519PublicKey& key)
    : name_(std::move(name)), key_(key), key_hash_(NoteKeyHash(name_, key_)) {}

absl::StatusOr<NoteVerifier> NoteVerifier::FromVerifierKey(absl::string_view vkey) {
  // As Go's note.NewVerifier: name and hash end at the first two '+'; the
  // base64 key may itself contain '+'.
  std::vector<absl::string_view> parts = absl::StrSplit(vkey, absl::MaxSplits('+', 2));
  if (parts.size() != 3) {
    return absl::InvalidArgumentError(
        "note: malformed verifier key: want name+hash+key");
  }
  if (absl::Status s = ValidateNoteKeyName(parts[0]); !s.ok()) return s;
  if (parts[1].size() != 8) {
    return absl::InvalidArgumentError("note: malformed verifier key: hash must be 8 hex digits");
  }
  std::string hash_bytes = absl::HexStringToBytes(parts[1]);
  if (absl::BytesToHexString(hash_bytes) != absl::AsciiStrToLower(parts[1])) {
    return absl::InvalidArgumentError("note: malformed verifier key: hash is not hex");
  }
  std::string raw;
  if (!absl::Base64Unescape(parts[2], &raw)) {
    return absl::InvalidArgumentError("note: malformed verifier key: key is not base64");
  }
  if (raw.empty() || static_cast<uint8_t>(raw[0]) != kAlgEd25519) {
    return absl::InvalidArgumentError(
        "note: verifier key algorithm is not Ed25519 (0x01)");
  }
  auto pk = Ed25519PublicKeyFromBytes(absl::string_view(raw).substr(1));
  if (!pk.ok()) return absl::InvalidArgumentError("note: verifier key: " + std::string(pk.status().message()));
  NoteVerifier v{std::string(parts[0]), *pk};
  if (Uint32BigEndian(v.key_hash()) != hash_bytes) {
    return absl::InvalidArgumentError(
        "note: verifier key hash does not match its name and key");
  }
  return v;
}

std::string NoteVerifier::VerifierKey() const {
  std::string raw(1, static_cast<char>(kAlgEd25519));
  raw.append(reinterpret_cast<const char*>(key_.data()), key_.size());
  return absl::StrFormat("%s+%08x+%s", name_, key_hash_, absl::Base64Escape(raw));
}

absl::StatusOr<NoteSigner> NoteSigner::Create(std::string name, Ed25519SigningKey key) {
  if (absl::Status s = ValidateNoteKeyName(name); !s.ok()) return s;
  NoteVerifier v(std::move(name), key.public_key());
  return NoteSigner(std::move(key), std::move(v));
}

std::string NoteSigner::SignatureLine(absl::string_view text) const {
  Ed25519Signature sig = key_.Sign(text);
  std::string blob = Uint32BigEndian(key_hash());
  blob.append(reinterpret_cast<const char*>(sig.data()), sig.size());
  return absl::StrCat(kSigPrefix, name(), " ", absl::Base64Escape(blob));
}

absl::StatusOr<std::string> SignNote(absl::string_view text,
                                     absl::Span<const NoteSigner* const> signers) {
  if (absl::Status s = ValidateText(text); !s.ok()) return s;
  if (signers.empty()) return absl::InvalidArgumentError("note: no signers");
  std::string out(text);
  out.push_back('\n');
  for (const NoteSigner* s : signers) {
    absl::StrAppend(&out, s->SignatureLine(text), "\n");
  }
  return out;
}

absl::StatusOr<OpenedNote> OpenNote(absl::string_view note,
                                    absl::Span<const NoteVerifier> known) {
  size_t split = note.rfind("\n\n");
  if (split == absl::string_view::npos) {
    return absl::InvalidArgumentError("note: malformed: no blank line before signatures");
  }
  OpenedNote out;
  absl::string_view text = note.substr(0, split + 1);
  absl::string_view sigs = note.substr(split + 2);
  if (absl::Status s = ValidateText(text); !s.ok()) return s;
  if (sigs.empty() || sigs.back() != '\n') {
    return absl::InvalidArgumentError("note: malformed: signature block must end with newline");
  }
  sigs.remove_suffix(1);
  std::set<std::pair<std::string, uint32_t>> seen;
  size_t count = 0;
  for (absl::string_view line : absl::StrSplit(sigs, '\n')) {
    if (++count > kMaxSignatures) {
      return absl::InvalidArgumentError("note: malformed: too many signatures");
    }
    if (!absl::ConsumePrefix(&line, kSigPrefix)) {
      return absl::InvalidArgumentError("note: malformed: signature line must start with \"— \"");
    }
    size_t sp = line.find(' ');
    if (sp == absl::string_view::npos || sp == 0) {
      return absl::InvalidArgumentError("note: malformed signature line");
    }
    NoteSignature sig;
    sig.name = std::string(line.substr(0, sp));
    if (absl::Status s = ValidateNoteKeyName(sig.name); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("note: malformed signature line: ", s.message()));
    }
    std::string blob;
    if (!absl::Base64Unescape(line.substr(sp + 1), &blob) || blob.size() < 5) {
      return absl::InvalidArgumentError("note: malformed signature: bad base64 or too short");
    }
    sig.key_hash = (uint32_t{static_cast<uint8_t>(blob[0])} << 24) |
                   (uint32_t{static_cast<uint8_t>(blob[1])} << 16) |
                   (uint32_t{static_cast<uint8_t>(blob[2])} << 8) |
                   uint32_t{static_cast<uint8_t>(blob[3])};
    sig.signature = blob.substr(4);
    const NoteVerifier* verifier = nullptr;
    for (const NoteVerifier& v : known) {
      if (v.name() == sig.name && v.key_hash() == sig.key_hash) verifier = &v;
    }
    if (verifier == nullptr) {
      out.unverified.push_back(std::move(sig));
      continue;
    }
    if (!seen.insert({sig.name, sig.key_hash}).second) continue;  // duplicate: ignore
    if (!Ed25519Verify(verifier->public_key(), text, sig.signature).ok()) {
      return absl::UnauthenticatedError(absl::StrCat("note: invalid signature by ", sig.name));
    }
    out.verified.push_back(std::move(sig));
  }
  if (out.verified.empty()) {
    return absl::NotFoundError("note: no signature by a known key");
  }
  out.text = std::string(text);
  return out;
}

}  // namespace sluss::crypto
