// Every disclosure provision of the bundled rulebook with at least one case
// it allows and one it does not, each checking the specific reason.
#include <set>
#include <string>

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

struct Case {
  const char* name;
  const char* provision;
  const char* date;
  const char* facts;
  v1::ProvisionStatus status;
  // For DOES_NOT_APPLY: the reason expected (and its ref, if not empty).
  v1::Reason reason = v1::REASON_UNSPECIFIED;
  const char* ref = "";
};

constexpr char kSocToPolice[] = R"pb(
  discloser { agency_kind: "kommun_socialnamnd" }
  recipient { agency_kind: "polismyndigheten" }
  categories: "socialtjanst"
)pb";

const Case kCases[] = {
    // 12:2 samtycke
    {"consent", "12:2", "2026-03-01",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "polismyndigheten" }
          categories: "socialtjanst" consent { reference: "SO 2026/1" given_by_protected_person: true })pb",
     v1::APPLIES},
    {"consent_missing_reference", "12:2", "2026-03-01",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "polismyndigheten" }
          categories: "socialtjanst" consent { given_by_protected_person: true })pb",
     v1::DOES_NOT_APPLY, v1::NO_CONSENT},
    {"consent_public_interest", "12:2", "2026-03-01",
     R"pb(discloser { agency_kind: "polismyndigheten" } recipient { agency_kind: "kommun_socialnamnd" }
          categories: "underrattelse" consent { reference: "r" given_by_protected_person: true })pb",
     v1::DOES_NOT_APPLY, v1::SECRECY_PROTECTS_PUBLIC_INTEREST, "18:2"},
    // 10:2 nödvändigt utlämnande
    {"necessary", "10:2", "2026-03-01",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "annan_myndighet" }
          categories: "socialtjanst" purposes: "egen_verksamhet"
          attestations { provision: "10:2" judgement: "nodvandigt" motivation: "m" })pb",
     v1::APPLIES},
    {"necessary_unattested", "10:2", "2026-03-01",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "annan_myndighet" }
          categories: "socialtjanst" purposes: "egen_verksamhet")pb",
     v1::APPLIES_IF_ATTESTED, v1::JUDGEMENT_REQUIRED, "nodvandigt"},
    {"necessary_for_recipient_only", "10:2", "2026-03-01", kSocToPolice, v1::DOES_NOT_APPLY,
     v1::PURPOSE},
    // 10:15 riksdagen och regeringen
    {"government", "10:15", "2026-03-01",
     R"pb(discloser { agency_kind: "skatteverket" } recipient { agency_kind: "regeringen" } categories: "skatt")pb",
     v1::APPLIES},
    {"government_wrong_recipient", "10:15", "2026-03-01", kSocToPolice, v1::DOES_NOT_APPLY,
     v1::WRONG_RECIPIENT},
    // 10:15a
    {"general_crime_provision", "10:15a", "2026-03-01",
     R"pb(discloser { agency_kind: "forsakringskassan" } recipient { agency_kind: "polismyndigheten" }
          categories: "socialforsakring" purposes: "upptacka_felaktig_utbetalning"
          attestations { provision: "10:15a" judgement: "overvagande_skal" motivation: "m" })pb",
     v1::APPLIES},
    {"general_crime_provision_health_excluded", "10:15a", "2026-03-01",
     R"pb(discloser { agency_kind: "region_halso_sjukvard" } recipient { agency_kind: "polismyndigheten" }
          categories: "halso_sjukvard" purposes: "forebygga_brott")pb",
     v1::DOES_NOT_APPLY, v1::SECRECY_EXCLUDED, "25:1"},
    {"general_crime_provision_no_purpose", "10:15a", "2026-03-01",
     R"pb(discloser { agency_kind: "forsakringskassan" } recipient { agency_kind: "polismyndigheten" }
          categories: "socialforsakring" purposes: "omprovning")pb",
     v1::DOES_NOT_APPLY, v1::PURPOSE},
    // 10:16
    {"review", "10:16", "2026-03-01",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "domstol" roles: "overprovning" }
          categories: "socialtjanst" purposes: "omprovning")pb",
     v1::APPLIES},
    {"review_wrong_recipient", "10:16", "2026-03-01",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "domstol" }
          categories: "socialtjanst" purposes: "omprovning")pb",
     v1::DOES_NOT_APPLY, v1::WRONG_RECIPIENT},
    // 10:17
    {"supervision", "10:17", "2026-03-01",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "ivo" roles: "tillsyn_revision" }
          categories: "socialtjanst" purposes: "tillsyn_revision")pb",
     v1::APPLIES},
    {"supervision_wrong_purpose", "10:17", "2026-03-01",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "ivo" roles: "tillsyn_revision" }
          categories: "socialtjanst" purposes: "forebygga_brott")pb",
     v1::DOES_NOT_APPLY, v1::PURPOSE},
    // 10:18
    {"legal_proceedings", "10:18", "2026-03-01",
     R"pb(discloser { agency_kind: "forsakringskassan" } recipient { agency_kind: "aklagarmyndigheten" roles: "rattsligt_forfarande" }
          categories: "socialforsakring" purposes: "rattsligt_forfarande")pb",
     v1::APPLIES},
    {"legal_proceedings_no_role", "10:18", "2026-03-01",
     R"pb(discloser { agency_kind: "forsakringskassan" } recipient { agency_kind: "aklagarmyndigheten" }
          categories: "socialforsakring" purposes: "rattsligt_forfarande")pb",
     v1::DOES_NOT_APPLY, v1::WRONG_RECIPIENT},
    // 10:18a
    {"young_at_risk", "10:18a", "2026-03-01",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "tullverket" }
          categories: "socialtjanst" purposes: "forebygga_brott" subject { age_years: 20 }
          attestations { provision: "10:18a" judgement: "konkret_risk" motivation: "m" }
          attestations { provision: "10:18a" judgement: "inte_olampligt" motivation: "m" })pb",
     v1::APPLIES},
    {"young_at_risk_committed_crime", "10:18a", "2026-03-01",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "polismyndigheten" }
          categories: "socialtjanst" purposes: "forebygga_brott" subject { age_years: 17 }
          crime { stage: COMMITTED })pb",
     v1::DOES_NOT_APPLY, v1::EXCLUDED_BY_CONDITION, "begangat_brott"},
    {"young_at_risk_age_unknown", "10:18a", "2026-03-01",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "polismyndigheten" }
          categories: "socialtjanst" purposes: "forebygga_brott")pb",
     v1::DOES_NOT_APPLY, v1::MISSING_FACT},
    // 10:18b
    {"terror_risk", "10:18b", "2026-03-01",
     R"pb(discloser { agency_kind: "region_halso_sjukvard" } recipient { agency_kind: "sakerhetspolisen" }
          categories: "halso_sjukvard" purposes: "forebygga_brott"
          crime { stage: RISK offence_classes: "terroristbrott_4" }
          attestations { provision: "10:18b" judgement: "konkret_risk" motivation: "m" })pb",
     v1::APPLIES},
    {"terror_risk_to_customs", "10:18b", "2026-03-01",
     R"pb(discloser { agency_kind: "region_halso_sjukvard" } recipient { agency_kind: "tullverket" }
          categories: "halso_sjukvard" purposes: "forebygga_brott"
          crime { stage: RISK offence_classes: "terroristbrott_4" })pb",
     v1::DOES_NOT_APPLY, v1::WRONG_RECIPIENT},
    {"terror_risk_before_2025_04_01", "10:18b", "2025-03-31",
     R"pb(discloser { agency_kind: "region_halso_sjukvard" } recipient { agency_kind: "sakerhetspolisen" }
          categories: "halso_sjukvard" purposes: "forebygga_brott"
          crime { stage: RISK offence_classes: "terroristbrott_4" })pb",
     v1::DOES_NOT_APPLY, v1::NOT_IN_FORCE, "2025-04-01"},
    // 10:18c
    {"risk_to_family", "10:18c", "2026-03-01",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "polismyndigheten" }
          categories: "socialtjanst" purposes: "forebygga_brott"
          crime { stage: RISK offence_classes: "brb3" minimum_penalty_months: 12 against_narstaende: true }
          attestations { provision: "10:18c" judgement: "konkret_risk" motivation: "m" }
          attestations { provision: "10:18c" judgement: "inte_olampligt" motivation: "m" })pb",
     v1::APPLIES},
    {"risk_to_family_below_one_year", "10:18c", "2026-03-01",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "polismyndigheten" }
          categories: "socialtjanst" purposes: "forebygga_brott"
          crime { stage: RISK offence_classes: "brb4" minimum_penalty_months: 11 against_narstaende: true })pb",
     v1::DOES_NOT_APPLY, v1::PENALTY_THRESHOLD},
    {"risk_to_stranger", "10:18c", "2026-03-01",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "polismyndigheten" }
          categories: "socialtjanst" purposes: "forebygga_brott"
          crime { stage: RISK offence_classes: "brb3" minimum_penalty_months: 12 against_narstaende: false })pb",
     v1::DOES_NOT_APPLY, v1::NOT_AGAINST_NARSTAENDE},
    // 10:19
    {"stop_drunk_driving", "10:19", "2026-03-01",
     R"pb(discloser { agency_kind: "region_halso_sjukvard" } recipient { agency_kind: "polismyndigheten" }
          categories: "halso_sjukvard" purposes: "forhindra_avbryta_brott"
          crime { stage: IMMINENT offence_classes: "trafik_4_4a" })pb",
     v1::APPLIES},
    {"stop_assault", "10:19", "2026-03-01",
     R"pb(discloser { agency_kind: "region_halso_sjukvard" } recipient { agency_kind: "polismyndigheten" }
          categories: "halso_sjukvard" purposes: "forhindra_avbryta_brott"
          crime { stage: ONGOING offence_classes: "brb3" })pb",
     v1::DOES_NOT_APPLY, v1::OFFENCE_CLASS},
    // 10:20
    {"immediate_intervention_crime", "10:20", "2026-03-01",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "polismyndigheten" }
          categories: "socialtjanst" purposes: "omedelbart_ingripande" subject { age_years: 15 }
          crime { stage: ONGOING })pb",
     v1::APPLIES},
    {"immediate_intervention_risk", "10:20", "2026-03-01",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "polismyndigheten" }
          categories: "socialtjanst" purposes: "omedelbart_ingripande" subject { age_years: 15 })pb",
     v1::APPLIES_IF_ATTESTED, v1::JUDGEMENT_REQUIRED, "overhangande_risk"},
    {"immediate_intervention_adult", "10:20", "2026-03-01",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "polismyndigheten" }
          categories: "socialtjanst" purposes: "omedelbart_ingripande" subject { age_years: 30 }
          crime { stage: ONGOING })pb",
     v1::DOES_NOT_APPLY, v1::AGE},
    // 10:21
    {"crime_against_child", "10:21", "2026-03-01",
     R"pb(discloser { agency_kind: "region_halso_sjukvard" } recipient { agency_kind: "aklagarmyndigheten" }
          categories: "halso_sjukvard" purposes: "utreda_brott"
          crime { stage: COMMITTED offence_classes: "brb6" victim_age_years: 12 minimum_penalty_months: 0 })pb",
     v1::APPLIES},
    {"crime_against_child_to_tax", "10:21", "2026-03-01",
     R"pb(discloser { agency_kind: "region_halso_sjukvard" } recipient { agency_kind: "skatteverket" }
          categories: "halso_sjukvard" purposes: "utreda_brott"
          crime { stage: COMMITTED offence_classes: "brb6" victim_age_years: 12 })pb",
     v1::DOES_NOT_APPLY, v1::WRONG_RECIPIENT},
    // 10:22
    {"drugs_to_minor", "10:22", "2026-03-01",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "aklagarmyndigheten" }
          categories: "socialtjanst" purposes: "utreda_brott"
          crime { stage: COMMITTED offence_classes: "dopning_overlatelse" victim_age_years: 17 })pb",
     v1::APPLIES},
    {"drugs_from_health_care", "10:22", "2026-03-01",
     R"pb(discloser { agency_kind: "region_halso_sjukvard" } recipient { agency_kind: "polismyndigheten" }
          categories: "halso_sjukvard" purposes: "utreda_brott"
          crime { stage: COMMITTED offence_classes: "narkotika_overlatelse" victim_age_years: 16 })pb",
     v1::DOES_NOT_APPLY, v1::SECRECY_NOT_REACHED, "25:1"},
    // 10:22a
    {"committed_terrorism_attempt", "10:22a", "2026-03-01",
     R"pb(discloser { agency_kind: "region_halso_sjukvard" } recipient { agency_kind: "sakerhetspolisen" }
          categories: "halso_sjukvard" purposes: "utreda_brott"
          crime { stage: COMMITTED form: ATTEMPT offence_classes: "terroristbrott_4" })pb",
     v1::APPLIES},
    {"committed_terrorism_attempt_of_5_10", "10:22a", "2026-03-01",
     R"pb(discloser { agency_kind: "region_halso_sjukvard" } recipient { agency_kind: "sakerhetspolisen" }
          categories: "halso_sjukvard" purposes: "utreda_brott"
          crime { stage: COMMITTED form: ATTEMPT offence_classes: "terroristbrottslagen_5_10" })pb",
     v1::DOES_NOT_APPLY, v1::NO_ALTERNATIVE_MET},
    // 10:23
    {"serious_crime", "10:23", "2026-03-01",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "polismyndigheten" }
          categories: "socialtjanst" purposes: "utreda_brott"
          crime { stage: COMMITTED offence_classes: "brb3" minimum_penalty_months: 6 })pb",
     v1::APPLIES},
    {"serious_crime_attempt_below_one_year", "10:23", "2026-03-01",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "polismyndigheten" }
          categories: "socialtjanst" purposes: "utreda_brott"
          crime { stage: COMMITTED form: ATTEMPT offence_classes: "brb3" minimum_penalty_months: 6 })pb",
     v1::DOES_NOT_APPLY, v1::PENALTY_THRESHOLD},
    {"serious_crime_penalty_unknown", "10:23", "2026-03-01",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "polismyndigheten" }
          categories: "socialtjanst" purposes: "utreda_brott" crime { stage: COMMITTED })pb",
     v1::DOES_NOT_APPLY, v1::MISSING_FACT},
    // 10:24
    {"prison_in_scale", "10:24", "2026-03-01",
     R"pb(discloser { agency_kind: "kronofogdemyndigheten" } recipient { agency_kind: "aklagarmyndigheten" }
          categories: "kronofogden" purposes: "utreda_brott"
          crime { stage: COMMITTED prison_in_scale: true })pb",
     v1::APPLIES},
    {"prison_in_scale_not_for_social_services", "10:24", "2026-03-01",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "polismyndigheten" }
          categories: "socialtjanst" purposes: "utreda_brott"
          crime { stage: COMMITTED prison_in_scale: true })pb",
     v1::DOES_NOT_APPLY, v1::SECRECY_EXCLUDED, "10:19"},
    {"fines_only", "10:24", "2026-03-01",
     R"pb(discloser { agency_kind: "skatteverket" } recipient { agency_kind: "polismyndigheten" }
          categories: "skatt" purposes: "utreda_brott"
          crime { stage: COMMITTED prison_in_scale: false })pb",
     v1::DOES_NOT_APPLY, v1::NO_PRISON_IN_SCALE},
    // 10:26
    {"service_of_documents", "10:26", "2026-03-01",
     R"pb(discloser { agency_kind: "skatteverket" } recipient { agency_kind: "annan_myndighet" roles: "delgivning" }
          categories: "folkbokforing" purposes: "delgivning" information_kinds: "adress" information_kinds: "telefonnummer")pb",
     v1::APPLIES},
    {"service_of_documents_too_much", "10:26", "2026-03-01",
     R"pb(discloser { agency_kind: "skatteverket" } recipient { agency_kind: "annan_myndighet" roles: "delgivning" }
          categories: "folkbokforing" purposes: "delgivning" information_kinds: "adress" information_kinds: "ovrig")pb",
     v1::DOES_NOT_APPLY, v1::INFORMATION_KIND},
    // 10:27
    {"general_clause", "10:27", "2026-03-01",
     R"pb(discloser { agency_kind: "polismyndigheten" } recipient { agency_kind: "kommun_socialnamnd" }
          categories: "forundersokning"
          attestations { provision: "10:27" judgement: "uppenbart" motivation: "m" }
          attestations { provision: "10:27" judgement: "inte_mot_lag" motivation: "m" })pb",
     v1::APPLIES},
    {"general_clause_health_care", "10:27", "2026-03-01",
     R"pb(discloser { agency_kind: "region_halso_sjukvard" } recipient { agency_kind: "kommun_socialnamnd" }
          categories: "halso_sjukvard")pb",
     v1::DOES_NOT_APPLY, v1::SECRECY_EXCLUDED, "25:1"},
    {"general_clause_residual", "10:27", "2026-03-01",
     R"pb(discloser { agency_kind: "skatteverket" } recipient { agency_kind: "polismyndigheten" }
          categories: "skatt" purposes: "forebygga_brott")pb",
     v1::DOES_NOT_APPLY, v1::RESIDUAL, "10:15a"},
    // 10:28
    {"duty_social_insurance_code", "10:28", "2026-03-01",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "forsakringskassan" }
          categories: "socialtjanst" duty_laws: "sfb_110_31"
          attestations { provision: "10:28" judgement: "sfb_110_31/synnerliga_skal" motivation: "m" })pb",
     v1::APPLIES},
    {"duty_unattested", "10:28", "2026-03-01",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "forsakringskassan" }
          categories: "socialtjanst" duty_laws: "sfb_110_31")pb",
     v1::APPLIES_IF_ATTESTED, v1::JUDGEMENT_REQUIRED, "sfb_110_31/synnerliga_skal"},
    {"duty_no_judgement", "10:28", "2026-03-01",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "polismyndigheten" }
          categories: "socialtjanst" duty_laws: "sol_2025_400_15_7")pb",
     v1::APPLIES},
    {"duty_not_yet_in_force", "10:28", "2025-06-30",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "polismyndigheten" }
          categories: "socialtjanst" duty_laws: "sol_2025_400_15_7")pb",
     v1::DOES_NOT_APPLY, v1::NOT_IN_FORCE, "sol_2025_400_15_7"},
    {"duty_municipality_not_in_2016_774", "10:28", "2026-03-01",
     R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "polismyndigheten" }
          categories: "socialtjanst" duty_laws: "lag_2016_774")pb",
     v1::DOES_NOT_APPLY, v1::WRONG_DISCLOSER, "lag_2016_774"},
    {"duty_none_claimed", "10:28", "2026-03-01", kSocToPolice, v1::DOES_NOT_APPLY, v1::NO_DUTY},
};

class ProvisionTest : public ::testing::TestWithParam<Case> {};

TEST_P(ProvisionTest, ExpectedStatusAndReason) {
  const Case& c = GetParam();
  absl::StatusOr<v1::Assessment> a = Assess(Bundled(), ParseFacts(c.facts), Day(c.date));
  ASSERT_TRUE(a.ok()) << a.status();
  const v1::ProvisionResult* r = Result(*a, c.provision);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status(), c.status) << Describe(*r);
  if (c.reason != v1::REASON_UNSPECIFIED) {
    EXPECT_TRUE(HasReason(*r, c.reason, c.ref))
        << "want " << v1::Reason_Name(c.reason) << " " << c.ref << "\n" << Describe(*r);
  }
  if (r->status() == v1::DOES_NOT_APPLY) {
    EXPECT_GT(r->findings_size(), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Bundled, ProvisionTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& param_info) {
                           return std::string(param_info.param.name);
                         });

// The table covers every provision of the rulebook both ways.
TEST(ProvisionTable, EveryProvisionHasAnAllowedAndANotAllowedCase) {
  std::set<std::string> allowed, refused;
  for (const Case& c : kCases) {
    (c.status == v1::DOES_NOT_APPLY ? refused : allowed).insert(c.provision);
  }
  for (const v1::DisclosureProvision& p : Bundled().proto().disclosure_provisions()) {
    EXPECT_TRUE(allowed.count(p.id())) << p.id() << " has no allowed case";
    EXPECT_TRUE(refused.count(p.id())) << p.id() << " has no not-allowed case";
  }
}

}  // namespace
}  // namespace sluss::gate
