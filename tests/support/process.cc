#include "tests/support/process.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "base/file.h"
#include "base/status_macros.h"

extern char** environ;

namespace sluss::testing {
namespace {

std::vector<char*> CArgs(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (std::string& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

void ApplyEnv(const std::map<std::string, std::string>& env) {
  for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
}

}  // namespace

absl::StatusOr<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                  const std::map<std::string, std::string>& env,
                                  const std::string& stdin_data) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC)) {
    return absl::InternalError("pipe failed");
  }
  std::vector<std::string> args = argv;
  pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ApplyEnv(env);
    std::vector<char*> c = CArgs(args);
    ::execv(c[0], c.data());
    std::fprintf(stderr, "exec %s: %s\n", c[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  size_t written = 0;
  if (stdin_data.empty()) {
    ::close(in[1]);
    in[1] = -1;
  }
  ProcessResult r;
  bool out_open = true, err_open = true;
  char buf[65536];
  while (out_open || err_open || in[1] >= 0) {
    pollfd fds[3];
    int n = 0;
    int out_i = -1, err_i = -1, in_i = -1;
    if (out_open) { fds[n] = {out[0], POLLIN, 0}; out_i = n++; }
    if (err_open) { fds[n] = {err[0], POLLIN, 0}; err_i = n++; }
    if (in[1] >= 0) { fds[n] = {in[1], POLLOUT, 0}; in_i = n++; }
    if (::poll(fds, static_cast<nfds_t>(n), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    auto drain = [&](int i, int fd, std::string& dst, bool& open) {
      if (i < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) return;
      ssize_t k = ::read(fd, buf, sizeof buf);
      if (k <= 0) {
        open = false;
        ::close(fd);
      } else {
        dst.append(buf, static_cast<size_t>(k));
      }
    };
    drain(out_i, out[0], r.out, out_open);
    drain(err_i, err[0], r.err, err_open);
    if (in_i >= 0 && (fds[in_i].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t k = ::write(in[1], stdin_data.data() + written, stdin_data.size() - written);
      if (k > 0) written += static_cast<size_t>(k);
      if (k <= 0 || written == stdin_data.size()) {
        ::close(in[1]);
        in[1] = -1;
      }
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  return r;
}

std::string SourceDir() {
  const char* d = std::getenv("SLUSS_SOURCE_DIR");
  return d ? d : SLUSS_DEFAULT_SOURCE_DIR;
}

std::string BinDir() {
  const char* d = std::getenv("SLUSS_BIN_DIR");
  return d ? d : SLUSS_DEFAULT_BIN_DIR;
}

std::string Bin(const std::string& name) { return absl::StrCat(BinDir(), "/", name); }

namespace {

// Every directory MakeTempDir made in this process, removed when it exits
// (a dev PKI with its slussd data is tens of MB; suites make dozens).
std::vector<std::string>& MadeTempDirs() {
  static auto* dirs = new std::vector<std::string>();
  return *dirs;
}

void RemoveMadeTempDirs() {
  const char* keep = std::getenv("SLUSS_KEEP_TEMP");
  if (keep != nullptr && *keep != '\0' && std::string(keep) != "0") return;
  for (const std::string& d : MadeTempDirs()) {
    std::error_code ec;
    std::filesystem::remove_all(d, ec);  // best effort
  }
}

}  // namespace

std::string MakeTempDir(const std::string& prefix) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string tmpl = absl::StrCat(base ? base : "/tmp", "/", prefix, "_XXXXXX");
  if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
  if (MadeTempDirs().empty()) std::atexit(RemoveMadeTempDirs);
  MadeTempDirs().push_back(tmpl);
  return tmpl;
}

SlussdProcess::~SlussdProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

absl::StatusOr<std::unique_ptr<SlussdProcess>> SlussdProcess::Start(const std::string& config,
                                                                    absl::Duration timeout) {
  auto p = std::unique_ptr<SlussdProcess>(new SlussdProcess());
  std::string dir = MakeTempDir("slussd_run");
  std::string port_file = dir + "/port";
  p->log_path_ = dir + "/slussd.log";
  std::vector<std::string> args = {Bin("slussd"), "--config", config, "--port-file", port_file};
  pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    int fd = ::open(p->log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 2);
    ::dup2(fd, 1);
    std::vector<char*> c = CArgs(args);
    ::execv(c[0], c.data());
    ::_exit(127);
  }
  p->pid_ = pid;
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      p->pid_ = -1;
      return absl::FailedPreconditionError(
          absl::StrCat("slussd exited with ", WIFEXITED(status) ? WEXITSTATUS(status) : -1, ": ",
                       ReadFile(p->log_path_).value_or("")));
    }
    auto text = ReadFile(port_file);
    int port = 0;
    if (text.ok() && absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &port) && port > 0) {
      p->port_ = port;
      return p;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::DeadlineExceededError("slussd did not start listening in time: " + p->Log());
}

int SlussdProcess::Stop(int signal) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, signal);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

std::string SlussdProcess::Log() const { return ReadFile(log_path_).value_or(""); }

absl::Status MakeDevPki(const std::string& dir) {
  SLUSS_ASSIGN_OR_RETURN(ProcessResult r,
                         RunProcess({SourceDir() + "/deploy/dev-pki", "--out", dir, "--sluss", Bin("sluss"),
                              "--port", "0"}));
  if (r.exit_code != 0) {
    return absl::InternalError(absl::StrCat("dev-pki failed: ", r.err, r.out));
  }
  return absl::OkStatus();
}

absl::Status PointProfilesAt(const std::string& dir, int port) {
  std::string pdir = dir + "/profiles";
  DIR* d = ::opendir(pdir.c_str());
  if (d == nullptr) return absl::NotFoundError(pdir);
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() < 5 || name.substr(name.size() - 5) != ".toml") continue;
    std::string path = pdir + "/" + name;
    SLUSS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
    text = absl::StrReplaceAll(text, {{"\"127.0.0.1:0\"", absl::StrCat("\"127.0.0.1:", port, "\"")}});
    SLUSS_RETURN_IF_ERROR(WriteFileAtomically(path, text, 0644, true));
  }
  ::closedir(d);
  return absl::OkStatus();
}

std::string PersonAged19() {
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  const absl::CivilDay birth = absl::CivilDay(today.year() - 19, today.month(), 1) - 30;
  const std::string nine = absl::StrFormat("%02d%02d%02d123", birth.year() % 100, birth.month(), birth.day());
  int sum = 0;
  for (size_t i = 0; i < nine.size(); ++i) {
    const int d = (nine[i] - '0') * (i % 2 == 0 ? 2 : 1);
    sum += d / 10 + d % 10;
  }
  return absl::StrFormat("%04d%02d%02d-123%d", birth.year(), birth.month(), birth.day(), (10 - sum % 10) % 10);
}

absl::StatusOr<DevServer> StartDevServer(const std::string& prefix, const std::string& extra_config) {
  DevServer dev;
  dev.pki = MakeTempDir(prefix);
  SLUSS_RETURN_IF_ERROR(MakeDevPki(dev.pki));
  if (!extra_config.empty()) {
    SLUSS_ASSIGN_OR_RETURN(std::string config, ReadFile(dev.pki + "/slussd.toml"));
    SLUSS_RETURN_IF_ERROR(WriteFileAtomically(dev.pki + "/slussd.toml", config + extra_config, 0644, true));
  }
  SLUSS_ASSIGN_OR_RETURN(dev.server, SlussdProcess::Start(dev.pki + "/slussd.toml"));
  SLUSS_RETURN_IF_ERROR(PointProfilesAt(dev.pki, dev.server->port()));
  return dev;
}

absl::StatusOr<std::string> BuildTlogVerify(const std::string& dir) {
  std::string go;
  const char* path = std::getenv("PATH");
  for (absl::string_view d : absl::StrSplit(path != nullptr ? path : "/usr/bin:/bin", ':')) {
    const std::string candidate = absl::StrCat(d, "/go");
    if (access(candidate.c_str(), X_OK) == 0) {
      go = candidate;
      break;
    }
  }
  if (go.empty()) {
    return absl::FailedPreconditionError("`go` is not on PATH (apt-get install golang-go)");
  }
  if (!std::filesystem::exists("/usr/share/gocode/src/golang.org/x/mod/sumdb/tlog")) {
    return absl::FailedPreconditionError(
        "golang.org/x/mod is not in /usr/share/gocode (apt-get install golang-golang-x-mod-dev)");
  }
  const std::string tool = dir + "/tlogverify";
  // Go's build cache beside bin/, reused across runs.
  const std::string cache = std::filesystem::path(BinDir()).parent_path().string() + "/go-build-cache";
  SLUSS_ASSIGN_OR_RETURN(
      ProcessResult b,
      RunProcess({"/bin/sh", "-c",
                  absl::StrCat("cd ", SourceDir(), "/tests/interop/tlogverify && GO111MODULE=off "
                               "GOPATH=/usr/share/gocode GOFLAGS= GOCACHE=", cache, " ", go,
                               " build -o ", tool, " .")}));
  if (b.exit_code != 0) {
    return absl::InternalError(absl::StrCat("building tests/interop/tlogverify failed:\n", b.out, b.err));
  }
  return tool;
}

}  // namespace sluss::testing
