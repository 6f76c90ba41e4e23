#include "client/workflow.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sluss::client {
namespace {

using ::testing::HasSubstr;

TEST(Workflow, ParseAgencyRef) {
  auto a = ParseAgencyRef("212000-0142:socialtjanst");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->orgnr(), "212000-0142");
  EXPECT_EQ(a->function(), "socialtjanst");
  for (const char* bad : {"socialtjanst", ":x", "x:", "a:b:c"}) {
    EXPECT_THAT(std::string(ParseAgencyRef(bad).status().message()), HasSubstr("ORGNR:FUNCTION")) << bad;
  }
}

TEST(Workflow, ParseAttestationSplitsAtTheLastColonBeforeEquals) {
  auto a = ParseAttestation("10:18a:konkret_risk=Risk: upprepade = iakttagelser", "bo");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->provision(), "10:18a");
  EXPECT_EQ(a->judgement(), "konkret_risk");
  EXPECT_EQ(a->motivation(), "Risk: upprepade = iakttagelser");
  EXPECT_EQ(a->officer(), "bo");
  EXPECT_THAT(std::string(ParseAttestation("10:18a:konkret_risk=  ", "bo").status().message()),
              HasSubstr("motivation is empty"));
  EXPECT_FALSE(ParseAttestation("konkret_risk=x", "bo").ok());
  EXPECT_FALSE(ParseAttestation("10:18a:konkret_risk", "bo").ok());
}

v1::Assessment TwoAlternatives() {
  v1::Assessment a;
  v1::CategoryAssessment* c = a.add_categories();
  c->set_category("socialtjanst");
  c->add_allowed_if_attested_by("10:15a");
  c->add_allowed_if_attested_by("10:18a");
  v1::ProvisionResult* p15 = c->add_provisions();
  p15->set_provision("10:15a");
  p15->add_findings()->set_reason(v1::JUDGEMENT_REQUIRED);
  p15->mutable_findings(0)->set_ref("overvagande_skal");
  v1::ProvisionResult* p18 = c->add_provisions();
  p18->set_provision("10:18a");
  for (const char* j : {"konkret_risk", "inte_olampligt"}) {
    v1::Finding* f = p18->add_findings();
    f->set_reason(v1::JUDGEMENT_REQUIRED);
    f->set_ref(j);
  }
  return a;
}

v1::Attestation Att(const std::string& provision, const std::string& judgement) {
  v1::Attestation a;
  a.set_provision(provision);
  a.set_judgement(judgement);
  a.set_motivation("m");
  return a;
}

TEST(Workflow, MissingJudgementsPrefersTheClaimedBasisAndAcceptsAnyCompleteOption) {
  std::vector<std::string> alt;
  auto missing = MissingJudgements(TwoAlternatives(), "10:18a", {}, &alt);
  ASSERT_EQ(missing.size(), 2u);
  EXPECT_EQ(missing[0].Key(), "10:18a/konkret_risk");
  EXPECT_EQ(missing[1].Key(), "10:18a/inte_olampligt");
  EXPECT_EQ(alt, std::vector<std::string>{"10:15a:overvagande_skal"});
  // Without a claimed basis: the option missing the fewest.
  missing = MissingJudgements(TwoAlternatives(), "", {});
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].Key(), "10:15a/overvagande_skal");
  // Half of 10:18a: the other half is named.
  missing = MissingJudgements(TwoAlternatives(), "10:18a", {Att("10:18a", "konkret_risk")});
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].Key(), "10:18a/inte_olampligt");
  // Either complete option suffices; an attestation without motivation does not count.
  EXPECT_TRUE(MissingJudgements(TwoAlternatives(), "10:18a", {Att("10:15a", "overvagande_skal")}).empty());
  EXPECT_TRUE(
      MissingJudgements(TwoAlternatives(), "", {Att("10:18a", "konkret_risk"), Att("10:18a", "inte_olampligt")})
          .empty());
  v1::Attestation bare = Att("10:15a", "overvagande_skal");
  bare.clear_motivation();
  EXPECT_FALSE(MissingJudgements(TwoAlternatives(), "", {bare}).empty());
  // Allowed outright: nothing needed.
  v1::Assessment allowed = TwoAlternatives();
  allowed.mutable_categories(0)->add_allowed_by("10:24");
  EXPECT_TRUE(MissingJudgements(allowed, "10:18a", {}).empty());
}

}  // namespace
}  // namespace sluss::client
