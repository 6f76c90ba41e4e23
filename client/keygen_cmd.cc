// sluss keygen: make an officer signing key, an agency encryption key or a
// pseudonym key, as key files (docs/CRYPTO.md "Key files").
// sluss note-vkey: the C2SP verifier key of an Ed25519 public key file under a
// key name (for a diarium: its origin), which auditors pass to `audit verify`.
#include <iostream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "client/cli.h"
#include "crypto/hash.h"
#include "crypto/keyfile.h"
#include "crypto/keys.h"
#include "crypto/note.h"
#include "crypto/pseudonym.h"

namespace sluss::client {

void AddKeygenCommand(CLI::App& app, const GlobalFlags& flags, int* exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "keygen", "Create a key pair: PREFIX.key (secret, mode 0600) and PREFIX.pub");
  static std::string kind;
  static std::string prefix;
  static bool force = false;
  cmd->add_option("--type", kind, "ed25519 (officer or log signing), x25519 (agency encryption), pseudonym")
      ->required()
      ->check(CLI::IsMember({"ed25519", "x25519", "pseudonym"}));
  cmd->add_option("--out", prefix, "output path prefix")->required();
  cmd->add_flag("--force", force, "overwrite existing files");
  cmd->callback([exit_code, &flags] {
    using crypto::KeyKind;
    absl::Status s;
    std::string pub;
    if (kind == "ed25519") {
      auto k = crypto::Ed25519SigningKey::Generate();
      s = crypto::WriteKeyFile(prefix + ".key", KeyKind::kEd25519Secret, k.seed(), force);
      if (s.ok()) {
        s = crypto::WriteKeyFile(prefix + ".pub", KeyKind::kEd25519Public, crypto::Bytes(k.public_key()), force);
      }
      pub = crypto::ToHex(crypto::Bytes(k.public_key()));
    } else if (kind == "x25519") {
      auto k = crypto::X25519KeyPair::Generate();
      s = crypto::WriteKeyFile(prefix + ".key", KeyKind::kX25519Secret, k.secret_key(), force);
      if (s.ok()) {
        s = crypto::WriteKeyFile(prefix + ".pub", KeyKind::kX25519Public, crypto::Bytes(k.public_key()), force);
      }
      pub = crypto::ToHex(crypto::Bytes(k.public_key()));
    } else {
      auto k = crypto::PseudonymKey::Generate();
      s = crypto::WriteKeyFile(prefix + ".key", KeyKind::kPseudonymKey, k.key_bytes(), force);
    }
    if (!s.ok()) {
      *exit_code = ReportError(s);
      return;
    }
    if (flags.json) {
      nlohmann::json out = {{"type", kind}, {"key", prefix + ".key"}};
      if (!pub.empty()) {
        out["pub"] = prefix + ".pub";
        out["public_key_hex"] = pub;
      }
      std::cout << out.dump(2) << std::endl;
    } else {
      std::cout << "wrote " << prefix << ".key"
                << (pub.empty() ? "" : absl::StrCat(" and ", prefix, ".pub (public key ", pub, ")")) << std::endl;
    }
    *exit_code = kExitOk;
  });

  CLI::App* vk = app.add_subcommand(
      "note-vkey", "Print the C2SP verifier key (name+hash+key) of an Ed25519 public key file");
  static std::string pub_path;
  static std::string key_name;
  vk->add_option("--pub", pub_path, "Ed25519 public key file (PREFIX.pub from keygen)")->required();
  vk->add_option("--name", key_name, "key name; for a diarium, its origin")->required();
  vk->callback([exit_code, &flags] {
    absl::StatusOr<crypto::Ed25519PublicKey> key = crypto::ReadEd25519PublicKey(pub_path);
    absl::Status s = key.status();
    if (s.ok()) s = crypto::ValidateNoteKeyName(key_name);
    if (!s.ok()) {
      *exit_code = ReportError(s);
      return;
    }
    const std::string vkey = crypto::NoteVerifier(key_name, *key).VerifierKey();
    if (flags.json) {
      std::cout << nlohmann::json({{"name", key_name}, {"vkey", vkey}}).dump() << std::endl;
    } else {
      std::cout << vkey << std::endl;
    }
    *exit_code = kExitOk;
  });
}

}  // namespace sluss::client
