// Integration: the broker's protections in a real slussd (loopback, mTLS,
// temp RocksDB): the per-agency rate limit, and a failed diarium append
// turning health NOT_SERVING (made to fail through the test-only
// [testing] fail_diarium_sync_if_exists key, docs/OPERATIONS.md).
#include <signal.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/file.h"
#include "client/client.h"
#include "client/profile.h"
#include "exchange/action.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"

namespace sluss::testing {
namespace {

using ::testing::HasSubstr;
using client::SlussClient;

// A dev PKI with `extra` appended to slussd.toml's [broker] table (the last
// one dev-pki writes), and slussd running on it.
struct Running {
  std::string pki;
  std::unique_ptr<SlussdProcess> server;
};

void Start(const std::string& extra, Running* s) {
  s->pki = MakeTempDir("limitspki");
  absl::Status made = MakeDevPki(s->pki);
  ASSERT_TRUE(made.ok()) << made;
  std::ofstream(s->pki + "/slussd.toml", std::ios::app) << extra;
  auto server = SlussdProcess::Start(s->pki + "/slussd.toml");
  ASSERT_TRUE(server.ok()) << server.status();
  s->server = *std::move(server);
  ASSERT_TRUE(PointProfilesAt(s->pki, s->server->port()).ok());
}

std::unique_ptr<SlussClient> Client(const Running& s, const std::string& profile) {
  auto p = client::LoadProfile(s.pki + "/profiles/" + profile + ".toml");
  EXPECT_TRUE(p.ok()) << p.status();
  auto c = SlussClient::Create(*p, SlussClient::Options());
  EXPECT_TRUE(c.ok());
  return std::move(*c);
}

// The log size by the latest checkpoint (a read: neither rate-limited nor
// refused after a failure).
uint64_t LogSize(const Running& s) {
  auto cp = Client(s, "frida.revisor")->GetCheckpoint();
  EXPECT_TRUE(cp.ok()) << cp.status();
  if (!cp.ok()) return 0;
  std::vector<std::string> lines = absl::StrSplit(cp->checkpoint(), '\n');
  uint64_t n = 0;
  EXPECT_TRUE(absl::SimpleAtoi(lines.at(1), &n));
  return n;
}

client::NewCase YoungAtRisk() {
  client::NewCase c;
  c.to.set_orgnr("212000-0142");
  c.to.set_function("socialtjanst");
  c.facts.add_categories("socialtjanst");
  c.facts.add_purposes("forebygga_brott");
  c.subject_id = "20061015-1235";
  c.text = "Fråga enligt 10:18a OSL.";
  return c;
}

TEST(LimitsTest, RateLimitPerAgencyIsResourceExhaustedAndWritesNothing) {
  Running s;
  // One change per 1,000 s after a burst of 2: the third change is refused
  // however slowly the test runs.
  ASSERT_NO_FATAL_FAILURE(Start("rate_per_second = 0.001\nrate_burst = 2\n", &s));
  auto polis = Client(s, "cecilia.utredare");
  auto first = polis->NewRequest(YoungAtRisk());
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(polis->NewRequest(YoungAtRisk()).ok());
  const uint64_t size = LogSize(s);
  auto third = polis->NewRequest(YoungAtRisk());
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted) << third.status();
  EXPECT_THAT(std::string(third.status().message()), HasSubstr("rate limit: agency 202100-0076/polis"));
  EXPECT_EQ(LogSize(s), size) << "a rate-limited call wrote";
  // Per agency: the kommun still has its own budget.
  auto bo = Client(s, "bo.beslutsfattare");
  auto refused = bo->Refuse(first->logged().case_id(), {"Nej."});
  EXPECT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(LogSize(s), size + 1);
}

TEST(LimitsTest, FailedAppendTurnsHealthNotServingAndLeavesNoOrphan) {
  Running s;
  const std::string dir = MakeTempDir("limitsfault");
  const std::string trigger = dir + "/fail-sync";
  ASSERT_NO_FATAL_FAILURE(Start(absl::StrCat("[testing]\nfail_diarium_sync_if_exists = \"", trigger, "\"\n"), &s));
  EXPECT_THAT(s.server->Log(), HasSubstr("TESTING: diarium syncs fail"));
  auto polis = Client(s, "cecilia.utredare");
  ASSERT_TRUE(polis->NewRequest(YoungAtRisk()).ok());
  auto health = polis->CheckHealth();
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->status, "SERVING");

  ASSERT_TRUE(WriteFileAtomically(trigger, "", 0644, true).ok());
  client::NewCase failing = YoungAtRisk();
  failing.idempotency_key = "fails-to-sync";
  auto r = polis->NewRequest(failing);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("the diarium append failed"));
  health = polis->CheckHealth();
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->status, "NOT_SERVING");
  EXPECT_THAT(s.server->Log(), HasSubstr("no longer serving"));
  // Further changes are refused before they reach the diarium; reads work.
  auto again = polis->NewRequest(YoungAtRisk());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kUnavailable) << again.status();
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("not accepting changes"));
  EXPECT_TRUE(polis->Outbox().ok());

  // Restart with the disk healthy again. The failed call's outcome is
  // unknown (its record may have reached the disk before the sync failed),
  // but its envelope never exists without its entry: either the case is
  // there and its question opens, or neither is.
  s.server->Stop(SIGTERM);
  ASSERT_EQ(std::remove(trigger.c_str()), 0);
  auto restarted = SlussdProcess::Start(s.pki + "/slussd.toml");
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  s.server = *std::move(restarted);
  // The profiles name the first port; make them name the new one.
  for (const char* name : {"cecilia.utredare", "bo.beslutsfattare", "frida.revisor"}) {
    const std::string path = s.pki + "/profiles/" + name + ".toml";
    std::string text = *ReadFile(path);
    std::vector<std::string> lines = absl::StrSplit(text, '\n');
    for (std::string& l : lines) {
      if (absl::StartsWith(l, "server = ")) l = absl::StrCat("server = \"127.0.0.1:", s.server->port(), "\"");
    }
    ASSERT_TRUE(WriteFileAtomically(path, absl::StrJoin(lines, "\n"), 0644, true).ok());
  }
  polis = Client(s, "cecilia.utredare");
  health = polis->CheckHealth();
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->status, "SERVING");
  auto me = polis->MyAgency();
  ASSERT_TRUE(me.ok()) << me.status();
  const std::string case_id = exchange::CaseIdFor(*me, "fails-to-sync");
  auto bo = Client(s, "bo.beslutsfattare");
  auto hist = polis->CaseHistory(case_id);
  if (hist.ok()) {
    auto q = bo->Open(case_id, v1::GetDisclosureRequest::QUESTION);
    EXPECT_TRUE(q.ok()) << "the case survived without its envelope: " << q.status();
  } else {
    EXPECT_EQ(hist.status().code(), absl::StatusCode::kNotFound) << hist.status();
  }
  // And the broker accepts changes again.
  EXPECT_TRUE(polis->NewRequest(YoungAtRisk()).ok());
}

}  // namespace
}  // namespace sluss::testing
