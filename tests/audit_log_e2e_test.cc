// End to end: the built `sluss audit verify | replay | export` on Sluss logs
// written in this test straight through the storage library
// (tests/support/sluss_log.h over storage::Diarium, checkpoints signed by the
// log's key) — so the tree always verifies and only what a broker wrote
// into the entries can be wrong: a forged officer signature, a reference to
// a later entry, a disclosure the gate would not have allowed.
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/file.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "exchange/action.h"
#include "gate/assess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"
#include "tests/support/sluss_log.h"

namespace sluss::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// Preamble: 0-2 agencies, 3-7 officers, 8 rulebook chunk, 9 activation;
// then case n at 10 + 3n (request, decision, receipt) until case 3, whose
// request follows the key rotation (entry 19). Case 4 is refused.
constexpr uint64_t kEntries = 60;

class AuditLogE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir("audit-log"); }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes a log whose entry `index` is first passed to `alter`.
  void Write(std::function<void(SlussLogGenerator&, uint64_t, v1::DiariumEntry&)> alter = nullptr) {
    auto gen = SlussLogGenerator::Create({});
    ASSERT_TRUE(gen.ok()) << gen.status();
    gen_ = *std::move(gen);
    WriteLogOptions w;
    w.dir = dir_;
    w.history = {20};
    std::function<void(uint64_t, v1::DiariumEntry&)> a;
    if (alter) a = [this, alter](uint64_t i, v1::DiariumEntry& e) { alter(*gen_, i, e); };
    auto n = WriteSlussLog(w, SlussLogStream(*gen_, kEntries, a));
    ASSERT_TRUE(n.ok()) << n.status();
    vkey_ = std::string(absl::StripAsciiWhitespace(*ReadFile(dir_ + "/log.vkey")));
  }

  ProcessResult Audit(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {Bin("sluss"), "audit"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--export");
    argv.push_back(dir_ + "/export");
    argv.push_back("--vkey");
    argv.push_back(vkey_);
    absl::StatusOr<ProcessResult> r = RunProcess(argv);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : ProcessResult();
  }

  static nlohmann::json Json(const ProcessResult& r) {
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
  }

  // `audit verify --json` fails (exit 7) first at `index` with `kind`.
  void ExpectVerifyFails(uint64_t index, const std::string& kind, const std::string& why) {
    ProcessResult r = Audit({"verify", "--json"});
    EXPECT_EQ(r.exit_code, 7) << r.out << r.err;
    nlohmann::json j = Json(r);
    EXPECT_EQ(j["ok"], false);
    EXPECT_EQ(j["first_bad_index"], index) << r.out;
    ASSERT_FALSE(j["problems"].empty());
    EXPECT_EQ(j["problems"][0]["kind"], kind) << r.out;
    EXPECT_THAT(j["problems"][0]["message"].get<std::string>(), HasSubstr(why));
    ProcessResult t = Audit({"verify"});
    EXPECT_EQ(t.exit_code, 7);
    EXPECT_THAT(t.out, HasSubstr(absl::StrCat("FAILED: first bad entry ", index, " (", kind, ")")));
    // The tree itself verifies: only the entry is wrong.
    EXPECT_THAT(t.out, HasSubstr("verified\n"));
    EXPECT_THAT(t.out, Not(HasSubstr("DOES NOT MATCH")));
  }

  std::string dir_, vkey_;
  std::unique_ptr<SlussLogGenerator> gen_;
};

TEST_F(AuditLogE2eTest, AValidLogVerifiesAndReplays) {
  Write();
  ProcessResult v = Audit({"verify", "--json"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  nlohmann::json j = Json(v);
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["entries_checked"], kEntries);
  // Every entry after the preamble is signed but the key rotation (19).
  EXPECT_EQ(j["signatures_verified"], kEntries - 10 - 1);
  EXPECT_EQ(v.err, "");  // not a terminal: no progress bar
  ProcessResult r = Audit({"replay"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_THAT(r.out, HasSubstr("OK: every disclosure was allowed by the rulebook active at its index"));
  nlohmann::json rj = Json(Audit({"replay", "--json"}));
  EXPECT_EQ(rj["ok"], true);
  EXPECT_EQ(rj["size"], kEntries);
  EXPECT_EQ(rj["rulebooks"], 1);
  EXPECT_GT(rj["disclosures"], 5);
}

TEST_F(AuditLogE2eTest, ForgedOfficerSignatureNamesItsIndex) {
  // Entry 14 (case 1's decision) carries bo.beslutsfattare's action signed
  // with another key; the log key signs the tree as usual.
  Write([](SlussLogGenerator& g, uint64_t i, v1::DiariumEntry& e) {
    if (i != 14) return;
    ASSERT_TRUE(e.has_decision());
    auto action = exchange::ParseActionUnverified(e.decision().action());
    ASSERT_TRUE(action.ok());
    auto forger = crypto::Ed25519SigningKey::FromSeed(std::string(32, 'F'));
    ASSERT_TRUE(forger.ok());
    *e.mutable_decision()->mutable_action() = g.Sign(*action, &*forger);
  });
  ExpectVerifyFails(14, "signature_invalid",
                    "entry 14 (decision): the signature of officer bo.beslutsfattare does not verify with the key "
                    "registered at entry 4");
}

TEST_F(AuditLogE2eTest, SignatureWithAKeyRegisteredOnlyLaterFails) {
  // cecilia.utredare's key is rotated at entry 19; entry 16 (case 2's
  // request) is signed with the new key, before it was registered.
  Write([](SlussLogGenerator& g, uint64_t i, v1::DiariumEntry& e) {
    if (i != 16) return;
    ASSERT_TRUE(e.has_request());
    auto action = exchange::ParseActionUnverified(e.request().action());
    ASSERT_TRUE(action.ok());
    auto later = crypto::Ed25519SigningKey::FromSeed(
        std::string(crypto::AsStringView(crypto::Sha256("sluss-log-1-cecilia.utredare-rotated-1"))).substr(0, 32));
    ASSERT_TRUE(later.ok());
    *e.mutable_request()->mutable_action() = g.Sign(*action, &*later);
  });
  ExpectVerifyFails(16, "signature_invalid", "does not verify with the key registered at entry 6");
}

TEST_F(AuditLogE2eTest, ReferenceToALaterEntryFails) {
  // Entry 11 (case 0's decision) is made to decide case 2, which entry 16
  // opens later; the decider signs that (so the signature verifies).
  const std::string later_case = exchange::CaseIdFor(
      [] {
        v1::AgencyRef r;
        r.set_orgnr("202100-0076");
        r.set_function("polis");
        return r;
      }(),
      "pol-req-2");
  Write([later_case](SlussLogGenerator& g, uint64_t i, v1::DiariumEntry& e) {
    if (i != 11) return;
    ASSERT_TRUE(e.has_decision());
    auto action = exchange::ParseActionUnverified(e.decision().action());
    ASSERT_TRUE(action.ok());
    action->mutable_decide()->set_case_id(later_case);
    e.mutable_decision()->set_case_id(later_case);
    *e.mutable_decision()->mutable_action() = g.Sign(*action);
  });
  ExpectVerifyFails(11, "reference_invalid",
                    absl::StrCat("entry 11 (decision) refers to case ", later_case, ", which no earlier entry opens"));
}

TEST_F(AuditLogE2eTest, ReplayCatchesADisclosureThatSkippedTheGate) {
  // Entry 14: bo.beslutsfattare discloses case 1 without attesting the
  // judgements 10:18a requires, and the broker logs it as ALLOWED (the
  // assessment copied from a proper disclosure) — what a broker that skips
  // the gate would write. Signatures and tree are fine.
  Write([](SlussLogGenerator& g, uint64_t i, v1::DiariumEntry& e) {
    if (i != 14) return;
    ASSERT_TRUE(e.has_decision());
    auto action = exchange::ParseActionUnverified(e.decision().action());
    ASSERT_TRUE(action.ok());
    action->mutable_decide()->mutable_disclose()->clear_attestations();
    *e.mutable_decision()->mutable_action() = g.Sign(*action);
    e.mutable_decision()->mutable_facts()->clear_attestations();
    ASSERT_EQ(e.decision().assessment().outcome(), v1::ALLOWED);
  });
  EXPECT_EQ(Audit({"verify"}).exit_code, 0);  // nothing wrong with the bytes
  ProcessResult r = Audit({"replay", "--json"});
  EXPECT_EQ(r.exit_code, 8) << r.out << r.err;
  nlohmann::json j = Json(r);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["first_bad_index"], 14);
  std::set<std::string> kinds;
  for (const auto& f : j["findings"]) {
    EXPECT_EQ(f["index"], 14) << f;
    kinds.insert(f["kind"].get<std::string>());
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"outcome_differs", "attestation_missing"})) << r.out;
  ProcessResult t = Audit({"replay"});
  EXPECT_EQ(t.exit_code, 8);
  EXPECT_THAT(t.out, HasSubstr("FAILED: 2 findings; first bad entry 14"));
  EXPECT_THAT(t.out, HasSubstr("recorded outcome ALLOWED, but the gate under sha256:"));
  EXPECT_THAT(t.out, HasSubstr("says ALLOWED_IF_ATTESTED"));
  EXPECT_THAT(t.out, HasSubstr("disclosed without the attestations the rules require (socialtjanst under "));
  EXPECT_THAT(t.out, HasSubstr("socialtjanst under 10:18a: konkret_risk, inte_olampligt)"));
}

TEST_F(AuditLogE2eTest, ReplayCatchesADisclosureTheRulesDidNotAllow) {
  // Case 1 is a request without a purpose about a 30-year-old (entry 13,
  // honestly assessed NOT_ALLOWED); the broker still logs the disclosure at
  // entry 14 as ALLOWED, signed by the decider.
  Write([](SlussLogGenerator& g, uint64_t i, v1::DiariumEntry& e) {
    if (i == 13) {
      ASSERT_TRUE(e.has_request());
      auto a = exchange::ParseActionUnverified(e.request().action());
      ASSERT_TRUE(a.ok());
      a->mutable_request()->mutable_facts()->clear_purposes();
      *e.mutable_request()->mutable_action() = g.Sign(*a);
      v1::RequestEntry* r = e.mutable_request();
      r->mutable_facts()->clear_purposes();
      r->mutable_facts()->mutable_subject()->set_age_years(30);
      absl::CivilDay day;
      ASSERT_TRUE(absl::ParseCivilTime(r->decision_date(), &day));
      auto assessed = gate::Assess(g.rulebook(), r->facts(), day);
      ASSERT_TRUE(assessed.ok());
      ASSERT_EQ(assessed->outcome(), v1::NOT_ALLOWED);
      *r->mutable_assessment() = *assessed;
    }
    if (i == 14) {
      ASSERT_TRUE(e.has_decision());
      e.mutable_decision()->mutable_facts()->clear_purposes();
      e.mutable_decision()->mutable_facts()->mutable_subject()->set_age_years(30);
      ASSERT_EQ(e.decision().assessment().outcome(), v1::ALLOWED);
    }
  });
  EXPECT_EQ(Audit({"verify"}).exit_code, 0);
  ProcessResult r = Audit({"replay", "--json"});
  EXPECT_EQ(r.exit_code, 8) << r.out << r.err;
  nlohmann::json j = Json(r);
  EXPECT_EQ(j["first_bad_index"], 14) << r.out;
  std::set<std::string> kinds;
  for (const auto& f : j["findings"]) {
    EXPECT_EQ(f["index"], 14) << f;
    kinds.insert(f["kind"].get<std::string>());
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"outcome_differs", "disclosure_not_allowed"})) << r.out;
  EXPECT_THAT(Audit({"replay"}).out,
              HasSubstr("disclosed socialtjanst, which the rules in force on 2026-03-02 do not allow"));
}

TEST_F(AuditLogE2eTest, ReplayCatchesABackdatedDecisionAndAForeignAttestation) {
  // Entry 14 (case 1's disclosure) is assessed as of a day months before it
  // was logged; entry 17 (case 2's disclosure) carries an attestation that
  // names another officer than its signer. Both signed, both ALLOWED.
  Write([](SlussLogGenerator& g, uint64_t i, v1::DiariumEntry& e) {
    if (i == 14) {
      ASSERT_TRUE(e.has_decision());
      e.mutable_decision()->set_decision_date("2025-12-01");
      e.mutable_decision()->mutable_assessment()->set_decision_date("2025-12-01");
    }
    if (i == 17) {
      ASSERT_TRUE(e.has_decision());
      auto action = exchange::ParseActionUnverified(e.decision().action());
      ASSERT_TRUE(action.ok());
      ASSERT_GT(action->decide().disclose().attestations_size(), 0);
      action->mutable_decide()->mutable_disclose()->mutable_attestations(0)->set_officer("anna.annan");
      *e.mutable_decision()->mutable_action() = g.Sign(*action);
      e.mutable_decision()->mutable_facts()->mutable_attestations(0)->set_officer("anna.annan");
    }
  });
  EXPECT_EQ(Audit({"verify"}).exit_code, 0);
  ProcessResult r = Audit({"replay", "--json"});
  EXPECT_EQ(r.exit_code, 8) << r.out << r.err;
  nlohmann::json j = Json(r);
  std::set<std::pair<uint64_t, std::string>> found;
  for (const auto& f : j["findings"]) found.insert({f["index"].get<uint64_t>(), f["kind"].get<std::string>()});
  EXPECT_EQ(found, (std::set<std::pair<uint64_t, std::string>>{{14, "date_differs"}, {17, "attestation_foreign"}}))
      << r.out;
  ProcessResult t = Audit({"replay"});
  EXPECT_THAT(t.out, HasSubstr("assessed as of 2025-12-01, but the entry was logged at 2026-"));
  EXPECT_THAT(t.out, HasSubstr("names officer \"anna.annan\", but bo.beslutsfattare signed it"));
}

TEST_F(AuditLogE2eTest, CsvExportHasNoPersonalDataInClear) {
  // Officers typed personnummer into free text: a request's summary, a
  // disclosure's motivation and an attestation's motivation.
  constexpr char kPnr[] = "19121212-1212";
  constexpr char kPnr2[] = "200501019876";
  Write([&](SlussLogGenerator& g, uint64_t i, v1::DiariumEntry& e) {
    if (e.has_request() && i == 10) {
      auto a = exchange::ParseActionUnverified(e.request().action());
      ASSERT_TRUE(a.ok());
      a->mutable_request()->set_summary(absl::StrCat("Gäller ", kPnr));
      *e.mutable_request()->mutable_action() = g.Sign(*a);
    }
    if (e.has_decision() && i == 11) {
      auto a = exchange::ParseActionUnverified(e.decision().action());
      ASSERT_TRUE(a.ok());
      a->mutable_decide()->mutable_disclose()->set_motivation(absl::StrCat("Avser ", kPnr2));
      a->mutable_decide()->mutable_disclose()->mutable_attestations(0)->set_motivation(kPnr);
      *e.mutable_decision()->mutable_action() = g.Sign(*a);
      *e.mutable_decision()->mutable_facts()->mutable_attestations(0) = a->decide().disclose().attestations(0);
    }
  });
  EXPECT_EQ(Audit({"verify"}).exit_code, 0);
  ProcessResult entries = Audit({"export", "--csv"});
  ASSERT_EQ(entries.exit_code, 0) << entries.err;
  std::vector<std::string> rows = absl::StrSplit(entries.out, "\r\n", absl::SkipEmpty());
  ASSERT_EQ(rows.size(), kEntries + 1);
  EXPECT_EQ(rows[0],
            "index,time_utc,kind,case_id,from_agency,to_agency,from_diarienummer,to_diarienummer,officer,"
            "categories,decision,outcome,decision_date,rulebook,subject_pseudonym,entry_sha256");
  EXPECT_THAT(rows[11], HasSubstr(",request,c-"));
  EXPECT_THAT(rows[11], HasSubstr(",cecilia.utredare,socialtjanst,,ALLOWED_IF_ATTESTED,2026-03-02,sha256:"));
  EXPECT_THAT(rows[12], HasSubstr(",decision,"));
  EXPECT_THAT(rows[12], HasSubstr(",bo.beslutsfattare,socialtjanst,disclose,ALLOWED,"));
  const std::string out_file = dir_ + "/cases.csv";
  ProcessResult cases = Audit({"export", "--csv", "--rows", "cases", "--out", out_file});
  ASSERT_EQ(cases.exit_code, 0) << cases.err;
  const std::string cases_csv = *ReadFile(out_file);
  EXPECT_THAT(cases_csv, HasSubstr("case_id,kind,opened_utc,"));
  for (const std::string* csv : std::vector<const std::string*>{&entries.out, &cases_csv}) {
    EXPECT_THAT(*csv, Not(HasSubstr(kPnr)));
    EXPECT_THAT(*csv, Not(HasSubstr("121212-1212")));
    EXPECT_THAT(*csv, Not(HasSubstr(kPnr2)));
    EXPECT_THAT(*csv, Not(HasSubstr("Gäller")));
  }
  // ...while the log itself holds them (the test would pass vacuously otherwise).
  ProcessResult raw = Audit({"entry", "--index", "10", "--raw"});
  EXPECT_THAT(raw.out, HasSubstr(kPnr));
}

}  // namespace
}  // namespace sluss::testing
