#include "client/profile.h"

#include <cstdlib>
#include <set>

// Debian's toml++ is built with exceptions: parse errors are caught here.
#include <toml++/toml.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "base/status_macros.h"

namespace sluss::client {

std::string ProfileDirectory() {
  if (const char* d = std::getenv("SLUSS_PROFILE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return absl::StrCat(x, "/sluss/profiles");
  const char* home = std::getenv("HOME");
  return absl::StrCat(home ? home : ".", "/.config/sluss/profiles");
}

std::string ResolveProfilePath(absl::string_view name_or_path) {
  if (absl::StrContains(name_or_path, '/') || absl::EndsWith(name_or_path, ".toml")) {
    return std::string(name_or_path);
  }
  return absl::StrCat(ProfileDirectory(), "/", name_or_path, ".toml");
}

absl::StatusOr<Profile> ParseProfile(absl::string_view path, absl::string_view contents) {
  toml::table root;
  try {
    root = toml::parse(std::string_view(contents.data(), contents.size()),
                       std::string_view(path.data(), path.size()));
  } catch (const toml::parse_error& err) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":", err.source().begin.line, ": ", std::string(err.description())));
  }
  static const std::set<std::string> kKeys = {"server", "server_name", "ca", "cert", "key",
                                              "officer_key", "agency_key", "officer"};
  for (const auto& [k, v] : root) {
    std::string key(k.str());
    if (!kKeys.count(key)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", v.source().begin.line, ": unknown key '", key, "'"));
    }
    if (!v.is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", v.source().begin.line, ": key '", key, "' must be a string"));
    }
  }
  std::string dir = DirName(path);
  auto get = [&](const char* key) { return root[key].value_or(std::string()); };
  Profile p;
  p.source = std::string(path);
  p.server = get("server");
  p.server_name = get("server_name");
  p.ca = ResolvePath(dir, get("ca"));
  p.cert = ResolvePath(dir, get("cert"));
  p.key = ResolvePath(dir, get("key"));
  p.officer_key = ResolvePath(dir, get("officer_key"));
  p.agency_key = ResolvePath(dir, get("agency_key"));
  p.officer = get("officer");
  if (p.officer.empty() && !p.officer_key.empty()) {
    // Default: the key file's name without ".key" (dev-pki's convention).
    std::string base = p.officer_key.substr(p.officer_key.rfind('/') + 1);
    if (base.size() > 4 && base.compare(base.size() - 4, 4, ".key") == 0) base.resize(base.size() - 4);
    p.officer = base;
  }
  for (auto [name, value] : {std::pair<const char*, const std::string*>{"server", &p.server},
                             {"ca", &p.ca}, {"cert", &p.cert}, {"key", &p.key}}) {
    if (value->empty()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": missing required key '", name, "'"));
    }
  }
  return p;
}

absl::StatusOr<Profile> LoadProfile(absl::string_view path) {
  auto contents = ReadFile(path);
  if (!contents.ok()) return Annotate(contents.status(), "profile");
  SLUSS_ASSIGN_OR_RETURN(Profile p, ParseProfile(path, *contents));
  struct File {
    const char* key;
    const std::string& path;
    bool secret;
  };
  for (const File& f : {File{"ca", p.ca, false}, File{"cert", p.cert, false}, File{"key", p.key, true},
                        File{"officer_key", p.officer_key, true}, File{"agency_key", p.agency_key, true}}) {
    if (f.path.empty()) continue;
    std::string ctx = absl::StrCat("profile ", path, ": ", f.key);
    if (f.secret) SLUSS_RETURN_IF_ERROR(Annotate(CheckSecretFilePermissions(f.path), ctx));
    SLUSS_RETURN_IF_ERROR(Annotate(ReadFile(f.path).status(), ctx));
  }
  return p;
}

}  // namespace sluss::client
