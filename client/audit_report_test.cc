// ComputeReport on hand-made cases: what is counted where, the period's
// edges in the report's time zone, the basis of a disclosure, the median.
#include "client/audit_report.h"

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sluss::client {
namespace {

int64_t Micros(absl::CivilSecond t, absl::TimeZone z) { return absl::ToUnixMicros(absl::FromCivil(t, z)); }

v1::DsseEnvelope Decide(bool disclose) {
  v1::Action a;
  if (disclose) a.mutable_decide()->mutable_disclose();
  else a.mutable_decide()->mutable_refuse()->add_reasons("nej");
  v1::DsseEnvelope env;
  env.set_payload(a.SerializeAsString());
  return env;
}

// An assessment allowing category "socialtjanst" under `allowed_by`.
v1::Assessment Allowed(std::vector<std::string> allowed_by) {
  v1::Assessment a;
  a.set_outcome(v1::ALLOWED);
  v1::CategoryAssessment* c = a.add_categories();
  c->set_category("socialtjanst");
  for (const auto& p : allowed_by) c->add_allowed_by(p);
  return a;
}

class ReportTest : public ::testing::Test {
 protected:
  ReportTest() { EXPECT_TRUE(absl::LoadTimeZone("Europe/Stockholm", &zone_)); }

  // A request at `asked` (basis `basis`), decided at `decided` (if set).
  ReportCase Request(absl::CivilSecond asked, const std::string& basis, std::optional<absl::CivilSecond> decided,
                     bool disclose, v1::Assessment decision_assessment = v1::Assessment(),
                     std::vector<std::string> attested = {}) {
    ReportCase c;
    c.discloser_name = "Socialnämnden";
    c.recipient_name = "Polisen";
    c.history.mutable_summary()->set_kind(v1::REQUEST);
    v1::DiariumEntry* req = c.history.add_entries()->mutable_entry();
    req->set_time_unix_micros(Micros(asked, zone_));
    req->mutable_request()->mutable_facts()->set_claimed_basis(basis);
    if (decided.has_value()) {
      v1::DiariumEntry* d = c.history.add_entries()->mutable_entry();
      d->set_time_unix_micros(Micros(*decided, zone_));
      *d->mutable_decision()->mutable_action() = Decide(disclose);
      *d->mutable_decision()->mutable_assessment() = decision_assessment;
      d->mutable_decision()->mutable_facts()->set_claimed_basis(basis);
      for (const auto& p : attested) d->mutable_decision()->mutable_facts()->add_attestations()->set_provision(p);
    }
    return c;
  }
  ReportCase Send(absl::CivilSecond at, v1::CaseKind kind, v1::Assessment a) {
    ReportCase c;
    c.discloser_name = "Skatteverket";
    c.recipient_name = "Polisen";
    c.history.mutable_summary()->set_kind(kind);
    v1::DiariumEntry* e = c.history.add_entries()->mutable_entry();
    e->set_time_unix_micros(Micros(at, zone_));
    *e->mutable_send()->mutable_assessment() = a;
    return c;
  }

  absl::TimeZone zone_;
};

TEST_F(ReportTest, CountsEachEventByItsOwnDayInTheZone) {
  std::vector<ReportCase> cases = {
      // Asked in December (outside), decided 1 January 00:30 Stockholm time
      // (still 31 December in UTC): the decision counts, the request does not.
      Request(absl::CivilSecond(2025, 12, 30, 10, 0, 0), "10:18a", absl::CivilSecond(2026, 1, 1, 0, 30, 0), true,
              Allowed({"10:18a"})),
      // Asked on the last day; decided after it: only the request counts.
      Request(absl::CivilSecond(2026, 3, 31, 23, 0, 0), "10:18a", absl::CivilSecond(2026, 4, 1, 9, 0, 0), false),
      // No basis cited, refused inside.
      Request(absl::CivilSecond(2026, 2, 1, 8, 0, 0), "", absl::CivilSecond(2026, 2, 1, 9, 0, 0), false),
  };
  ReportData r = ComputeReport(cases, absl::CivilDay(2026, 1, 1), absl::CivilDay(2026, 3, 31), zone_);
  EXPECT_EQ(r.total.requests, 2u);
  EXPECT_EQ(r.total.disclosures, 1u);
  EXPECT_EQ(r.total.refusals, 1u);
  EXPECT_EQ(r.by_provision["10:18a"].requests, 1u);
  EXPECT_EQ(r.by_provision["10:18a"].disclosures, 1u);
  EXPECT_EQ(r.by_provision["(ingen)"].refusals, 1u);
  EXPECT_EQ(r.by_provision["(ingen)"].requests, 1u);
  ASSERT_EQ(r.by_month.size(), 3u);  // every month of the period, empty ones too
  EXPECT_EQ(r.by_month["2026-01"].disclosures, 1u);
  EXPECT_EQ(r.by_month["2026-02"].refusals, 1u);
  EXPECT_EQ(r.by_month["2026-03"].requests, 1u);
  EXPECT_EQ(r.by_pair["Socialnämnden → Polisen"].requests, 2u);
  // Decisions in the period: the January one (asked in December) and February's.
  EXPECT_EQ(r.decided, 2u);
}

TEST_F(ReportTest, MedianOfAnEvenNumberIsTheMeanOfTheMiddleTwo) {
  std::vector<ReportCase> cases;
  const int minutes[] = {10, 30, 50, 600};
  for (int m : minutes) {
    cases.push_back(Request(absl::CivilSecond(2026, 5, 4, 8, 0, 0), "10:18a", absl::CivilSecond(2026, 5, 4, 8, m, 0), false));
  }
  ReportData r = ComputeReport(cases, absl::CivilDay(2026, 5, 1), absl::CivilDay(2026, 5, 31), zone_);
  EXPECT_EQ(r.decided, 4u);
  ASSERT_TRUE(r.median.has_value());
  EXPECT_EQ(*r.median, absl::Minutes(40));
  EXPECT_EQ(FormatMedian(r.median), "40 min");
  cases.pop_back();
  r = ComputeReport(cases, absl::CivilDay(2026, 5, 1), absl::CivilDay(2026, 5, 31), zone_);
  EXPECT_EQ(*r.median, absl::Minutes(30));
  EXPECT_EQ(FormatMedian(std::nullopt), "–");
  EXPECT_EQ(FormatMedian(absl::Hours(50)), "2 d 2 h");
}

TEST_F(ReportTest, DisclosureBasisPrefersTheCitedThenTheAttestedProvision) {
  const absl::CivilSecond t(2026, 6, 1, 12, 0, 0);
  std::vector<ReportCase> cases = {
      // Cited 10:27, which does not allow it; 10:18a was attested and does.
      Request(t, "10:27", t + 60, true, Allowed({"10:15a", "10:18a"}), {"10:18a"}),
      // Cited 10:18a, which allows it (10:15a does too, first in order).
      Request(t, "10:18a", t + 60, true, Allowed({"10:15a", "10:18a"})),
      // Own initiative: nothing cited or attested; the first provision allowing it.
      Send(t, v1::OWN_INITIATIVE, Allowed({"10:24"})),
      Send(t, v1::DUTY_NOTICE, Allowed({"10:28"})),
  };
  ReportData r = ComputeReport(cases, absl::CivilDay(2026, 6, 1), absl::CivilDay(2026, 6, 30), zone_);
  EXPECT_EQ(r.by_provision["10:18a"].disclosures, 2u);
  EXPECT_EQ(r.by_provision["10:27"].requests, 1u);
  EXPECT_EQ(r.by_provision["10:27"].disclosures, 0u);
  EXPECT_EQ(r.by_provision["10:24"].disclosures, 1u);
  EXPECT_EQ(r.by_provision["10:28"].disclosures, 1u);
  EXPECT_EQ(r.by_provision.count("10:15a"), 0u);
  EXPECT_EQ(r.own_initiative, 1u);
  EXPECT_EQ(r.duty_notices, 1u);
  EXPECT_EQ(r.total.disclosures, 4u);
}

TEST_F(ReportTest, HtmlIsSelfContainedAndEscapesNames) {
  ReportCase c = Send(absl::CivilSecond(2026, 6, 1, 12, 0, 0), v1::OWN_INITIATIVE, Allowed({"10:24"}));
  c.discloser_name = "A <script>&";
  ReportData r = ComputeReport({c}, absl::CivilDay(2026, 6, 1), absl::CivilDay(2026, 6, 30), zone_);
  const std::string html = RenderReportHtml(r);
  EXPECT_THAT(html, ::testing::HasSubstr("A &lt;script&gt;&amp; → Polisen"));
  EXPECT_THAT(html, ::testing::Not(::testing::HasSubstr("A <script>")));
  // In the embedded JSON "</" cannot close the script element early.
  c.discloser_name = "x</script><b>";
  r = ComputeReport({c}, absl::CivilDay(2026, 6, 1), absl::CivilDay(2026, 6, 30), zone_);
  EXPECT_THAT(RenderReportHtml(r), ::testing::Not(::testing::HasSubstr("x</script>")));
}

}  // namespace
}  // namespace sluss::client
