// `sluss profile init NAME` and `sluss profile check NAME|FILE`: write a CLI
// profile (client/profile.h) after checking every file it names, and check
// an existing one. See docs/USAGE.md.
//
// Checks, each failing with the file and the problem named and nothing
// written: the CA and client certificate parse as PEM X.509; the client key
// parses, is not readable by group/others, and belongs to the certificate;
// the officer's key is an Ed25519 secret key file and the agency key an
// X25519 one (crypto/keyfile.h, same permission rule).
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "client/cli.h"
#include "client/profile.h"
#include "client/tty.h"
#include "crypto/keyfile.h"

namespace sluss::client {
namespace {

struct ProfileInitOptions {
  std::string name, server, server_name, ca, cert, key, officer_key, officer, agency_key;
  bool force = false;
};

// One checked file, for the report.
struct Checked {
  std::string key;   // profile key: "ca", "cert", ...
  std::string path;  // absolute
  std::string what;  // "X.509 certificate, subject ..." etc.
};

using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using PKeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

std::string Absolute(const std::string& path) {
  if (path.empty()) return path;
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(path, ec);
  return ec ? path : abs.lexically_normal().string();
}

std::string SubjectOf(X509* cert) {
  char buf[512];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  return buf;
}

absl::StatusOr<X509Ptr> ReadCertificate(const std::string& flag, const std::string& path) {
  auto pem = ReadFile(path);
  if (!pem.ok()) return Annotate(pem.status(), flag);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())),
                                                &BIO_free);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!cert) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", path, ": not a PEM X.509 certificate (expected \"-----BEGIN CERTIFICATE-----\")"));
  }
  return cert;
}

absl::StatusOr<Checked> CheckClientKey(const std::string& path, X509* cert, const std::string& cert_path) {
  SLUSS_RETURN_IF_ERROR(Annotate(CheckSecretFilePermissions(path), "--key"));
  auto pem = ReadFile(path);
  if (!pem.ok()) return Annotate(pem.status(), "--key");
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())),
                                                &BIO_free);
  PKeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  if (!key) {
    return absl::InvalidArgumentError(
        absl::StrCat("--key ", path, ": not an unencrypted PEM private key (expected \"-----BEGIN PRIVATE KEY-----\")"));
  }
  if (X509_check_private_key(cert, key.get()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("--key ", path, " does not belong to the certificate ", cert_path,
                                                   " (their public keys differ): pass the key issued with it"));
  }
  return Checked{"key", path, "private key of the certificate, mode 0600"};
}

absl::StatusOr<std::vector<Checked>> CheckFiles(const Profile& p) {
  std::vector<Checked> out;
  SLUSS_ASSIGN_OR_RETURN(X509Ptr ca, ReadCertificate("--ca", p.ca));
  out.push_back({"ca", p.ca, absl::StrCat("X.509 certificate, subject ", SubjectOf(ca.get()))});
  SLUSS_ASSIGN_OR_RETURN(X509Ptr cert, ReadCertificate("--cert", p.cert));
  out.push_back({"cert", p.cert, absl::StrCat("X.509 certificate, subject ", SubjectOf(cert.get()))});
  SLUSS_ASSIGN_OR_RETURN(Checked key, CheckClientKey(p.key, cert.get(), p.cert));
  out.push_back(key);
  if (!p.officer_key.empty()) {
    auto k = crypto::ReadEd25519SigningKey(p.officer_key);
    if (!k.ok()) return Annotate(k.status(), "--officer-key");
    out.push_back({"officer_key", p.officer_key, absl::StrCat("Ed25519 signing key of officer ", p.officer)});
  }
  if (!p.agency_key.empty()) {
    auto k = crypto::ReadX25519KeyPair(p.agency_key);
    if (!k.ok()) return Annotate(k.status(), "--agency-key");
    out.push_back({"agency_key", p.agency_key, "X25519 decryption key of the agency"});
  }
  return out;
}

// A TOML basic string.
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

absl::Status ValidName(const std::string& name) {
  if (name.empty() || name[0] == '.' || name[0] == '-') {
    return absl::InvalidArgumentError(absl::StrCat("profile name \"", name, "\" must start with a letter or digit"));
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return absl::InvalidArgumentError(absl::StrCat("profile name \"", name,
                                                     "\" may hold only letters, digits, '.', '_' and '-' "
                                                     "(to write elsewhere, set XDG_CONFIG_HOME or SLUSS_PROFILE_DIR)"));
    }
  }
  return absl::OkStatus();
}

void PrintChecked(const std::string& path, const std::vector<Checked>& files, const char* verb, bool json) {
  if (json) {
    nlohmann::json list = nlohmann::json::array();
    for (const Checked& c : files) list.push_back({{"key", c.key}, {"path", c.path}, {"checked", c.what}});
    std::cout << nlohmann::json{{"profile", path}, {"files", list}}.dump(2) << std::endl;
    return;
  }
  std::cout << verb << " " << path << "\n";
  for (const Checked& c : files) {
    std::cout << "  " << Paint(Colour::kGreen, "ok") << "  " << c.key << std::string(12 - c.key.size(), ' ')
              << c.path << "\n      " << c.what << "\n";
  }
  std::cout.flush();
}

absl::Status ProfileInit(const ProfileInitOptions& o, bool json) {
  SLUSS_RETURN_IF_ERROR(ValidName(o.name));
  const std::string path = ResolveProfilePath(o.name);
  if (!o.force && std::filesystem::exists(path)) {
    return absl::AlreadyExistsError(
        absl::StrCat("profile ", path, " exists; pass --force to replace it (nothing was written)"));
  }
  if (o.server.find(':') == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("--server \"", o.server, "\" must be HOST:PORT, e.g. sluss.example.se:443"));
  }
  Profile p;
  p.server = o.server;
  p.server_name = o.server_name;
  p.ca = Absolute(o.ca);
  p.cert = Absolute(o.cert);
  p.key = Absolute(o.key);
  p.officer_key = Absolute(o.officer_key);
  p.agency_key = Absolute(o.agency_key);
  p.officer = o.officer;
  if (p.officer.empty() && !p.officer_key.empty()) {
    std::string base = std::filesystem::path(p.officer_key).filename().string();
    if (base.size() > 4 && base.compare(base.size() - 4, 4, ".key") == 0) base.resize(base.size() - 4);
    p.officer = base;
  }
  SLUSS_ASSIGN_OR_RETURN(std::vector<Checked> files, CheckFiles(p));

  std::string toml = absl::StrCat("# Sluss CLI profile \"", o.name, "\" (written by `sluss profile init`).\n",
                                  "server = ", Quote(p.server), "\n");
  if (!p.server_name.empty()) absl::StrAppend(&toml, "server_name = ", Quote(p.server_name), "\n");
  absl::StrAppend(&toml, "ca = ", Quote(p.ca), "\ncert = ", Quote(p.cert), "\nkey = ", Quote(p.key), "\n");
  if (!p.officer_key.empty()) {
    absl::StrAppend(&toml, "officer = ", Quote(p.officer), "\nofficer_key = ", Quote(p.officer_key), "\n");
  }
  if (!p.agency_key.empty()) absl::StrAppend(&toml, "agency_key = ", Quote(p.agency_key), "\n");
  // What is written must load back exactly (the same checks `--profile` runs).
  SLUSS_ASSIGN_OR_RETURN(Profile parsed, ParseProfile(path, toml));
  if (parsed.ca != p.ca || parsed.key != p.key || parsed.officer != p.officer) {
    return absl::InternalError("profile init: the profile does not read back as written");
  }
  SLUSS_RETURN_IF_ERROR(MakeDirectories(DirName(path)));
  SLUSS_RETURN_IF_ERROR(WriteFileAtomically(path, toml, 0600, /*overwrite=*/o.force));
  PrintChecked(path, files, "Wrote", json);
  if (!json) std::cout << "Use it with: sluss --profile " << o.name << " status\n";
  return absl::OkStatus();
}

absl::Status ProfileCheck(const std::string& name, bool json) {
  const std::string path = ResolveProfilePath(name);
  auto contents = ReadFile(path);
  if (!contents.ok()) return Annotate(contents.status(), "profile");
  SLUSS_ASSIGN_OR_RETURN(Profile p, ParseProfile(path, *contents));
  auto files = CheckFiles(p);
  if (!files.ok()) return Annotate(files.status(), absl::StrCat("profile ", path));
  PrintChecked(path, *files, "Checked", json);
  return absl::OkStatus();
}

}  // namespace

void AddProfileCommands(CLI::App& app, const GlobalFlags& flags, int* exit_code) {
  CLI::App* profile = app.add_subcommand("profile", "Write or check a CLI profile");
  profile->require_subcommand(1);
  auto o = std::make_shared<ProfileInitOptions>();
  CLI::App* init = profile->add_subcommand(
      "init", "Write ~/.config/sluss/profiles/NAME.toml after checking every file it names");
  init->add_option("NAME", o->name, "Profile name")->required();
  init->add_option("--server", o->server, "slussd address HOST:PORT")->required();
  init->add_option("--server-name", o->server_name, "Name to verify in the server certificate (default: HOST)");
  init->add_option("--ca", o->ca, "CA certificate (PEM) that issued the server's certificate")->required();
  init->add_option("--cert", o->cert, "The agency's mTLS client certificate (PEM)")->required();
  init->add_option("--key", o->key, "Its private key (PEM, mode 0600)")->required();
  init->add_option("--officer-key", o->officer_key, "The officer's Ed25519 signing key (sluss keygen)");
  init->add_option("--officer", o->officer, "Officer id (default: officer key file name without .key)");
  init->add_option("--agency-key", o->agency_key, "The agency's X25519 decryption key (sluss keygen)");
  init->add_flag("--force", o->force, "Replace an existing profile");
  init->callback([o, &flags, exit_code] {
    absl::Status s = ProfileInit(*o, flags.json);
    *exit_code = s.ok() ? kExitOk : ReportError(s);
  });
  auto name = std::make_shared<std::string>();
  CLI::App* check = profile->add_subcommand("check", "Check every file a profile names (offline)");
  check->add_option("NAME", *name, "Profile name or path (default: --profile / $SLUSS_PROFILE)");
  check->callback([name, &flags, exit_code] {
    std::string n = !name->empty() ? *name : flags.profile;
    if (n.empty()) {
      if (const char* env = std::getenv("SLUSS_PROFILE"); env != nullptr) n = env;
    }
    if (n.empty()) {
      *exit_code = ReportError(absl::InvalidArgumentError("profile check: name a profile (NAME or --profile)"));
      return;
    }
    absl::Status s = ProfileCheck(n, flags.json);
    *exit_code = s.ok() ? kExitOk : ReportError(s);
  });
}

}  // namespace sluss::client
