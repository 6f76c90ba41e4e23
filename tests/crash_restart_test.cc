// Integration: kill -9 slussd during a stream of disclosures, restart it on
// the same data directory: every acknowledged call is in the log, the
// projection is intact, and retries of the exact same calls get the
// original answers.
#include <signal.h>

#include <atomic>
#include <fstream>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "base/file.h"
#include "client/client.h"
#include "client/profile.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"

// LeakSanitizer (the asan preset): killing slussd mid-handshake sometimes
// leaves gRPC's client side holding an OpenSSL session it never frees
// (about 10 KB in libcrypto allocations, seen once in seven runs, never in
// Sluss's own frames). Suppressed for this test binary only.
extern "C" const char* __lsan_default_suppressions() { return "leak:libcrypto.so\n"; }

namespace sluss::testing {
namespace {

using client::SlussClient;

std::unique_ptr<SlussClient> Client(const std::string& pki, const std::string& profile) {
  auto p = client::LoadProfile(pki + "/profiles/" + profile + ".toml");
  EXPECT_TRUE(p.ok()) << p.status();
  SlussClient::Options o;
  o.call_timeout = absl::Seconds(5);
  auto c = SlussClient::Create(*p, o);
  EXPECT_TRUE(c.ok());
  return std::move(*c);
}

TEST(CrashRestartTest, Kill9DuringDisclosuresLosesNothingAcknowledged) {
  const std::string pki = MakeTempDir("crashpki");
  ASSERT_TRUE(MakeDevPki(pki).ok());
  std::ofstream(pki + "/slussd.toml", std::ios::app) << "rate_per_second = 0\n";
  auto server = SlussdProcess::Start(pki + "/slussd.toml");
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  ASSERT_TRUE(PointProfilesAt(pki, port).ok());
  // Restart on the same port, so the clients' channels reconnect.
  std::string cfg = *ReadFile(pki + "/slussd.toml");
  ASSERT_TRUE(WriteFileAtomically(pki + "/slussd.toml",
                                  absl::StrReplaceAll(cfg, {{"127.0.0.1:0", absl::StrCat("127.0.0.1:", port)}}), 0644,
                                  true)
                  .ok());

  auto polis = Client(pki, "cecilia.utredare");
  auto bo = Client(pki, "bo.beslutsfattare");
  constexpr int kCases = 40;
  std::vector<std::string> cases;
  for (int i = 0; i < kCases; ++i) {
    client::NewCase c;
    c.to.set_orgnr("212000-0142");
    c.to.set_function("socialtjanst");
    c.facts.add_categories("socialtjanst");
    c.facts.add_purposes("forebygga_brott");
    c.subject_id = "20061015-1235";
    c.text = absl::StrCat("Fråga ", i);
    auto r = polis->NewRequest(c);
    ASSERT_TRUE(r.ok()) << r.status();
    cases.push_back(r->logged().case_id());
  }
  std::vector<v1::Attestation> att(2);
  att[0].set_provision("10:18a");
  att[0].set_judgement("konkret_risk");
  att[0].set_motivation("m");
  att[1].set_provision("10:18a");
  att[1].set_judgement("inte_olampligt");
  att[1].set_motivation("m");
  std::vector<v1::DecideRequest> calls;
  for (int i = 0; i < kCases; ++i) {
    auto d = bo->BuildDisclose(cases[i], absl::StrCat("Svar ", i), att, "10:18a", absl::StrCat("disclose-", i));
    ASSERT_TRUE(d.ok()) << d.status();
    calls.push_back(*d);
  }

  // Two streams of disclosures; kill -9 once ten are acknowledged.
  absl::Mutex mu;
  std::map<int, v1::DecideResponse> acked;
  std::atomic<int> next{0};
  auto stream = [&] {
    for (int i = next++; i < kCases; i = next++) {
      auto r = bo->Decide(calls[i]);
      if (!r.ok()) continue;
      absl::MutexLock l(&mu);
      acked[i] = *r;
    }
  };
  std::thread t1(stream), t2(stream);
  {
    absl::MutexLock l(&mu);
    auto ten = [&]() { return acked.size() >= 10; };
    mu.Await(absl::Condition(&ten));
  }
  EXPECT_EQ((*server)->Stop(SIGKILL), -SIGKILL);
  t1.join();
  t2.join();
  ASSERT_GE(acked.size(), 10u);
  ASSERT_LT(acked.size(), static_cast<size_t>(kCases)) << "the kill came too late to test anything";

  auto restarted = SlussdProcess::Start(pki + "/slussd.toml");
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  // Fresh channels (the old ones are in reconnect backoff); the retried
  // calls are the exact bytes built before the crash.
  auto auditor = Client(pki, "frida.revisor");
  bo = Client(pki, "bo.beslutsfattare");
  polis = Client(pki, "cecilia.utredare");
  for (const auto& [i, resp] : acked) {
    // In the log, at the index the answer named, as that case's decision.
    auto e = auditor->GetEntries(resp.logged().log_index(), resp.logged().log_index() + 1);
    ASSERT_TRUE(e.ok()) << e.status();
    v1::DiariumEntry entry;
    ASSERT_TRUE(entry.ParseFromString(e->entries(0)));
    EXPECT_EQ(entry.decision().case_id(), cases[i]);
    // The projection knows it.
    auto h = bo->CaseHistory(cases[i]);
    ASSERT_TRUE(h.ok()) << h.status();
    EXPECT_EQ(h->summary().state(), v1::DISCLOSED);
    // The exact retry gets the original answer and writes nothing.
    auto again = bo->Decide(calls[i]);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_TRUE(again->logged().replayed());
    EXPECT_EQ(again->logged().log_index(), resp.logged().log_index());
    EXPECT_EQ(again->logged().diarienummer(), resp.logged().diarienummer());
  }
  // Every other call can be retried: it lands once (or was already in).
  for (int i = 0; i < kCases; ++i) {
    if (acked.count(i)) continue;
    auto r = bo->Decide(calls[i]);
    ASSERT_TRUE(r.ok()) << i << ": " << r.status();
  }
  auto inbox = bo->Inbox();
  ASSERT_TRUE(inbox.ok());
  EXPECT_EQ(inbox->cases_size(), 0);
  // The polis inbox now holds every disclosure.
  auto pin = polis->Inbox();
  ASSERT_TRUE(pin.ok());
  EXPECT_EQ(pin->cases_size(), kCases);
  EXPECT_EQ((*restarted)->Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace sluss::testing
