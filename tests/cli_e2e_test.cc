// Integration: the handläggare's commands of the real `sluss` binary against
// a real slussd (mTLS on loopback, temp RocksDB, deploy/dev-pki's profiles).
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "base/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/dev_suite.h"
#include "tests/support/process.h"

namespace sluss::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAnswer[] = "HEMLIGT-SVAR: känd sedan 2024, insats pågår (CLI-E2E-4711).";

class CliE2eTest : public DevServerSuite<CliE2eTest> {
 public:
  static constexpr char kPkiPrefix[] = "clipki";
};

TEST_F(CliE2eTest, Route1RequestAttestDiscloseOpenAcknowledge) {
  const std::string question = "Är personen känd av socialtjänsten? (CLI-E2E-Q)";
  // Human output: case id, diarienummer, log index, assessment, attestations.
  ProcessResult req = Sluss("cecilia.utredare",
                            {"request", "new", "--to", "212000-0142:socialtjanst", "--category", "socialtjanst",
                             "--purpose", "forebygga_brott", "--basis", "10:18a", "--subject", PersonAged19(),
                             "--question", question});
  ASSERT_EQ(req.exit_code, 0) << req.err;
  EXPECT_THAT(req.out, HasSubstr("diarienummer:"));
  EXPECT_THAT(req.out, HasSubstr("log index:"));
  EXPECT_THAT(req.out, HasSubstr("10:18a"));
  EXPECT_THAT(req.out, HasSubstr("--attest 10:18a:konkret_risk=MOTIVATION"));
  EXPECT_THAT(req.out, HasSubstr("--attest 10:18a:inte_olampligt=MOTIVATION"));
  const size_t at = req.out.find("case:");
  ASSERT_NE(at, std::string::npos);
  const std::string case_id = req.out.substr(req.out.find("c-", at), 26);

  // The beslutsfattare sees it in the inbox, as a table and as JSON.
  ProcessResult inbox = Sluss("bo.beslutsfattare", {"inbox"});
  ASSERT_EQ(inbox.exit_code, 0) << inbox.err;
  EXPECT_THAT(inbox.out, HasSubstr(case_id));
  EXPECT_THAT(inbox.out, HasSubstr("CASE"));
  nlohmann::json inbox_json = Json(Sluss("bo.beslutsfattare", {"--json", "inbox"}));
  bool found = false;
  for (const auto& c : inbox_json) found = found || c["case_id"] == case_id;
  EXPECT_TRUE(found);
  nlohmann::json outbox_json = Json(Sluss("cecilia.utredare", {"--json", "outbox"}));
  ASSERT_TRUE(outbox_json.is_array());

  // The question opens for the discloser.
  const std::string qdir = MakeTempDir("cliq");
  ProcessResult q = Sluss("bo.beslutsfattare", {"open", case_id, "--question", "--out", qdir});
  ASSERT_EQ(q.exit_code, 0) << q.err;
  EXPECT_EQ(*ReadFile(qdir + "/" + case_id + ".question.txt"), question);

  // Without the attestations: refused locally, naming both, exit 6.
  const std::string answer = WriteTemp("answer.txt", kAnswer);
  ProcessResult bare = Sluss("bo.beslutsfattare", {"decide", case_id, "--disclose", answer});
  EXPECT_EQ(bare.exit_code, 6);
  EXPECT_THAT(bare.err, HasSubstr("10:18a:konkret_risk, 10:18a:inte_olampligt"));
  ProcessResult half = Sluss("bo.beslutsfattare", {"decide", case_id, "--disclose", answer, "--attest",
                                                   "10:18a:konkret_risk=Upprepade iakttagelser."});
  EXPECT_EQ(half.exit_code, 6);
  EXPECT_THAT(half.err, HasSubstr("10:18a:inte_olampligt"));
  EXPECT_THAT(half.err, Not(HasSubstr("10:18a:konkret_risk,")));
  ProcessResult bad = Sluss("bo.beslutsfattare", {"decide", case_id, "--disclose", answer, "--attest", "konkret_risk"});
  EXPECT_EQ(bad.exit_code, 6);
  EXPECT_THAT(bad.err, HasSubstr("PROVISION:JUDGEMENT=MOTIVATION"));

  ProcessResult dec = Sluss("bo.beslutsfattare",
                            {"--json", "decide", case_id, "--disclose", answer, "--attest",
                             "10:18a:konkret_risk=Upprepade iakttagelser av rekrytering.", "--attest",
                             "10:18a:inte_olampligt=Pågående insats påverkas inte.", "--motivation",
                             "Utlämnas enligt 10:18a OSL."});
  ASSERT_EQ(dec.exit_code, 0) << dec.err;
  EXPECT_EQ(Json(dec)["assessment"]["outcome"], "ALLOWED");

  // The police open it: the file holds the answer; a receipt is logged.
  const std::string out = MakeTempDir("cliopen");
  ProcessResult opened = Sluss("cecilia.utredare", {"open", case_id, "--out", out});
  ASSERT_EQ(opened.exit_code, 0) << opened.err;
  EXPECT_EQ(*ReadFile(out + "/" + case_id + ".txt"), kAnswer);
  EXPECT_THAT(opened.out, HasSubstr("signed by bo.beslutsfattare"));
  EXPECT_THAT(opened.out, HasSubstr("Receipt recorded"));

  // Every step in the history.
  ProcessResult show = Sluss("cecilia.utredare", {"case", "show", case_id});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_THAT(show.out, HasSubstr("state:       received"));
  EXPECT_THAT(show.out, HasSubstr("request  by cecilia.utredare"));
  EXPECT_THAT(show.out, HasSubstr("decision (disclose)  by bo.beslutsfattare"));
  EXPECT_THAT(show.out, HasSubstr("receipt  by cecilia.utredare"));
  EXPECT_THAT(show.out, HasSubstr("10:18a:konkret_risk (bo.beslutsfattare)"));
  nlohmann::json hist = Json(Sluss("cecilia.utredare", {"--json", "case", "show", case_id}));
  ASSERT_EQ(hist["entries"].size(), 3u);
  EXPECT_EQ(hist["summary"]["state"], "RECEIVED");
  EXPECT_THAT(show.out, Not(HasSubstr(kAnswer)));

  // The auditor downloads the live log and verifies it; a second fetch
  // keeps the old checkpoint for the consistency check.
  const std::string exp = MakeTempDir("cliexport") + "/log";
  ProcessResult fetched = Sluss("frida.revisor", {"audit", "fetch", "--out", exp});
  ASSERT_EQ(fetched.exit_code, 0) << fetched.err;
  // Trusting only the verifier key derived offline from the log's public key
  // (deploy/dev-pki: sluss note-vkey), not the one the server publishes.
  const std::string vkey_file = *pki_ + "/log-signing.vkey";
  ProcessResult verified =
      Sluss("frida.revisor", {"audit", "verify", "--export", exp, "--vkey-file", vkey_file});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_THAT(verified.err, Not(HasSubstr("warning")));
  ProcessResult published = Sluss("frida.revisor", {"audit", "vkey", "--export", exp});
  ASSERT_EQ(published.exit_code, 0) << published.err;
  EXPECT_EQ(published.out, *ReadFile(vkey_file));
  ProcessResult derived = RunProcess({Bin("sluss"), "--json", "note-vkey", "--pub", *pki_ + "/log-signing.pub",
                                      "--name", "sluss.dev/diarium"}).value();
  ASSERT_EQ(derived.exit_code, 0) << derived.err;
  EXPECT_EQ(nlohmann::json::parse(derived.out)["vkey"].get<std::string>() + "\n", published.out);
  // The export `audit fetch` wrote verifies with Go's x/mod note and tlog.
  absl::StatusOr<std::string> tlogverify = BuildTlogVerify(MakeTempDir("clitlog"));
  ASSERT_TRUE(tlogverify.ok()) << tlogverify.status();
  ProcessResult go = RunProcess({*tlogverify, "-dir", exp}).value();
  EXPECT_EQ(go.exit_code, 0) << go.out << go.err;
  EXPECT_THAT(go.out, HasSubstr("OK checkpoint sluss.dev/diarium size"));
  RequestAged19("En fråga till, så loggen växer.");
  ASSERT_EQ(Sluss("frida.revisor", {"audit", "fetch", "--out", exp}).exit_code, 0);
  ProcessResult again = Sluss("frida.revisor", {"--json", "audit", "verify", "--export", exp});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_GE(Json(again)["signatures_verified"], 4);  // 2 requests, the decision, the receipt
  // Replaying the real log: the broker's state rebuilt, every assessment re-run.
  ProcessResult replay = Sluss("frida.revisor", {"--json", "audit", "replay", "--export", exp});
  EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  nlohmann::json rj = Json(replay);
  EXPECT_EQ(rj["ok"], true);
  EXPECT_GE(rj["disclosures"], 1);
  EXPECT_GE(rj["assessments"], 3);
  // A handläggare may not fetch the log.
  EXPECT_EQ(Sluss("cecilia.utredare", {"audit", "fetch", "--out", MakeTempDir("clinot")}).exit_code, 3);
}

TEST_F(CliE2eTest, RefusalAndErrors) {
  const std::string case_id = RequestAged19("Fråga som avslås.");
  ProcessResult noreason = Sluss("bo.beslutsfattare", {"decide", case_id, "--refuse"});
  EXPECT_EQ(noreason.exit_code, 6);
  EXPECT_THAT(noreason.err, HasSubstr("--reason"));
  ProcessResult refused = Sluss("bo.beslutsfattare", {"--json", "decide", case_id, "--refuse", "--reason",
                                                      "Risken är inte konkret."});
  ASSERT_EQ(refused.exit_code, 0) << refused.err;
  EXPECT_EQ(Json(refused)["logged"]["case_id"], case_id);
  ProcessResult show = Sluss("cecilia.utredare", {"case", "show", case_id});
  EXPECT_THAT(show.out, HasSubstr("state:       refused"));
  EXPECT_THAT(show.out, HasSubstr("decision (refuse)  by bo.beslutsfattare"));
  // Nothing to open: not found (4).
  ProcessResult open = Sluss("cecilia.utredare", {"open", case_id, "--out", MakeTempDir("clinone")});
  EXPECT_EQ(open.exit_code, 4) << open.err;
  // An officer without beslutsrätt: denied (3).
  const std::string other = RequestAged19("Ännu en fråga.");
  ProcessResult anna = Sluss("anna.handlaggare", {"decide", other, "--refuse", "--reason", "x"});
  EXPECT_EQ(anna.exit_code, 3) << anna.err;
  // Unknown case: not found (4); usage errors: 2.
  EXPECT_EQ(Sluss("cecilia.utredare", {"case", "show", "c-000000000000000000000000"}).exit_code, 4);
  EXPECT_EQ(Sluss("cecilia.utredare", {"request", "new", "--subject", "x"}).exit_code, 2);
  ProcessResult badto = Sluss("cecilia.utredare", {"request", "new", "--to", "socialtjanst", "--category", "x",
                                                   "--subject", PersonAged19(), "--question", "q"});
  EXPECT_EQ(badto.exit_code, 6);
  EXPECT_THAT(badto.err, HasSubstr("ORGNR:FUNCTION"));
}

}  // namespace
}  // namespace sluss::testing
