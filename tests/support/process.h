// Test support: run the project's real binaries as child processes.
// For integration tests only; not thread-safe.
#ifndef SLUSS_TESTS_SUPPORT_PROCESS_H_
#define SLUSS_TESTS_SUPPORT_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace sluss::testing {

struct ProcessResult {
  int exit_code = -1;  // -signal if killed by a signal
  std::string out;
  std::string err;
};

// RunProcess: runs argv[0] (a path) to completion with extra environment variables and
// optional standard input. Fails only if the process cannot be started.
absl::StatusOr<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                  const std::map<std::string, std::string>& env = {},
                                  const std::string& stdin_data = "");

// The source tree and the binaries' directory, as configured by CMake
// (tests/CMakeLists.txt); the environment may override them.
std::string SourceDir();  // $SLUSS_SOURCE_DIR
std::string BinDir();     // $SLUSS_BIN_DIR
std::string Bin(const std::string& name);  // BinDir() + "/" + name

// A fresh, empty directory under $TEST_TMPDIR (default /tmp), removed with
// everything in it when the test process exits, unless $SLUSS_KEEP_TEMP is
// set (to look at a failed test's files).
std::string MakeTempDir(const std::string& prefix);

// A slussd running as a child process. The destructor kills it (SIGKILL) if
// it is still running.
class SlussdProcess {
 public:
  ~SlussdProcess();
  // Starts `slussd --config config --port-file ...` and waits until it
  // listens (or exits). Returns the failure with slussd's stderr if it exits.
  static absl::StatusOr<std::unique_ptr<SlussdProcess>> Start(const std::string& config,
                                                              absl::Duration timeout = absl::Seconds(20));
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // Sends `signal` and waits for exit; returns the exit code (-signal if killed).
  int Stop(int signal);
  // slussd's stderr so far.
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_path_;
};

// Runs deploy/dev-pki into `dir` with port 0, then (after the server is up)
// PointProfilesAt rewrites the profiles to the real port.
absl::Status MakeDevPki(const std::string& dir);
absl::Status PointProfilesAt(const std::string& dir, int port);

// A valid personnummer (Luhn check digit) for someone who turned 19 about a
// month ago: 19 years old on any date the test runs (10:18a's age range).
std::string PersonAged19();

// What every end-to-end suite starts from: a dev PKI (deploy/dev-pki) in a
// fresh temp dir named after `prefix`, `extra_config` (TOML lines) appended
// to its slussd.toml, a slussd started on it, and the profiles pointed at
// its port. Any failure names the step.
struct DevServer {
  std::string pki;
  std::unique_ptr<SlussdProcess> server;
};
absl::StatusOr<DevServer> StartDevServer(const std::string& prefix, const std::string& extra_config = "");

// Builds tests/interop/tlogverify (Go, GOPATH mode against Debian's
// /usr/share/gocode x/mod) into `dir` and returns the binary's path. Its
// command line: -dir EXPORT [-proof F] [-consistency F -old-checkpoint F];
// it trusts the export's vkeys file and prints "OK ..." or "FAIL: ...".
// kFailedPrecondition naming the Debian package if Go or x/mod is missing
// (tests/run installs both), kInternal with Go's output if the build fails.
absl::StatusOr<std::string> BuildTlogVerify(const std::string& dir);

}  // namespace sluss::testing

#endif  // SLUSS_TESTS_SUPPORT_PROCESS_H_
