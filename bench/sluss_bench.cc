// sluss-bench: load generator for slussd (docs/PERFORMANCE.md "Broker").
//
// Makes a dev PKI (deploy/dev-pki) in a temp dir, starts the real slussd from
// this binary's directory on a loopback port with a temp data dir, and runs
// --concurrency client threads for --seconds, each doing full disclosure
// round trips over mTLS:
//   polisen (cecilia.utredare) Request -> socialtjänsten (bo.beslutsfattare)
//   Decide/disclose with the 10:18a attestations -> polisen Open
//   (GetDisclosure + GetOfficer, verify, decrypt) -> polisen Acknowledge.
// Every RPC a round trip makes counts as one call: 5 (the directory look-ups
// of the warm-up, WhoAmI and ListAgencies, are cached by the clients).
// The ceiling, in the same run and process: a gRPC callback-API unary echo
// server with slussd's TLS set-up and certificates, driven by the same number
// of client threads and channels with a message of the size of a Request.
// Echo and Sluss phases alternate (--slices Sluss phases of --seconds /
// slices each, between slices + 1 echo phases sharing 2 x --echo-seconds),
// so that the host's varying share of the CPU moves both sides alike;
// between phases, untimed, a sync(2) and a 0.3 s pause. The ratio is all
// Sluss calls per second against the mean of the echo phases; each Sluss
// phase's ratio against the two echo phases around it, and their median,
// are printed beside it.
//
// Usage: sluss-bench [--concurrency=32] [--channels=4] [--seconds=30]
//                    [--echo-seconds=10] [--echo-bytes=N] [--prepared=N]
//                    [--pki=DIR] [--keep] [--json] [--align-writes=0|1]
//                    [--slices=3]
//
// --prepared=N: before each timed Sluss phase each client thread builds N round
// trips' signed and sealed calls (Request, Decide, Acknowledge: the case id
// follows from the asker's agency and idempotency key), so the timed phase
// measures the broker with clients that do what the echo's clients do plus
// Open (fetch, verify the officer's signature, decrypt), not the clients'
// sealing and signing on the same two cores. Every call still reaches slussd
// signed and is verified there. A thread that uses up its N ends the phase.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "base/file.h"
#include "client/client.h"
#include "client/profile.h"
#include "echo.grpc.pb.h"
#include "exchange/action.h"
#include "nlohmann/json.hpp"
#include "tests/support/process.h"

namespace sluss::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  int concurrency = 32;
  int channels = 4;
  int seconds = 30;
  int echo_seconds = 10;
  int slices = 3;  // Sluss phases, each between two echo phases
  int echo_bytes = 0;  // 0: the size of a serialized RequestRequest
  std::string pki;
  bool keep = false;
  bool json = false;
  int prepared = 0;  // > 0: each thread signs and seals this many round trips before the timed phase
  int align_writes = 1;  // slussd's diarium.align_writes_to_checkpoints (0: off, for comparison)
};

bool ParseFlags(int argc, char** argv, Flags& f) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    auto value = [&](absl::string_view name) -> std::optional<std::string> {
      if (a.substr(0, name.size()) == name) return std::string(a.substr(name.size()));
      return std::nullopt;
    };
    auto num = [&](absl::string_view name, int& out) {
      auto v = value(name);
      return v && absl::SimpleAtoi(*v, &out);
    };
    if (num("--concurrency=", f.concurrency) || num("--channels=", f.channels) || num("--seconds=", f.seconds) ||
        num("--echo-seconds=", f.echo_seconds) || num("--echo-bytes=", f.echo_bytes) ||
        num("--prepared=", f.prepared) || num("--align-writes=", f.align_writes) || num("--slices=", f.slices)) {
      continue;
    }
    if (auto v = value("--pki=")) {
      f.pki = *v;
    } else if (a == "--keep") {
      f.keep = true;
    } else if (a == "--json") {
      f.json = true;
    } else {
      std::fprintf(stderr,
                   "unknown flag %s\nusage: sluss-bench [--concurrency=32] [--channels=4] [--seconds=30] "
                   "[--echo-seconds=10] [--echo-bytes=N] [--prepared=N] [--pki=DIR] [--keep] [--json] "
                   "[--align-writes=0|1] [--slices=3]\n",
                   argv[i]);
      return false;
    }
  }
  f.concurrency = std::clamp(f.concurrency, 1, 1024);
  f.channels = std::clamp(f.channels, 1, f.concurrency);
  f.seconds = std::clamp(f.seconds, 1, 600);
  f.echo_seconds = std::clamp(f.echo_seconds, 1, 600);
  f.slices = std::clamp(f.slices, 1, 30);
  return true;
}

// Latencies in microseconds, one vector per kind.
using Samples = std::map<std::string, std::vector<int64_t>>;

struct Dist {
  size_t n = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
};

Dist Distribution(std::vector<int64_t> v) {
  Dist d;
  d.n = v.size();
  if (v.empty()) return d;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return static_cast<double>(v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))]) / 1000.0; };
  d.p50_ms = at(0.50);
  d.p99_ms = at(0.99);
  d.max_ms = static_cast<double>(v.back()) / 1000.0;
  return d;
}

int64_t Micros(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::microseconds>(b - a).count();
}

// ---------------------------------------------------------------- echo ----

class EchoService final : public Echo::CallbackService {
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* ctx, const EchoMessage* req,
                                 EchoMessage* resp) override {
    resp->set_payload(req->payload());
    grpc::ServerUnaryReactor* r = ctx->DefaultReactor();
    r->Finish(grpc::Status::OK);
    return r;
  }
};

struct PhaseResult {
  double seconds = 0;
  // CPU seconds (user + system) used during the phase by this process (the
  // clients; in the echo phase also the echo server) and by slussd.
  double cpu_bench = 0, cpu_slussd = 0;
  uint64_t calls = 0;
  uint64_t round_trips = 0;
  uint64_t errors = 0;
  std::string first_error;
  Samples samples;
  double load_before = 0, load_after = 0;
  bool used_up = false;  // --prepared: a thread used up its prepared round trips
};

double LoadAverage() {
  double l = 0;
  std::ifstream("/proc/loadavg") >> l;
  return l;
}

// User + system CPU seconds a process has used so far (/proc/PID/stat
// fields 14 and 15); 0 if it cannot be read.
double CpuSeconds(pid_t pid) {
  std::ifstream in(pid == 0 ? std::string("/proc/self/stat") : absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  std::getline(in, line);
  const size_t close = line.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return 0;
  std::istringstream fields(line.substr(close + 2));
  std::string f;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i >= 14) ticks += std::strtod(f.c_str(), nullptr);
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// CPU used between construction and Stop() by this process and by `other`.
class CpuMeter {
 public:
  explicit CpuMeter(pid_t other) : other_(other), self0_(CpuSeconds(0)), other0_(other > 0 ? CpuSeconds(other) : 0) {}
  void Stop(PhaseResult& r) const {
    r.cpu_bench = CpuSeconds(0) - self0_;
    r.cpu_slussd = other_ > 0 ? CpuSeconds(other_) - other0_ : 0;
  }

 private:
  pid_t other_;
  double self0_, other0_;
};

// The phases of one kind as one: times, CPU, counts and samples added up.
PhaseResult Merge(const std::vector<PhaseResult>& parts) {
  PhaseResult m;
  for (const PhaseResult& p : parts) {
    m.seconds += p.seconds;
    m.cpu_bench += p.cpu_bench;
    m.cpu_slussd += p.cpu_slussd;
    m.calls += p.calls;
    m.round_trips += p.round_trips;
    m.errors += p.errors;
    if (m.first_error.empty()) m.first_error = p.first_error;
    for (const auto& [k, v] : p.samples) {
      auto& all = m.samples[k];
      all.insert(all.end(), v.begin(), v.end());
    }
    m.used_up = m.used_up || p.used_up;
  }
  if (!parts.empty()) {
    m.load_before = parts.front().load_before;
    m.load_after = parts.back().load_after;
  }
  return m;
}

absl::StatusOr<PhaseResult> RunEcho(const std::string& pki, const Flags& f, int channels, size_t bytes,
                                    pid_t slussd, std::chrono::milliseconds duration) {
  auto cert = ReadFile(pki + "/server.pem");
  auto key = ReadFile(pki + "/server.key");
  auto ca = ReadFile(pki + "/ca.pem");
  auto ccert = ReadFile(pki + "/agencies/polisen.pem");
  auto ckey = ReadFile(pki + "/agencies/polisen.key");
  for (const auto* s : {&cert, &key, &ca, &ccert, &ckey}) {
    if (!s->ok()) return s->status();
  }
  // The same TLS set-up as server/server.cc.
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = *ca;
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  EchoService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(ssl), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) return absl::UnavailableError("echo server did not start");

  // Channels made like client/client.cc makes them.
  std::vector<std::unique_ptr<Echo::Stub>> stubs;
  for (int i = 0; i < channels; ++i) {
    grpc::SslCredentialsOptions c;
    c.pem_root_certs = *ca;
    c.pem_cert_chain = *ccert;
    c.pem_private_key = *ckey;
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    stubs.push_back(Echo::NewStub(
        grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port), grpc::SslCredentials(c), args)));
  }
  EchoMessage msg;
  msg.set_payload(std::string(bytes, 'x'));
  for (auto& s : stubs) {  // connect and warm up
    grpc::ClientContext ctx;
    EchoMessage out;
    grpc::Status st = s->Echo(&ctx, msg, &out);
    if (!st.ok()) return absl::UnavailableError(absl::StrCat("echo warm-up: ", st.error_message()));
  }

  PhaseResult r;
  absl::Mutex mu;
  std::atomic<uint64_t> errors{0};
  r.load_before = LoadAverage();
  const CpuMeter cpu(slussd);
  const Clock::time_point t0 = Clock::now();
  const Clock::time_point end = t0 + duration;
  std::vector<std::thread> threads;
  for (int t = 0; t < f.concurrency; ++t) {
    threads.emplace_back([&, t] {
      Echo::Stub& stub = *stubs[static_cast<size_t>(t % channels)];
      std::vector<int64_t> lat;
      lat.reserve(1 << 16);
      EchoMessage out;
      while (Clock::now() < end) {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        const Clock::time_point a = Clock::now();
        grpc::Status st = stub.Echo(&ctx, msg, &out);
        const Clock::time_point b = Clock::now();
        if (!st.ok()) {
          errors.fetch_add(1);
          continue;
        }
        lat.push_back(Micros(a, b));
      }
      absl::MutexLock l(&mu);
      auto& all = r.samples["Echo"];
      all.insert(all.end(), lat.begin(), lat.end());
    });
  }
  for (auto& th : threads) th.join();
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  cpu.Stop(r);
  r.load_after = LoadAverage();
  r.calls = r.samples["Echo"].size();
  r.errors = errors.load();
  server->Shutdown(std::chrono::system_clock::now());
  return r;
}

// --------------------------------------------------------------- sluss ----

v1::AgencyRef Soc() {
  v1::AgencyRef a;
  a.set_orgnr("212000-0142");
  a.set_function("socialtjanst");
  return a;
}

client::NewCase YoungAtRisk() {
  client::NewCase c;
  c.to = Soc();
  c.facts.add_categories("socialtjanst");
  c.facts.add_purposes("forebygga_brott");
  c.subject_id = "20061015-1235";
  c.text = "Fråga: är personen känd av socialtjänsten? Underlag: upprepade iakttagelser av rekrytering "
           "till kriminella nätverk under hösten.";
  c.summary = "Begäran enligt 10:18a OSL";
  return c;
}

std::vector<v1::Attestation> Attest18a() {
  std::vector<v1::Attestation> out(2);
  out[0].set_provision("10:18a");
  out[0].set_judgement("konkret_risk");
  out[0].set_motivation("Upprepade iakttagelser av rekrytering.");
  out[1].set_provision("10:18a");
  out[1].set_judgement("inte_olampligt");
  out[1].set_motivation("Pågående insats påverkas inte.");
  return out;
}

const char kAnswer[] =
    "Personen har sedan 2024 varit föremål för insatser enligt SoL; kontaktperson utsedd, senaste "
    "uppföljning i oktober. Uppgifterna lämnas enligt 10:18a OSL.";

struct Pair {
  std::unique_ptr<client::SlussClient> asker;     // polisen
  std::unique_ptr<client::SlussClient> decider;   // socialtjänsten
};

absl::StatusOr<std::unique_ptr<client::SlussClient>> MakeClient(const std::string& pki, const std::string& name) {
  auto p = client::LoadProfile(pki + "/profiles/" + name + ".toml");
  if (!p.ok()) return p.status();
  return client::SlussClient::Create(*p, client::SlussClient::Options());
}

// One full round trip; appends the latency of each step to `lat`. Returns the
// number of RPCs made, or the first error.
// One round trip's calls, signed and sealed ahead (--prepared).
struct PreparedTrip {
  v1::RequestRequest request;
  std::string case_id;
  v1::DecideRequest decide;
  v1::AcknowledgeRequest ack;
  std::string digest;  // of the disclosed envelope
};

absl::StatusOr<PreparedTrip> Prepare(Pair& p) {
  PreparedTrip t;
  auto built = p.asker->BuildRequest(YoungAtRisk());
  if (!built.ok()) return built.status();
  t.request = *std::move(built);
  auto asker = p.asker->MyAgency();
  if (!asker.ok()) return asker.status();
  t.case_id = exchange::CaseIdFor(*asker, t.request.idempotency_key());
  auto dec = p.decider->BuildDiscloseTo(t.case_id, *asker, kAnswer, Attest18a(), "Utlämnas enligt 10:18a OSL.");
  if (!dec.ok()) return dec.status();
  t.decide = *std::move(dec);
  t.digest = exchange::EnvelopeDigest(t.decide.answer());
  auto ack = p.asker->BuildAck(t.case_id, t.digest);
  if (!ack.ok()) return ack.status();
  t.ack = *std::move(ack);
  return t;
}

absl::StatusOr<int> RoundTrip(Pair& p, Samples& lat, size_t* request_bytes, const PreparedTrip* pre = nullptr) {
  auto t = [](auto a, auto b) { return Micros(a, b); };
  absl::StatusOr<v1::RequestRequest> built =
      pre != nullptr ? absl::StatusOr<v1::RequestRequest>(pre->request) : p.asker->BuildRequest(YoungAtRisk());
  if (!built.ok()) return built.status();
  if (request_bytes != nullptr) *request_bytes = built->ByteSizeLong();
  Clock::time_point a = Clock::now();
  auto req = p.asker->Request(*built);
  Clock::time_point b = Clock::now();
  if (!req.ok()) return req.status();
  lat["Request"].push_back(t(a, b));
  const std::string case_id = req->logged().case_id();
  if (pre != nullptr && case_id != pre->case_id) {
    return absl::InternalError(absl::StrCat("prepared case id ", pre->case_id, ", broker assigned ", case_id));
  }

  // The decider knows the case's recipient, as from its Inbox: no CaseHistory
  // call (docs/PERFORMANCE.md "Broker": every RPC of the round trip counts).
  auto recipient = p.asker->MyAgency();  // cached after the first WhoAmI
  if (!recipient.ok()) return recipient.status();
  auto dec = pre != nullptr ? absl::StatusOr<v1::DecideRequest>(pre->decide)
                            : p.decider->BuildDiscloseTo(case_id, *recipient, kAnswer, Attest18a(),
                                                         "Utlämnas enligt 10:18a OSL.");
  if (!dec.ok()) return dec.status();
  a = Clock::now();
  auto decided = p.decider->Decide(*dec);
  b = Clock::now();
  if (!decided.ok()) return decided.status();
  lat["Decide"].push_back(t(a, b));

  a = Clock::now();
  auto opened = p.asker->Open(case_id);
  b = Clock::now();
  if (!opened.ok()) return opened.status();
  if (opened->plaintext != kAnswer) return absl::DataLossError("opened plaintext differs");
  lat["Open"].push_back(t(a, b));

  if (pre != nullptr && opened->digest != pre->digest) return absl::DataLossError("opened digest differs");
  a = Clock::now();
  auto ack = pre != nullptr ? p.asker->Acknowledge(pre->ack) : p.asker->Ack(case_id, opened->digest);
  b = Clock::now();
  if (!ack.ok()) return ack.status();
  lat["Acknowledge"].push_back(t(a, b));
  return 5;  // Request, Decide, GetDisclosure + GetOfficer (Open), Acknowledge
}

absl::StatusOr<PhaseResult> RunSluss(const std::string& pki, const Flags& f, size_t* request_bytes, pid_t slussd,
                                     std::chrono::milliseconds duration) {
  std::vector<Pair> pairs(static_cast<size_t>(f.channels));
  for (Pair& p : pairs) {
    auto a = MakeClient(pki, "cecilia.utredare");
    if (!a.ok()) return a.status();
    auto d = MakeClient(pki, "bo.beslutsfattare");
    if (!d.ok()) return d.status();
    p.asker = std::move(*a);
    p.decider = std::move(*d);
    Samples warm;  // connects and fills the clients' directory caches
    auto w = RoundTrip(p, warm, request_bytes);
    if (!w.ok()) return w.status();
  }
  PhaseResult r;
  absl::Mutex mu;
  // --prepared: every thread's calls, built before anything is timed.
  std::vector<std::vector<PreparedTrip>> prepared(static_cast<size_t>(f.concurrency));
  if (f.prepared > 0) {
    std::vector<std::thread> makers;
    absl::Status failed;
    for (int i = 0; i < f.concurrency; ++i) {
      makers.emplace_back([&, i] {
        Pair& p = pairs[static_cast<size_t>(i % f.channels)];
        for (int k = 0; k < f.prepared; ++k) {
          auto t = Prepare(p);
          if (!t.ok()) {
            absl::MutexLock l(&mu);
            failed = t.status();
            return;
          }
          prepared[static_cast<size_t>(i)].push_back(*std::move(t));
        }
      });
    }
    for (auto& th : makers) th.join();
    if (!failed.ok()) return failed;
  }
  std::atomic<bool> used_up{false};
  r.load_before = LoadAverage();
  const CpuMeter cpu(slussd);
  const Clock::time_point t0 = Clock::now();
  const Clock::time_point end = t0 + duration;
  std::vector<std::thread> threads;
  for (int i = 0; i < f.concurrency; ++i) {
    threads.emplace_back([&, i] {
      Pair& p = pairs[static_cast<size_t>(i % f.channels)];
      const std::vector<PreparedTrip>& mine = prepared[static_cast<size_t>(i)];
      size_t next = 0;
      Samples lat;
      uint64_t calls = 0, trips = 0, errors = 0;
      std::string first_error;
      while (Clock::now() < end && errors < 100 && !used_up.load(std::memory_order_relaxed)) {
        const PreparedTrip* pre = nullptr;
        if (f.prepared > 0) {
          if (next == mine.size()) {
            used_up = true;
            break;
          }
          pre = &mine[next++];
        }
        const Clock::time_point a = Clock::now();
        auto n = RoundTrip(p, lat, nullptr, pre);
        if (!n.ok()) {
          if (errors++ == 0) first_error = n.status().ToString();
          continue;
        }
        lat["RoundTrip"].push_back(Micros(a, Clock::now()));
        calls += static_cast<uint64_t>(*n);
        ++trips;
      }
      absl::MutexLock l(&mu);
      for (auto& [k, v] : lat) {
        auto& all = r.samples[k];
        all.insert(all.end(), v.begin(), v.end());
      }
      r.calls += calls;
      r.round_trips += trips;
      r.errors += errors;
      if (r.first_error.empty()) r.first_error = first_error;
    });
  }
  for (auto& th : threads) th.join();
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  cpu.Stop(r);
  r.load_after = LoadAverage();
  r.used_up = used_up;
  return r;
}

// Replaces the line starting with `key` (the first one) by `line`.
void SetLine(std::string& text, absl::string_view key, absl::string_view line) {
  size_t at = text.find(std::string(key));
  if (at == std::string::npos || (at > 0 && text[at - 1] != '\n')) return;
  size_t eol = text.find('\n', at);
  text.replace(at, (eol == std::string::npos ? text.size() : eol) - at, std::string(line));
}

// Points every profile at 127.0.0.1:port (also when a reused PKI's profiles
// name an earlier port).
absl::Status PointProfilesAt(const std::string& pki, int port) {
  for (const auto& e : std::filesystem::directory_iterator(pki + "/profiles")) {
    if (e.path().extension() != ".toml") continue;
    auto text = ReadFile(e.path().string());
    if (!text.ok()) return text.status();
    SetLine(*text, "server = ", absl::StrCat("server = \"127.0.0.1:", port, "\""));
    std::ofstream(e.path()) << *text;
  }
  return absl::OkStatus();
}

std::string SelfDir() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : p.parent_path().string();
}

int Main(int argc, char** argv) {
#ifdef NDEBUG
  // As in slussd_main.cc: Debian's Abseil records every Mutex acquisition
  // (gRPC's too) in a global deadlock graph; off for the echo server and the
  // clients, as it is off in release slussd.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
  Flags f;
  if (!ParseFlags(argc, argv, f)) return 2;
  if (std::getenv("SLUSS_BIN_DIR") == nullptr) ::setenv("SLUSS_BIN_DIR", SelfDir().c_str(), 1);

  const bool own_pki = f.pki.empty();
  std::string pki = own_pki ? testing::MakeTempDir("sluss-bench") : f.pki;
  if (own_pki) {
    if (absl::Status s = testing::MakeDevPki(pki); !s.ok()) {
      std::fprintf(stderr, "sluss-bench: %s\n", std::string(s.message()).c_str());
      return 1;
    }
  }
  // A fresh data dir every run; the per-agency rate limit off (it is a
  // protection for production, 50/s by default, not a cost).
  const std::string data = pki + "/bench-data";
  std::filesystem::remove_all(data);
  {
    auto cfg = ReadFile(pki + "/slussd.toml");
    if (!cfg.ok()) {
      std::fprintf(stderr, "sluss-bench: %s\n", std::string(cfg.status().message()).c_str());
      return 1;
    }
    std::string text = *cfg;
    SetLine(text, "data_dir = ", "data_dir = \"bench-data\"");
    SetLine(text, "listen = ", "listen = \"127.0.0.1:0\"");
    text += "rate_per_second = 0\n";  // [broker] is the last table dev-pki writes
    if (f.align_writes == 0) {  // slussd's default is true
      SetLine(text, "[diarium]", "[diarium]\nalign_writes_to_checkpoints = false");
    }
    std::ofstream(pki + "/bench-slussd.toml") << text;
  }
  auto server = testing::SlussdProcess::Start(pki + "/bench-slussd.toml");
  if (!server.ok()) {
    std::fprintf(stderr, "sluss-bench: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  if (absl::Status s = PointProfilesAt(pki, (*server)->port()); !s.ok()) {
    std::fprintf(stderr, "sluss-bench: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  std::fprintf(stderr, "sluss-bench: slussd pid %d on 127.0.0.1:%d, pki %s, %d clients on %d channel pairs\n",
               (*server)->pid(), (*server)->port(), pki.c_str(), f.concurrency, f.channels);

  size_t request_bytes = 0;
  {  // one round trip to learn the message size before the echo phase
    Pair p;
    auto a = MakeClient(pki, "cecilia.utredare");
    auto d = MakeClient(pki, "bo.beslutsfattare");
    if (!a.ok() || !d.ok()) {
      std::fprintf(stderr, "sluss-bench: cannot make clients\n");
      return 1;
    }
    p.asker = std::move(*a);
    p.decider = std::move(*d);
    Samples s;
    auto rt = RoundTrip(p, s, &request_bytes);
    if (!rt.ok()) {
      std::fprintf(stderr, "sluss-bench: first round trip: %s\n%s\n", rt.status().ToString().c_str(),
                   (*server)->Log().c_str());
      return 1;
    }
  }
  const size_t echo_bytes = f.echo_bytes > 0 ? static_cast<size_t>(f.echo_bytes) : request_bytes;

  // E S E S ... E (the file's head says why).
  const int slices = f.slices;
  const auto sluss_slice = std::chrono::milliseconds(1000LL * f.seconds / slices);
  const auto echo_slice = std::chrono::milliseconds(2000LL * f.echo_seconds / (slices + 1));
  std::vector<PhaseResult> echoes, slussen;
  // Between phases, outside both timings: the dirty pages written so far
  // go to disk and the last phase's connections close, so that neither
  // lands in the next phase.
  auto settle = [] {
    ::sync();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  };
  for (int i = 0; i <= slices; ++i) {
    if (i > 0) settle();
    std::fprintf(stderr, "sluss-bench: echo ceiling (%d/%d), %.1f s, %zu B\n", i + 1, slices + 1,
                 static_cast<double>(echo_slice.count()) / 1000, echo_bytes);
    auto echo = RunEcho(pki, f, 2 * f.channels, echo_bytes, (*server)->pid(), echo_slice);
    if (!echo.ok()) {
      std::fprintf(stderr, "sluss-bench: %s\n", echo.status().ToString().c_str());
      return 1;
    }
    echoes.push_back(*std::move(echo));
    if (i == slices) break;
    settle();
    std::fprintf(stderr, "sluss-bench: sluss round trips (%d/%d), %.1f s\n", i + 1, slices,
                 static_cast<double>(sluss_slice.count()) / 1000);
    auto part = RunSluss(pki, f, &request_bytes, (*server)->pid(), sluss_slice);
    if (!part.ok()) {
      std::fprintf(stderr, "sluss-bench: %s\n%s\n", part.status().ToString().c_str(), (*server)->Log().c_str());
      return 1;
    }
    slussen.push_back(*std::move(part));
  }
  const int stop = (*server)->Stop(SIGTERM);

  auto cps = [](const PhaseResult& r) { return r.seconds > 0 ? static_cast<double>(r.calls) / r.seconds : 0; };
  std::vector<double> echo_cps_each, ratio_each;
  for (const PhaseResult& e : echoes) echo_cps_each.push_back(cps(e));
  for (size_t i = 0; i < slussen.size(); ++i) {
    const double around = (echo_cps_each[i] + echo_cps_each[i + 1]) / 2;
    ratio_each.push_back(around > 0 ? cps(slussen[i]) / around : 0);
  }
  std::vector<double> sorted_ratios = ratio_each;
  std::sort(sorted_ratios.begin(), sorted_ratios.end());
  const double median_ratio = sorted_ratios.size() % 2 == 1
                                  ? sorted_ratios[sorted_ratios.size() / 2]
                                  : (sorted_ratios[sorted_ratios.size() / 2 - 1] + sorted_ratios[sorted_ratios.size() / 2]) / 2;
  // Each kind's phases together, as one.
  PhaseResult sluss = Merge(slussen);
  PhaseResult echo_merged = Merge(echoes);
  const double sluss_cps = cps(sluss);
  const double rts = static_cast<double>(sluss.round_trips) / sluss.seconds;
  double echo_cps = 0;
  for (double e : echo_cps_each) echo_cps += e / static_cast<double>(echo_cps_each.size());
  const double ratio = echo_cps > 0 ? sluss_cps / echo_cps : 0;
  const std::vector<int64_t>& echo_all = echo_merged.samples["Echo"];
  const Dist echo_d = Distribution(echo_all);
  double worst_p99 = 0;
  std::vector<int64_t> all_calls;
  const std::vector<std::string> kinds = {"Request", "Decide", "Open", "Acknowledge"};
  std::map<std::string, Dist> dists;
  for (const std::string& k : kinds) {
    const auto& v = sluss.samples[k];
    dists[k] = Distribution(v);
    worst_p99 = std::max(worst_p99, dists[k].p99_ms);
    all_calls.insert(all_calls.end(), v.begin(), v.end());
  }
  dists["RoundTrip"] = Distribution(sluss.samples["RoundTrip"]);
  const Dist all_d = Distribution(all_calls);
  const bool tput_met = ratio >= 0.25;
  const bool p99_met = worst_p99 <= 50.0;
  // CPU per call (microseconds): what the ratio tends to when the 2 cores
  // are the limit, whatever share of them other processes take.
  auto per_call_us = [](double cpu, uint64_t calls) { return calls > 0 ? 1e6 * cpu / static_cast<double>(calls) : 0; };
  const double echo_cpu_us = per_call_us(echo_merged.cpu_bench + echo_merged.cpu_slussd, echo_merged.calls);
  const double sluss_server_us = per_call_us(sluss.cpu_slussd, sluss.calls);
  const double sluss_client_us = per_call_us(sluss.cpu_bench, sluss.calls);
  const double cpu_ratio = sluss_server_us + sluss_client_us > 0 ? echo_cpu_us / (sluss_server_us + sluss_client_us) : 0;

  if (f.json) {
    nlohmann::json j;
    j["concurrency"] = f.concurrency;
    j["channel_pairs"] = f.channels;
    j["seconds"] = sluss.seconds;
    j["prepared_per_thread"] = f.prepared;
    j["prepared_used_up"] = sluss.used_up;
    j["align_writes_to_checkpoints"] = f.align_writes != 0;
    j["request_bytes"] = request_bytes;
    j["echo_bytes"] = echo_bytes;
    j["sluss"] = {{"calls_per_s", sluss_cps}, {"round_trips_per_s", rts}, {"calls", sluss.calls},
                  {"round_trips", sluss.round_trips}, {"errors", sluss.errors}, {"first_error", sluss.first_error},
                  {"load_before", sluss.load_before}, {"load_after", sluss.load_after}};
    for (const auto& [k, d] : dists) {
      j["sluss"]["latency_ms"][k] = {{"n", d.n}, {"p50", d.p50_ms}, {"p99", d.p99_ms}, {"max", d.max_ms}};
    }
    j["sluss"]["latency_ms"]["all_calls"] = {{"n", all_d.n}, {"p50", all_d.p50_ms}, {"p99", all_d.p99_ms}};
    j["echo"] = {{"calls_per_s", echo_cps}, {"calls_per_s_each", echo_cps_each},
                 {"errors", echo_merged.errors}, {"p50_ms", echo_d.p50_ms}, {"p99_ms", echo_d.p99_ms},
                 {"load_before", echo_merged.load_before}, {"load_after", echo_merged.load_after}};
    j["slices"] = slices;
    j["ratio"] = ratio;
    j["ratio_each_slice"] = ratio_each;
    j["ratio_median_slice"] = median_ratio;
    j["cpu_us_per_call"] = {{"echo", echo_cpu_us}, {"sluss_slussd", sluss_server_us}, {"sluss_clients", sluss_client_us},
                            {"ratio", cpu_ratio}};
    j["target"] = {{"throughput_met", tput_met}, {"p99_met", p99_met}, {"met", tput_met && p99_met}};
    j["slussd_exit"] = stop;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("sluss-bench: %d client threads on %d channel pairs, %.1f s; Request message %zu B, echo %zu B\n",
                f.concurrency, f.channels, sluss.seconds, request_bytes, echo_bytes);
    if (f.prepared > 0) {
      std::printf("clients: Request, Decide and Acknowledge signed and sealed before the timed phase (%d round trips "
                  "per thread%s); Open live\n",
                  f.prepared, sluss.used_up ? ", used up: the phase ended early" : "");
    } else {
      std::printf("clients: every call signed and sealed live, on the same cores as slussd\n");
    }
    std::printf("slussd: diarium.align_writes_to_checkpoints = %s\n", f.align_writes != 0 ? "true" : "false");
    std::printf("load average: %.2f before echo, %.2f before sluss, %.2f after sluss, %.2f after echo\n",
                echo_merged.load_before, sluss.load_before, sluss.load_after, echo_merged.load_after);
    std::printf("\n%-34s %10s %9s %9s %9s\n", "what", "n", "p50 ms", "p99 ms", "max ms");
    auto row = [](const std::string& name, const Dist& d) {
      std::printf("%-34s %10zu %9.2f %9.2f %9.2f\n", name.c_str(), d.n, d.p50_ms, d.p99_ms, d.max_ms);
    };
    row("Request", dists["Request"]);
    row("Decide (disclose, attested)", dists["Decide"]);
    row("Open (GetDisclosure+GetOfficer)", dists["Open"]);
    row("Acknowledge (sign + call)", dists["Acknowledge"]);
    row("all Sluss calls", all_d);
    row("round trip (incl. client crypto)", dists["RoundTrip"]);
    row("echo ceiling", echo_d);
    std::printf("\nSluss: %.0f calls/s (5 RPCs per round trip), %.1f round trips/s, %lu errors%s%s\n", sluss_cps,
                rts, static_cast<unsigned long>(sluss.errors), sluss.first_error.empty() ? "" : ", first: ",
                sluss.first_error.c_str());
    std::string each_echo, each_ratio;
    for (double e : echo_cps_each) absl::StrAppend(&each_echo, each_echo.empty() ? "" : ", ", static_cast<int64_t>(e));
    for (double r : ratio_each) {
      absl::StrAppend(&each_ratio, each_ratio.empty() ? "" : ", ", absl::StrFormat("%.1f", 100.0 * r));
    }
    std::printf("Echo ceiling: %.0f calls/s (phases in order: %s)\n", echo_cps, each_echo.c_str());
    std::printf("Ratio: %.1f %% of the ceiling (each Sluss phase against the echo phases around it: %s %%; median %.1f %%)\n",
                100.0 * ratio, each_ratio.c_str(), 100.0 * median_ratio);
    std::printf("CPU per call: echo %.0f us (server + clients); Sluss %.0f us (slussd %.0f + clients %.0f); "
                "CPU ratio %.1f %%\n",
                echo_cpu_us, sluss_server_us + sluss_client_us, sluss_server_us, sluss_client_us, 100.0 * cpu_ratio);
    std::printf("Target >= 25 %% of ceiling: %s; p99 <= 50 ms (worst kind %.1f ms): %s\n", tput_met ? "met" : "MISSED",
                worst_p99, p99_met ? "met" : "MISSED");
  }
  server->reset();
  if (own_pki && !f.keep) {
    std::error_code ec;
    std::filesystem::remove_all(pki, ec);
  } else {
    std::filesystem::remove_all(data);
  }
  return sluss.errors > 0 && sluss.round_trips == 0 ? 1 : 0;
}

}  // namespace
}  // namespace sluss::bench

int main(int argc, char** argv) { return sluss::bench::Main(argc, argv); }
