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
//   [diarium]
//   origin = "sluss.local/diarium"  # checkpoint origin, fixed at creation
//   signing_key = "log-signing.key" # Ed25519 key file signing checkpoints
//   checkpoint_interval_ms = 5
//   align_writes_to_checkpoints = true  # one sync per checkpoint under load
//   [broker]
//   directory = "directory.textpb"  # bootstrap directory (first start)
//   pseudonym_key = "pseudonym.key"
//   time_zone = "Europe/Stockholm"  # decision dates
//   signed_at_window_seconds = 300
//   max_envelope_bytes = 16777216
//   rate_per_second = 50            # per agency, state-changing calls; 0 = off (a float is fine)
//   rate_burst = 100
//
// LoadConfig is a pure function of the file's contents (plus the existence
// and permission checks it makes on the files named); thread-compatible.
#ifndef SLUSS_SERVER_CONFIG_H_
#define SLUSS_SERVER_CONFIG_H_

#include <cstdint>
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
  // [diarium] and [broker]: docs/OPERATIONS.md. Paths are absolute (or
  // empty when not set; Server::Start requires signing_key and
  // pseudonym_key, and directory when the log is empty).
  std::string diarium_origin = "sluss.local/diarium";
  std::string diarium_signing_key;
  int64_t checkpoint_interval_ms = 5;
  bool align_writes_to_checkpoints = true;
  std::string directory;
  std::string pseudonym_key;
  std::string time_zone = "Europe/Stockholm";
  int64_t signed_at_window_seconds = 300;
  int64_t max_envelope_bytes = int64_t{16} << 20;
  double rate_per_second = 50;
  int64_t rate_burst = 100;
  // [testing], for integration tests only (docs/OPERATIONS.md): while this
  // file exists, every diarium WAL sync fails (EIO), through
  // storage/fault_fs.h. Empty: off.
  std::string fail_diarium_sync_if_exists;
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
