// slussd: the Sluss broker.
//
//   slussd --config FILE [--port-file FILE]
//
// Runs until SIGTERM or SIGINT, then drains: health turns NOT_SERVING, new
// calls are refused, calls in flight get up to 10 s to finish.
// Exit codes: 0 clean shutdown, 1 runtime failure, 2 bad config or usage.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/file.h"
#include "server/config.h"
#include "server/server.h"

namespace {

void Log(const std::string& format, absl::string_view msg) {
  if (format == "json") {
    std::string escaped;
    for (char c : msg) {
      if (c == '"' || c == '\\') escaped.push_back('\\');
      if (c == '\n') {
        escaped += "\\n";
        continue;
      }
      escaped.push_back(c);
    }
    std::cerr << "{\"time\":\"" << absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone())
              << "\",\"component\":\"slussd\",\"msg\":\"" << escaped << "\"}" << std::endl;
  } else {
    std::cerr << "slussd: " << msg << std::endl;
  }
}

}  // namespace

int main(int argc, char** argv) {
#ifdef NDEBUG
  // Debian's Abseil is built with deadlock detection on, which records
  // every Mutex acquisition in one global graph under one global lock: a
  // serial cost on every call. Debug builds (the tests) keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
  CLI::App app{"slussd - the Sluss broker"};
  std::string config_path;
  std::string port_file;
  app.add_option("--config", config_path, "TOML configuration file")->required();
  app.add_option("--port-file", port_file, "write the bound port to this file once listening");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  if (!config_path.empty() && config_path[0] != '/') {
    // Relative paths inside the config resolve against its directory; make
    // that directory absolute so logs and errors name real paths.
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) != nullptr) config_path = absl::StrCat(cwd, "/", config_path);
  }
  auto config = sluss::server::LoadConfig(config_path);
  if (!config.ok()) {
    std::cerr << "slussd: config " << config.status().message() << std::endl;
    return 2;
  }

  // Block the shutdown signals before any thread starts, so that every
  // thread inherits the mask and only sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const std::string log_format = config->log_format;
  auto server = sluss::server::Server::Start(*config, [log_format](absl::string_view m) { Log(log_format, m); });
  if (!server.ok()) {
    Log(config->log_format, server.status().message());
    return 2;
  }
  Log(config->log_format, absl::StrCat("listening on ", config->listen.substr(0, config->listen.rfind(':')),
                                       ":", (*server)->port(), " (mTLS required), data in ",
                                       config->data_dir));
  if (!port_file.empty()) {
    absl::Status s = sluss::WriteFileAtomically(port_file, absl::StrCat((*server)->port(), "\n"), 0644, true);
    if (!s.ok()) {
      Log(config->log_format, absl::StrCat("--port-file: ", s.message()));
      (*server)->Shutdown(absl::ZeroDuration());
      return 1;
    }
  }

  int sig = 0;
  sigwait(&signals, &sig);
  Log(config->log_format, absl::StrCat("received ", sig == SIGTERM ? "SIGTERM" : "SIGINT",
                                       ", draining (health NOT_SERVING)"));
  (*server)->Shutdown(absl::Seconds(10));
  Log(config->log_format, "stopped");
  return 0;
}
