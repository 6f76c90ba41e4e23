// LEGAL-MODEL.md §8, the worked examples, one test per row.
#include "gate/assess.h"
#include "gate/test_util.h"
#include "gtest/gtest.h"

namespace sluss::gate {
namespace {

using testing::Bundled;
using testing::Day;
using testing::Describe;
using testing::HasReason;
using testing::ParseFacts;
using testing::Result;

v1::Assessment RunExample(const char* facts, const char* date) {
  absl::StatusOr<v1::Assessment> a = Assess(Bundled(), ParseFacts(facts), Day(date));
  EXPECT_TRUE(a.ok()) << a.status();
  return a.ok() ? *a : v1::Assessment();
}

constexpr char kExample1[] = R"pb(
  discloser { agency_kind: "kommun_socialnamnd" }
  recipient { agency_kind: "polismyndigheten" }
  categories: "socialtjanst"
  purposes: "forebygga_brott"
  subject { age_years: 19 }
  attestations { provision: "10:18a" judgement: "konkret_risk" officer: "o1" motivation: "m" }
  attestations { provision: "10:18a" judgement: "inte_olampligt" officer: "o1" motivation: "m" }
)pb";

// 1. Socialtjänst -> Polisen, 19, crime prevention, both judgements attested,
// 2026-03-01: allowed under 10:18a; also 10:15a (balancing).
TEST(LegalExamples, Row1YoungPersonAtRiskAllowedUnder18a) {
  v1::Assessment a = RunExample(kExample1, "2026-03-01");
  EXPECT_EQ(a.outcome(), v1::ALLOWED);
  EXPECT_EQ(Result(a, "10:18a")->status(), v1::APPLIES) << Describe(*Result(a, "10:18a"));
  EXPECT_TRUE(HasReason(*Result(a, "10:18a"), v1::JUDGEMENT_ATTESTED, "konkret_risk"));
  EXPECT_EQ(Result(a, "10:15a")->status(), v1::APPLIES_IF_ATTESTED);
  EXPECT_TRUE(HasReason(*Result(a, "10:15a"), v1::JUDGEMENT_REQUIRED, "overvagande_skal"));
  ASSERT_EQ(a.categories(0).allowed_by_size(), 1);
  EXPECT_EQ(a.categories(0).allowed_by(0), "10:18a");
}

// 2. As 1 but aged 23: 10:18a not available (age); 10:15a with balancing.
TEST(LegalExamples, Row2Aged23Leaves15aWithBalancing) {
  v1::Facts f = ParseFacts(kExample1);
  f.mutable_subject()->set_age_years(23);
  absl::StatusOr<v1::Assessment> a = Assess(Bundled(), f, Day("2026-03-01"));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->outcome(), v1::ALLOWED_IF_ATTESTED);
  const v1::ProvisionResult* r = Result(*a, "10:18a");
  EXPECT_EQ(r->status(), v1::DOES_NOT_APPLY);
  ASSERT_TRUE(HasReason(*r, v1::AGE)) << Describe(*r);
  for (const v1::Finding& finding : r->findings()) {
    if (finding.reason() == v1::AGE) {
      EXPECT_EQ(finding.limit(), 21);
      EXPECT_EQ(finding.actual(), 23);
    }
  }
  EXPECT_EQ(Result(*a, "10:15a")->status(), v1::APPLIES_IF_ATTESTED);
}

// 3. As 1 but on 2025-06-01: 10:15a not yet in force; 10:18a only.
TEST(LegalExamples, Row3Before15aInForce) {
  v1::Assessment a = RunExample(kExample1, "2025-06-01");
  EXPECT_EQ(a.outcome(), v1::ALLOWED);
  EXPECT_EQ(Result(a, "10:18a")->status(), v1::APPLIES);
  const v1::ProvisionResult* r = Result(a, "10:15a");
  EXPECT_EQ(r->status(), v1::DOES_NOT_APPLY);
  EXPECT_TRUE(HasReason(*r, v1::NOT_IN_FORCE, "2025-12-01")) << Describe(*r);
  EXPECT_EQ(a.categories(0).allowed_if_attested_by_size(), 0);
}

// 4. Socialtjänst -> Polisen citing 10:27: refused, 26:1 is excluded from 10:27.
TEST(LegalExamples, Row4ClaimedGeneralClauseRefused) {
  v1::Assessment a = RunExample(R"pb(
    discloser { agency_kind: "kommun_socialnamnd" }
    recipient { agency_kind: "polismyndigheten" }
    categories: "socialtjanst"
    claimed_basis: "10:27"
  )pb", "2026-03-01");
  EXPECT_EQ(a.outcome(), v1::NOT_ALLOWED);
  ASSERT_TRUE(a.has_claimed_basis());
  EXPECT_TRUE(a.claimed_basis().known());
  EXPECT_EQ(a.claimed_basis().status(), v1::DOES_NOT_APPLY);
  EXPECT_TRUE(HasReason(*Result(a, "10:27"), v1::SECRECY_EXCLUDED, "26:1"));
  // Never silent: every provision says why it failed.
  for (const v1::ProvisionResult& r : a.categories(0).provisions()) {
    EXPECT_EQ(r.status(), v1::DOES_NOT_APPLY) << r.provision();
    EXPECT_GT(r.findings_size(), 0) << r.provision();
  }
}

// 5. Hälso- och sjukvård -> Polisen, crime prevention, adult, 2026: refused
// under 10:15a (25:1 excluded) and 10:18a (only 26:1); nothing else without
// crime facts.
TEST(LegalExamples, Row5HealthCareToPoliceRefused) {
  v1::Assessment a = RunExample(R"pb(
    discloser { agency_kind: "region_halso_sjukvard" }
    recipient { agency_kind: "polismyndigheten" }
    categories: "halso_sjukvard"
    purposes: "forebygga_brott"
    subject { age_years: 40 }
  )pb", "2026-03-01");
  EXPECT_EQ(a.outcome(), v1::NOT_ALLOWED);
  EXPECT_TRUE(HasReason(*Result(a, "10:15a"), v1::SECRECY_EXCLUDED, "25:1"));
  EXPECT_TRUE(HasReason(*Result(a, "10:18a"), v1::SECRECY_NOT_REACHED, "25:1"));
  EXPECT_TRUE(HasReason(*Result(a, "10:18b"), v1::CRIME_STAGE));
  EXPECT_TRUE(HasReason(*Result(a, "10:18c"), v1::CRIME_STAGE));
}

// 6. Skatteverket (27:1) -> Polisen, committed tax fraud, prison in the scale:
// allowed under 10:24.
TEST(LegalExamples, Row6TaxToPoliceUnder24) {
  v1::Assessment a = RunExample(R"pb(
    discloser { agency_kind: "skatteverket" }
    recipient { agency_kind: "polismyndigheten" }
    categories: "skatt"
    purposes: "utreda_brott"
    crime { stage: COMMITTED offence_classes: "skattebrott" prison_in_scale: true minimum_penalty_months: 0 }
  )pb", "2026-03-01");
  EXPECT_EQ(a.outcome(), v1::ALLOWED);
  EXPECT_EQ(Result(a, "10:24")->status(), v1::APPLIES) << Describe(*Result(a, "10:24"));
  EXPECT_EQ(a.categories(0).allowed_by(0), "10:24");
  // The general clause gives way to 10:24.
  EXPECT_TRUE(HasReason(*Result(a, "10:27"), v1::RESIDUAL));
}

// 7. Socialtjänst -> Polisen, committed crime with minimum penalty below six
// months: 10:24 does not reach 26:1; 10:23 threshold not met; 10:15a only if
// the (unverified) rulebook setting allows it -- off in the bundled rulebook.
constexpr char kExample7[] = R"pb(
  discloser { agency_kind: "kommun_socialnamnd" }
  recipient { agency_kind: "polismyndigheten" }
  categories: "socialtjanst"
  purposes: "utreda_brott"
  crime { stage: COMMITTED offence_classes: "annat_brott" minimum_penalty_months: 1 prison_in_scale: true }
)pb";

TEST(LegalExamples, Row7MinorCrimeFromSocialServices) {
  v1::Assessment a = RunExample(kExample7, "2026-03-01");
  EXPECT_EQ(a.outcome(), v1::NOT_ALLOWED);
  EXPECT_TRUE(HasReason(*Result(a, "10:24"), v1::SECRECY_EXCLUDED));
  EXPECT_TRUE(HasReason(*Result(a, "10:23"), v1::PENALTY_THRESHOLD)) << Describe(*Result(a, "10:23"));
  const v1::ProvisionResult* r = Result(a, "10:15a");
  EXPECT_EQ(r->status(), v1::DOES_NOT_APPLY);
  EXPECT_TRUE(HasReason(*r, v1::SETTING_OFF, "osl_10_15a_under_10_23_troskel")) << Describe(*r);
}

TEST(LegalExamples, Row7WithSettingOn15aAppliesWithBalancing) {
  v1::Rulebook proto = Bundled().proto();
  ASSERT_EQ(proto.settings(0).id(), "osl_10_15a_under_10_23_troskel");
  proto.mutable_settings(0)->set_value(true);
  absl::StatusOr<std::unique_ptr<const Rulebook>> rb = Rulebook::FromProto(proto);
  ASSERT_TRUE(rb.ok()) << rb.status();
  EXPECT_NE((*rb)->digest(), Bundled().digest());
  absl::StatusOr<v1::Assessment> a = Assess(**rb, ParseFacts(kExample7), Day("2026-03-01"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->outcome(), v1::ALLOWED_IF_ATTESTED);
  EXPECT_EQ(Result(*a, "10:15a")->status(), v1::APPLIES_IF_ATTESTED);
  EXPECT_EQ(a->rulebook_digest(), (*rb)->digest());
}

// 8. Polisen förundersökning (18:1) -> kommun: 10:15a does not reach chapter
// 18; only 10:27 (uppenbart) or 10:28.
TEST(LegalExamples, Row8PreliminaryInvestigationToMunicipality) {
  v1::Assessment a = RunExample(R"pb(
    discloser { agency_kind: "polismyndigheten" }
    recipient { agency_kind: "kommun_socialnamnd" }
    categories: "forundersokning"
    purposes: "forebygga_brott"
  )pb", "2026-03-01");
  EXPECT_EQ(a.outcome(), v1::ALLOWED_IF_ATTESTED);
  EXPECT_TRUE(HasReason(*Result(a, "10:15a"), v1::SECRECY_NOT_REACHED, "18:1"));
  EXPECT_EQ(Result(a, "10:27")->status(), v1::APPLIES_IF_ATTESTED);
  EXPECT_TRUE(HasReason(*Result(a, "10:27"), v1::JUDGEMENT_REQUIRED, "uppenbart"));
  EXPECT_TRUE(HasReason(*Result(a, "10:28"), v1::NO_DUTY));
  ASSERT_EQ(a.categories(0).allowed_if_attested_by_size(), 1);
  EXPECT_EQ(a.categories(0).allowed_if_attested_by(0), "10:27");
}

// 9. Any category protecting the person, with recorded consent: allowed under
// 12:2 -- but never for secrecy protecting a public interest.
TEST(LegalExamples, Row9Consent) {
  for (const char* category : {"socialtjanst", "halso_sjukvard", "skatt", "migration"}) {
    v1::Facts f = ParseFacts(R"pb(
      discloser { agency_kind: "kommun_socialnamnd" }
      recipient { agency_kind: "forsakringskassan" }
      consent { reference: "SO 2026/0042" given_by_protected_person: true }
    )pb");
    f.add_categories(category);
    absl::StatusOr<v1::Assessment> a = Assess(Bundled(), f, Day("2026-03-01"));
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->outcome(), v1::ALLOWED) << category;
    EXPECT_EQ(Result(*a, "12:2")->status(), v1::APPLIES) << category;
  }
  v1::Assessment a = RunExample(R"pb(
    discloser { agency_kind: "polismyndigheten" }
    recipient { agency_kind: "kommun_socialnamnd" }
    categories: "forundersokning"
    consent { reference: "X" given_by_protected_person: true }
  )pb", "2026-03-01");
  EXPECT_TRUE(HasReason(*Result(a, "12:2"), v1::SECRECY_PROTECTS_PUBLIC_INTEREST, "18:1"));
}

// 10. Socialtjänst -> Polisen, suspected sale of narkotika to a 16-year-old:
// allowed under 10:22.
TEST(LegalExamples, Row10DrugsToMinor) {
  v1::Assessment a = RunExample(R"pb(
    discloser { agency_kind: "kommun_socialnamnd" }
    recipient { agency_kind: "polismyndigheten" }
    categories: "socialtjanst"
    purposes: "utreda_brott"
    crime { stage: COMMITTED offence_classes: "narkotika_overlatelse" victim_age_years: 16 }
  )pb", "2026-03-01");
  EXPECT_EQ(a.outcome(), v1::ALLOWED);
  EXPECT_EQ(Result(a, "10:22")->status(), v1::APPLIES) << Describe(*Result(a, "10:22"));
}

}  // namespace
}  // namespace sluss::gate
