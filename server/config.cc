#include "server/config.h"

#include <set>
#include <string>

// Debian's toml++ is a compiled library built with exceptions
// (TOML_EXCEPTIONS=1, TOML_HEADER_ONLY=0): parse() throws toml::parse_error.
// It is caught right here; nothing crosses this function as an exception.
#include <toml++/toml.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "base/status_macros.h"

namespace sluss::server {
namespace {

absl::Status Bad(absl::string_view path, const toml::source_region& where, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ":", where.begin.line, ": ", what));
}

// Every key slussd knows, as "table.key". Anything else is an error: a typo
// must not silently leave a setting at its default.
const std::set<std::string>& KnownKeys() {
  static const auto* keys = new std::set<std::string>{
      "server.listen", "server.data_dir", "tls.cert", "tls.key", "tls.client_ca", "log.format",
      "diarium.origin", "diarium.signing_key", "broker.directory", "broker.pseudonym_key",
      "broker.time_zone", "testing.fail_diarium_sync_if_exists"};
  return *keys;
}

// Integer-valued keys.
const std::set<std::string>& IntegerKeys() {
  static const auto* keys = new std::set<std::string>{
      "diarium.checkpoint_interval_ms", "broker.signed_at_window_seconds", "broker.max_envelope_bytes",
      "broker.rate_burst"};
  return *keys;
}

// Keys taking any non-negative number, integer or float.
const std::set<std::string>& NumberKeys() {
  static const auto* keys = new std::set<std::string>{"broker.rate_per_second"};
  return *keys;
}

// Boolean keys.
const std::set<std::string>& BoolKeys() {
  static const auto* keys = new std::set<std::string>{"diarium.align_writes_to_checkpoints"};
  return *keys;
}

absl::Status CheckKeys(absl::string_view path, const toml::table& root) {
  for (const auto& [table_key, node] : root) {
    std::string table_name(table_key.str());
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      return Bad(path, node.source(),
                 absl::StrCat("unknown key '", table_name, "' (settings live in tables: [server], [tls], [log], [diarium], [broker], [testing])"));
    }
    for (const auto& [key, value] : *table) {
      std::string full = absl::StrCat(table_name, ".", std::string(key.str()));
      if (IntegerKeys().count(full)) {
        if (!value.is_integer() || *value.value<int64_t>() < 0) {
          return Bad(path, value.source(), absl::StrCat("key '", full, "' must be a non-negative integer"));
        }
        continue;
      }
      if (BoolKeys().count(full)) {
        if (!value.is_boolean()) {
          return Bad(path, value.source(), absl::StrCat("key '", full, "' must be true or false"));
        }
        continue;
      }
      if (NumberKeys().count(full)) {
        if (!(value.is_integer() || value.is_floating_point()) || *value.value<double>() < 0) {
          return Bad(path, value.source(), absl::StrCat("key '", full, "' must be a non-negative number"));
        }
        continue;
      }
      if (!KnownKeys().count(full)) {
        return Bad(path, value.source(), absl::StrCat("unknown key '", full, "'"));
      }
      if (!value.is_string()) {
        return Bad(path, value.source(), absl::StrCat("key '", full, "' must be a string"));
      }
    }
  }
  return absl::OkStatus();
}

std::string Get(const toml::table& root, absl::string_view table, absl::string_view key,
                absl::string_view def) {
  auto v = root[std::string_view(table.data(), table.size())][std::string_view(key.data(), key.size())]
               .value<std::string>();
  return v ? *v : std::string(def);
}

double GetNumber(const toml::table& root, absl::string_view table, absl::string_view key, double def) {
  auto v = root[std::string_view(table.data(), table.size())][std::string_view(key.data(), key.size())]
               .value<double>();
  return v ? *v : def;
}

bool GetBool(const toml::table& root, absl::string_view table, absl::string_view key, bool def) {
  auto v = root[std::string_view(table.data(), table.size())][std::string_view(key.data(), key.size())]
               .value<bool>();
  return v ? *v : def;
}

int64_t GetInt(const toml::table& root, absl::string_view table, absl::string_view key, int64_t def) {
  auto v = root[std::string_view(table.data(), table.size())][std::string_view(key.data(), key.size())]
               .value<int64_t>();
  return v ? *v : def;
}

absl::Status CheckListen(absl::string_view path, absl::string_view listen) {
  size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": server.listen = \"", listen, "\" is not host:port (e.g. \"127.0.0.1:7443\")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Config> ParseConfig(absl::string_view path, absl::string_view contents) {
  toml::table root;
  try {
    root = toml::parse(std::string_view(contents.data(), contents.size()),
                       std::string_view(path.data(), path.size()));
  } catch (const toml::parse_error& err) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":", err.source().begin.line, ": ",
                                                   std::string(err.description())));
  }
  SLUSS_RETURN_IF_ERROR(CheckKeys(path, root));

  std::string dir = DirName(path);
  Config c;
  c.source = std::string(path);
  c.listen = Get(root, "server", "listen", c.listen);
  SLUSS_RETURN_IF_ERROR(CheckListen(path, c.listen));
  c.data_dir = ResolvePath(dir, Get(root, "server", "data_dir", ""));
  c.tls.cert = ResolvePath(dir, Get(root, "tls", "cert", ""));
  c.tls.key = ResolvePath(dir, Get(root, "tls", "key", ""));
  c.tls.client_ca = ResolvePath(dir, Get(root, "tls", "client_ca", ""));
  c.log_format = Get(root, "log", "format", c.log_format);
  c.diarium_origin = Get(root, "diarium", "origin", c.diarium_origin);
  c.diarium_signing_key = ResolvePath(dir, Get(root, "diarium", "signing_key", ""));
  c.checkpoint_interval_ms = GetInt(root, "diarium", "checkpoint_interval_ms", c.checkpoint_interval_ms);
  c.align_writes_to_checkpoints =
      GetBool(root, "diarium", "align_writes_to_checkpoints", c.align_writes_to_checkpoints);
  c.directory = ResolvePath(dir, Get(root, "broker", "directory", ""));
  c.pseudonym_key = ResolvePath(dir, Get(root, "broker", "pseudonym_key", ""));
  c.time_zone = Get(root, "broker", "time_zone", c.time_zone);
  c.signed_at_window_seconds = GetInt(root, "broker", "signed_at_window_seconds", c.signed_at_window_seconds);
  c.max_envelope_bytes = GetInt(root, "broker", "max_envelope_bytes", c.max_envelope_bytes);
  c.rate_per_second = GetNumber(root, "broker", "rate_per_second", c.rate_per_second);
  c.rate_burst = GetInt(root, "broker", "rate_burst", c.rate_burst);
  c.fail_diarium_sync_if_exists = ResolvePath(dir, Get(root, "testing", "fail_diarium_sync_if_exists", ""));

  struct Required {
    const char* key;
    const std::string& value;
  };
  for (const Required& r : {Required{"server.data_dir", c.data_dir}, Required{"tls.cert", c.tls.cert},
                            Required{"tls.key", c.tls.key}, Required{"tls.client_ca", c.tls.client_ca}}) {
    if (r.value.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": missing required key '", r.key, "' (slussd has no plaintext listener)"));
    }
  }
  if (c.log_format != "text" && c.log_format != "json") {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": log.format = \"", c.log_format, "\": want \"text\" or \"json\""));
  }
  return c;
}

absl::StatusOr<Config> LoadConfig(absl::string_view path) {
  SLUSS_ASSIGN_OR_RETURN(std::string contents, ReadFile(path));
  return ParseConfig(path, contents);
}

}  // namespace sluss::server
