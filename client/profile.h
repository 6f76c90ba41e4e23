// CLI profiles: which server to call and with which identity.
//
//   # ~/.config/sluss/profiles/polisen.toml
//   server = "127.0.0.1:7443"
//   ca = "ca.pem"                  # CA that issued the server's certificate
//   cert = "polisen.pem"           # this agency's mTLS client certificate
//   key = "polisen.key"            # its private key (mode 0600)
//   officer_key = "anna.ed25519"   # optional: the officer's signing key
//   officer = "anna.handlaggare"   # optional: officer id (default: officer_key's
//                                  # file name without ".key")
//   agency_key = "polisen.x25519"  # optional: the agency's decryption key
//   server_name = "localhost"      # optional: name to verify in the server cert
//
// Relative paths resolve against the profile file's directory.
#ifndef SLUSS_CLIENT_PROFILE_H_
#define SLUSS_CLIENT_PROFILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sluss::client {

struct Profile {
  std::string server;
  std::string server_name;  // empty: verify the host part of `server`
  std::string ca;
  std::string cert;
  std::string key;
  std::string officer_key;  // empty if not configured
  std::string agency_key;   // empty if not configured
  std::string officer;      // officer id (DSSE keyid); see above
  std::string source;       // the profile file
};

// Where `--profile NAME` is looked up: $SLUSS_PROFILE_DIR, else
// $XDG_CONFIG_HOME/sluss/profiles, else ~/.config/sluss/profiles.
std::string ProfileDirectory();

// `name_or_path` is a path if it contains '/' or ends in ".toml", else a
// profile name in ProfileDirectory().
std::string ResolveProfilePath(absl::string_view name_or_path);

// Parses a profile. kInvalidArgument "<file>:<line>: ..." for unknown keys,
// wrong types, or a missing required key (server, ca, cert, key).
absl::StatusOr<Profile> ParseProfile(absl::string_view path, absl::string_view contents);

// Reads and parses, then checks every file it names: readable, and private
// keys not accessible by group/others. Errors name the key and the file.
absl::StatusOr<Profile> LoadProfile(absl::string_view path);

}  // namespace sluss::client

#endif  // SLUSS_CLIENT_PROFILE_H_
