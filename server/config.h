// slussd's configuration: a TOML file, every key documented in
// docs/OPERATIONS.md with its default.
//
//   [server]
//   listen = "127.0.0.1:7443"      # host:port; port 0 picks a free port
//   data_dir = "/var/lib/sluss"
//   [tls]
//   cert = "server.pem"             # paths relative to the config file
//   key = "server.key"              # must not be readable by group/others
//   client_ca = "ca.pem"            # CA that issues agency certificates
//   [log]
//   format = "text"                 # or "json" (JSON lines)
//
// LoadConfig is a pure function of the file's contents (plus the existence
// and permission checks it makes on the files named); thread-compatible.
#ifndef SLUSS_SERVER_CONFIG_H_
#define SLUSS_SERVER_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sluss::server {

struct TlsConfig {
  std::string cert;       // PEM certificate chain of the server (absolute path)
  std::string key;        // PEM private key (absolute path)
  std::string client_ca;  // PEM CA bundle that agency certificates must chain to
};

struct Config {
  std::string listen = "127.0.0.1:7443";
  std::string data_dir;  // required
  TlsConfig tls;         // all three required: there is no plaintext listener
  std::string log_format = "text";
  std::string source;    // the file the config came from (for messages)
};

// Parses `contents` as if read from `path` (relative paths resolve against
// the file's directory). Errors are kInvalidArgument and read
// "<path>: <problem>", naming the key and line: unknown keys, wrong types,
// missing required keys, a bad listen address.
absl::StatusOr<Config> ParseConfig(absl::string_view path, absl::string_view contents);

// Reads and parses `path`. kNotFound/kPermissionDenied if unreadable.
absl::StatusOr<Config> LoadConfig(absl::string_view path);

}  // namespace sluss::server

#endif  // SLUSS_SERVER_CONFIG_H_
