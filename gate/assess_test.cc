// Assess: date and age boundaries, errors in the facts, determinism, the
// claimed basis, expected secrecy at the recipient.
#include "gate/assess.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gate/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "google/protobuf/util/message_differencer.h"

namespace sluss::gate {
namespace {

using testing::Bundled;
using testing::Day;
using testing::Describe;
using testing::HasReason;
using testing::ParseFacts;
using testing::Result;
using ::testing::HasSubstr;

v1::ProvisionStatus StatusOf(const char* facts, const char* date, const char* provision) {
  absl::StatusOr<v1::Assessment> a = Assess(Bundled(), ParseFacts(facts), Day(date));
  EXPECT_TRUE(a.ok()) << a.status();
  if (!a.ok()) return v1::PROVISION_STATUS_UNSPECIFIED;
  const v1::ProvisionResult* r = Result(*a, provision);
  return r == nullptr ? v1::PROVISION_STATUS_UNSPECIFIED : r->status();
}

constexpr char kFraud[] = R"pb(
  discloser { agency_kind: "forsakringskassan" }
  recipient { agency_kind: "polismyndigheten" }
  categories: "socialforsakring"
  purposes: "forhindra_felaktig_utbetalning"
)pb";

TEST(DateBoundary, Provision15aStartsOn20251201) {
  EXPECT_EQ(StatusOf(kFraud, "2025-11-30", "10:15a"), v1::DOES_NOT_APPLY);
  EXPECT_EQ(StatusOf(kFraud, "2025-12-01", "10:15a"), v1::APPLIES_IF_ATTESTED);
}

constexpr char kSeriousCrime12Months[] = R"pb(
  discloser { agency_kind: "kommun_socialnamnd" }
  recipient { agency_kind: "polismyndigheten" }
  categories: "socialtjanst"
  purposes: "utreda_brott"
  crime { stage: COMMITTED minimum_penalty_months: 12 }
)pb";
constexpr char kSeriousCrime6Months[] = R"pb(
  discloser { agency_kind: "kommun_socialnamnd" }
  recipient { agency_kind: "polismyndigheten" }
  categories: "socialtjanst"
  purposes: "utreda_brott"
  crime { stage: COMMITTED minimum_penalty_months: 6 }
)pb";

TEST(DateBoundary, Provision23ThresholdChangesOn20250401) {
  // Six months: enough from 2025-04-01, not under the older (unverified) text.
  EXPECT_EQ(StatusOf(kSeriousCrime6Months, "2025-03-31", "10:23"), v1::DOES_NOT_APPLY);
  EXPECT_EQ(StatusOf(kSeriousCrime6Months, "2025-04-01", "10:23"), v1::APPLIES);
  // One year: enough under both; the older version is flagged unverified.
  absl::StatusOr<v1::Assessment> old =
      Assess(Bundled(), ParseFacts(kSeriousCrime12Months), Day("2025-03-31"));
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(Result(*old, "10:23")->status(), v1::APPLIES);
  EXPECT_TRUE(Result(*old, "10:23")->unverified());
  EXPECT_EQ(Result(*old, "10:23")->version_from(), "");
  absl::StatusOr<v1::Assessment> now =
      Assess(Bundled(), ParseFacts(kSeriousCrime12Months), Day("2025-04-01"));
  ASSERT_TRUE(now.ok());
  EXPECT_FALSE(Result(*now, "10:23")->unverified());
  EXPECT_EQ(Result(*now, "10:23")->version_from(), "2025-04-01");
}

TEST(DateBoundary, OlderTextNotEncodedIsSaidSo) {
  absl::StatusOr<v1::Assessment> a = Assess(Bundled(), ParseFacts(R"pb(
    discloser { agency_kind: "kommun_socialnamnd" }
    recipient { agency_kind: "polismyndigheten" }
    categories: "socialtjanst" purposes: "forebygga_brott" subject { age_years: 17 }
  )pb"), Day("2025-03-31"));
  ASSERT_TRUE(a.ok());
  const v1::ProvisionResult* r = Result(*a, "10:18a");
  EXPECT_EQ(r->status(), v1::DOES_NOT_APPLY);
  EXPECT_TRUE(HasReason(*r, v1::VERSION_NOT_ENCODED)) << Describe(*r);
  EXPECT_TRUE(r->unverified());
}

v1::Facts YoungPerson(int age) {
  v1::Facts f = ParseFacts(R"pb(
    discloser { agency_kind: "kommun_socialnamnd" }
    recipient { agency_kind: "polismyndigheten" }
    categories: "socialtjanst"
    purposes: "forebygga_brott"
    purposes: "omedelbart_ingripande"
    crime { stage: ONGOING }
  )pb");
  f.mutable_subject()->set_age_years(age);
  return f;
}

TEST(AgeBoundary, Provision18aIsUnder21) {
  for (auto [age, want] : {std::pair{20, v1::APPLIES_IF_ATTESTED}, {21, v1::DOES_NOT_APPLY}}) {
    v1::Facts f = YoungPerson(age);
    f.clear_crime();
    absl::StatusOr<v1::Assessment> a = Assess(Bundled(), f, Day("2026-03-01"));
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(Result(*a, "10:18a")->status(), want) << age << "\n" << Describe(*Result(*a, "10:18a"));
  }
}

// A provision that does not apply is explained by its failing conditions
// only: its judgements, attested or not, are not listed (also when the same
// Assessment held them from an earlier call).
TEST(Findings, FailingProvisionListsNoJudgements) {
  v1::Facts f = ParseFacts(R"pb(
    discloser { agency_kind: "kommun_socialnamnd" }
    recipient { agency_kind: "polismyndigheten" }
    categories: "socialtjanst" purposes: "forebygga_brott" subject { age_years: 20 }
    attestations { provision: "10:18a" judgement: "konkret_risk" officer: "o17" motivation: "Iakttagelser." }
  )pb");
  v1::Assessment reused;
  ASSERT_TRUE(AssessInto(Bundled(), f, Day("2026-03-01"), &reused).ok());
  const v1::ProvisionResult* r = Result(reused, "10:18a");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status(), v1::APPLIES_IF_ATTESTED) << Describe(*r);
  EXPECT_TRUE(HasReason(*r, v1::JUDGEMENT_ATTESTED, "konkret_risk")) << Describe(*r);
  EXPECT_TRUE(HasReason(*r, v1::JUDGEMENT_REQUIRED, "inte_olampligt")) << Describe(*r);

  f.mutable_subject()->set_age_years(21);
  ASSERT_TRUE(AssessInto(Bundled(), f, Day("2026-03-01"), &reused).ok());
  r = Result(reused, "10:18a");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status(), v1::DOES_NOT_APPLY);
  ASSERT_EQ(r->findings_size(), 1) << Describe(*r);
  EXPECT_EQ(r->findings(0).reason(), v1::AGE);
  EXPECT_EQ(r->findings(0).limit(), 21);
  EXPECT_EQ(r->findings(0).actual(), 21);
}

// The same with the judgements before the failing condition (the bundled
// rulebook lists them last): the findings of judgements already written are
// dropped when a later condition fails, and kept, in order, when none does.
TEST(Findings, JudgementsBeforeAFailingConditionAreDropped) {
  v1::Rulebook reordered = Bundled().proto();
  for (v1::DisclosureProvision& p : *reordered.mutable_disclosure_provisions()) {
    if (p.id() != "10:18a") continue;
    for (v1::ProvisionVersion& v : *p.mutable_versions()) {
      google::protobuf::RepeatedPtrField<v1::Condition>* cs = v.mutable_conditions();
      // Rotate the last two conditions (konkret_risk, inte_olampligt) to the front.
      for (int i = 0; i < 2 && cs->size() > 2; ++i) {
        for (int j = cs->size() - 1; j > 0; --j) cs->SwapElements(j, j - 1);
      }
    }
  }
  absl::StatusOr<std::unique_ptr<const Rulebook>> rb = Rulebook::FromProto(reordered);
  ASSERT_TRUE(rb.ok()) << rb.status();
  v1::Facts f = ParseFacts(R"pb(
    discloser { agency_kind: "kommun_socialnamnd" }
    recipient { agency_kind: "polismyndigheten" }
    categories: "socialtjanst" purposes: "forebygga_brott" subject { age_years: 21 }
    attestations { provision: "10:18a" judgement: "konkret_risk" officer: "o17" motivation: "Iakttagelser." }
  )pb");
  AssessmentBuffer buffer;
  for (int round = 0; round < 2; ++round) {
    f.mutable_subject()->set_age_years(21);
    ASSERT_TRUE(AssessInto(**rb, f, Day("2026-03-01"), &buffer).ok());
    const v1::ProvisionResult* r = Result(buffer.assessment(), "10:18a");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->status(), v1::DOES_NOT_APPLY);
    ASSERT_EQ(r->findings_size(), 1) << Describe(*r);
    EXPECT_EQ(r->findings(0).reason(), v1::AGE);

    f.mutable_subject()->set_age_years(20);
    ASSERT_TRUE(AssessInto(**rb, f, Day("2026-03-01"), &buffer).ok());
    r = Result(buffer.assessment(), "10:18a");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->status(), v1::APPLIES_IF_ATTESTED) << Describe(*r);
    ASSERT_EQ(r->findings_size(), 2) << Describe(*r);
    EXPECT_EQ(r->findings(0).reason(), v1::JUDGEMENT_ATTESTED);
    EXPECT_EQ(r->findings(0).ref(), "konkret_risk");
    EXPECT_EQ(r->findings(1).reason(), v1::JUDGEMENT_REQUIRED);
    EXPECT_EQ(r->findings(1).ref(), "inte_olampligt");
  }
}

TEST(AgeBoundary, Provision20IsUnder18) {
  for (auto [age, want] : {std::pair{17, v1::APPLIES}, {18, v1::DOES_NOT_APPLY}}) {
    absl::StatusOr<v1::Assessment> a = Assess(Bundled(), YoungPerson(age), Day("2026-03-01"));
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(Result(*a, "10:20")->status(), want) << age;
  }
}

TEST(AgeBoundary, Provisions21And22AreVictimUnder18) {
  for (auto [age, want] : {std::pair{17, v1::APPLIES}, {18, v1::DOES_NOT_APPLY}}) {
    v1::Facts f = ParseFacts(R"pb(
      discloser { agency_kind: "kommun_socialnamnd" }
      recipient { agency_kind: "polismyndigheten" }
      categories: "socialtjanst" purposes: "utreda_brott"
      crime { stage: COMMITTED offence_classes: "brb3" offence_classes: "narkotika_overlatelse" }
    )pb");
    f.mutable_crime()->set_victim_age_years(age);
    absl::StatusOr<v1::Assessment> a = Assess(Bundled(), f, Day("2026-03-01"));
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(Result(*a, "10:21")->status(), want) << age;
    EXPECT_EQ(Result(*a, "10:22")->status(), want) << age;
    if (want == v1::DOES_NOT_APPLY) {
      EXPECT_TRUE(HasReason(*Result(*a, "10:21"), v1::VICTIM_AGE));
      EXPECT_TRUE(HasReason(*Result(*a, "10:22"), v1::VICTIM_AGE));
    }
  }
}

TEST(ClaimedBasis, ReportedAsFailingEvenWhenAnotherProvisionAllows) {
  v1::Facts f = ParseFacts(R"pb(
    discloser { agency_kind: "skatteverket" }
    recipient { agency_kind: "polismyndigheten" }
    categories: "skatt" purposes: "utreda_brott"
    crime { stage: COMMITTED prison_in_scale: true }
    claimed_basis: "10:22"
  )pb");
  absl::StatusOr<v1::Assessment> a = Assess(Bundled(), f, Day("2026-03-01"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->outcome(), v1::ALLOWED);  // 10:24
  EXPECT_TRUE(a->claimed_basis().known());
  EXPECT_EQ(a->claimed_basis().status(), v1::DOES_NOT_APPLY);
}

TEST(ClaimedBasis, UnknownProvisionIsReportedNotAnError) {
  v1::Facts f = ParseFacts(R"pb(
    discloser { agency_kind: "skatteverket" } recipient { agency_kind: "polismyndigheten" }
    categories: "skatt" claimed_basis: "10:99"
  )pb");
  absl::StatusOr<v1::Assessment> a = Assess(Bundled(), f, Day("2026-03-01"));
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->claimed_basis().known());
  EXPECT_EQ(a->claimed_basis().status(), v1::DOES_NOT_APPLY);
}

TEST(Attestation, WithoutMotivationDoesNotCount) {
  v1::Facts f = ParseFacts(R"pb(
    discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "annan_myndighet" }
    categories: "socialtjanst" purposes: "egen_verksamhet"
    attestations { provision: "10:2" judgement: "nodvandigt" officer: "o1" }
  )pb");
  absl::StatusOr<v1::Assessment> a = Assess(Bundled(), f, Day("2026-03-01"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(Result(*a, "10:2")->status(), v1::APPLIES_IF_ATTESTED);
  f.mutable_attestations(0)->set_motivation("Behövs för att verkställa beslutet.");
  a = Assess(Bundled(), f, Day("2026-03-01"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(Result(*a, "10:2")->status(), v1::APPLIES);
}

TEST(RecipientSecrecy, PrimaryAtRecipientAndTransferUnderTillsyn) {
  absl::StatusOr<v1::Assessment> a = Assess(Bundled(), ParseFacts(R"pb(
    discloser { agency_kind: "kommun_socialnamnd" }
    recipient { agency_kind: "ivo" roles: "tillsyn_revision" }
    categories: "socialtjanst" purposes: "tillsyn_revision"
  )pb"), Day("2026-03-01"));
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->categories(0).recipient_secrecy_size(), 1);
  EXPECT_EQ(a->categories(0).recipient_secrecy(0).provision(), "11:1");
  EXPECT_TRUE(a->categories(0).recipient_secrecy(0).transfer());
}

TEST(Outcome, WorstCategoryDecides) {
  absl::StatusOr<v1::Assessment> a = Assess(Bundled(), ParseFacts(R"pb(
    discloser { agency_kind: "kommun_socialnamnd" }
    recipient { agency_kind: "polismyndigheten" }
    categories: "skatt" categories: "socialtjanst"
    purposes: "utreda_brott"
    crime { stage: COMMITTED prison_in_scale: true minimum_penalty_months: 1 }
  )pb"), Day("2026-03-01"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->categories(0).outcome(), v1::ALLOWED);
  EXPECT_EQ(a->categories(1).outcome(), v1::NOT_ALLOWED);
  EXPECT_EQ(a->outcome(), v1::NOT_ALLOWED);
  EXPECT_EQ(a->categories(1).recipient_secrecy_size(), 0);
}

struct BadFacts {
  const char* facts;
  const char* message;
};

TEST(FactsErrors, NameTheField) {
  const BadFacts cases[] = {
      {R"pb(recipient { agency_kind: "polismyndigheten" } categories: "socialtjanst")pb",
       "facts.discloser.agency_kind: required"},
      {R"pb(discloser { agency_kind: "kommun" } recipient { agency_kind: "polismyndigheten" }
            categories: "socialtjanst")pb",
       "facts.discloser.agency_kind: unknown agency kind \"kommun\""},
      {R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "polismyndigheten" })pb",
       "facts.categories: at least one"},
      {R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "polismyndigheten" }
            categories: "socialtjanst" categories: "sjukvard")pb",
       "facts.categories[1]: unknown information category \"sjukvard\""},
      {R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "polismyndigheten" }
            categories: "socialtjanst" purposes: "nyfikenhet")pb",
       "facts.purposes[0]: unknown purpose"},
      {R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "polismyndigheten" roles: "x" }
            categories: "socialtjanst")pb",
       "facts.recipient.roles[0]: unknown recipient role"},
      {R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "polismyndigheten" }
            categories: "socialtjanst" crime { offence_classes: "snatteri" })pb",
       "facts.crime.offence_classes[0]: unknown offence class"},
      {R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "polismyndigheten" }
            categories: "socialtjanst" duty_laws: "avtal")pb",
       "facts.duty_laws[0]: unknown duty law"},
      {R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "polismyndigheten" }
            categories: "socialtjanst" information_kinds: "dna")pb",
       "facts.information_kinds[0]: unknown information kind"},
      {R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "polismyndigheten" }
            categories: "socialtjanst" attestations { provision: "10:99" judgement: "x" })pb",
       "facts.attestations[0].provision: unknown disclosure provision"},
      {R"pb(discloser { agency_kind: "kommun_socialnamnd" } recipient { agency_kind: "polismyndigheten" }
            categories: "socialtjanst" attestations { provision: "10:18a" judgement: "uppenbart" })pb",
       "facts.attestations[0].judgement: provision 10:18a has no judgement \"uppenbart\""},
  };
  for (const BadFacts& c : cases) {
    absl::StatusOr<v1::Assessment> a = Assess(Bundled(), ParseFacts(c.facts), Day("2026-03-01"));
    ASSERT_FALSE(a.ok()) << c.facts;
    EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(a.status().message()), HasSubstr(c.message));
  }
}

TEST(Determinism, SameInputsSameBytesAndReuseGivesSameResult) {
  const v1::Facts f1 = ParseFacts(kFraud);
  const v1::Facts f2 = ParseFacts(kSeriousCrime6Months);
  absl::StatusOr<v1::Assessment> a1 = Assess(Bundled(), f1, Day("2026-03-01"));
  absl::StatusOr<v1::Assessment> a2 = Assess(Bundled(), f2, Day("2026-03-01"));
  ASSERT_TRUE(a1.ok() && a2.ok());
  EXPECT_EQ(a1->rulebook_digest(), Bundled().digest());
  EXPECT_EQ(a1->decision_date(), "2026-03-01");
  // One reused output across different facts gives the same as fresh ones.
  v1::Assessment reused;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(AssessInto(Bundled(), f1, Day("2026-03-01"), &reused).ok());
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(reused, *a1));
    ASSERT_TRUE(AssessInto(Bundled(), f2, Day("2026-03-01"), &reused).ok());
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(reused, *a2));
  }
  std::string b1, b2;
  absl::StatusOr<v1::Assessment> again = Assess(Bundled(), f1, Day("2026-03-01"));
  ASSERT_TRUE(again.ok());
  a1->SerializeToString(&b1);
  again->SerializeToString(&b2);
  EXPECT_EQ(b1, b2);
}

// Facts of different shapes (categories, claimed basis, attestations, crime)
// and dates across provision versions, for the reuse tests below.
const char* const kShapes[] = {
    R"pb(discloser { agency_kind: "skatteverket" }
         recipient { agency_kind: "polismyndigheten" roles: "ingripande_mot_brott" }
         categories: "skatt" categories: "folkbokforing" purposes: "utreda_brott"
         crime { stage: COMMITTED offence_classes: "skattebrott" minimum_penalty_months: 6 prison_in_scale: true }
         claimed_basis: "10:27" duty_laws: "lag_2016_774")pb",
    kFraud,
    R"pb(discloser { agency_kind: "kommun_socialnamnd" }
         recipient { agency_kind: "polismyndigheten" }
         categories: "socialtjanst" purposes: "forebygga_brott" subject { age_years: 19 }
         claimed_basis: "10:99"
         attestations { provision: "10:18a" judgement: "konkret_risk" officer: "o17" motivation: "Iakttagelser." })pb",
    R"pb(discloser { agency_kind: "kommun_socialnamnd" }
         recipient { agency_kind: "polismyndigheten" }
         categories: "socialtjanst" categories: "socialtjanst" categories: "socialforsakring"
         purposes: "forebygga_brott" subject { age_years: 25 })pb",
    R"pb(discloser { agency_kind: "kommun_socialnamnd" }
         recipient { agency_kind: "polismyndigheten" }
         categories: "socialtjanst" purposes: "forebygga_brott" subject { age_years: 19 }
         attestations { provision: "10:18a" judgement: "konkret_risk" officer: "o17" motivation: "Iakttagelser." }
         attestations { provision: "10:18a" judgement: "inte_olampligt" officer: "o17" motivation: "Ingen." })pb",
};
const char* const kShapeDates[] = {"2026-03-01", "2025-11-30", "2024-06-01"};

// AssessInto overwrites a reused Assessment in place: whatever it held before
// (more or fewer categories, a claimed basis or none, other findings, another
// date, unknown fields from parsing), the result equals a fresh Assess.
TEST(Determinism, ReuseAcrossShapesEqualsFresh) {
  v1::Assessment reused;
  for (int round = 0; round < 2; ++round) {
    for (const char* date : kShapeDates) {
      for (const char* text : kShapes) {
        const v1::Facts f = ParseFacts(text);
        absl::StatusOr<v1::Assessment> fresh = Assess(Bundled(), f, Day(date));
        ASSERT_TRUE(fresh.ok()) << fresh.status();
        ASSERT_TRUE(AssessInto(Bundled(), f, Day(date), &reused).ok());
        EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(reused, *fresh)) << date << text;
        std::string want, got;
        ASSERT_TRUE(fresh->SerializeToString(&want));
        ASSERT_TRUE(reused.SerializeToString(&got));
        EXPECT_EQ(got, want) << date << text;
      }
    }
  }
  // Unknown fields (from parsing newer bytes) anywhere in the reused message
  // do not survive.
  for (int where = 0; where < 6; ++where) {
    const v1::Facts f = ParseFacts(kShapes[0]);
    ASSERT_TRUE(AssessInto(Bundled(), f, Day("2026-03-01"), &reused).ok());
    google::protobuf::Message* m = &reused;
    if (where == 1) m = reused.mutable_categories(1);
    if (where == 2) m = reused.mutable_categories(0)->mutable_provisions(3);
    if (where == 3) m = reused.mutable_claimed_basis();
    if (where == 4) {
      v1::ProvisionResult* r = reused.mutable_categories(0)->mutable_provisions(3);
      ASSERT_GT(r->findings_size(), 0);
      m = r->mutable_findings(0);
    }
    if (where == 5) {
      ASSERT_GT(reused.categories(0).recipient_secrecy_size(), 0);
      m = reused.mutable_categories(0)->mutable_recipient_secrecy(0);
    }
    m->GetReflection()->MutableUnknownFields(m)->AddVarint(999, 1);
    ASSERT_TRUE(AssessInto(Bundled(), f, Day("2026-03-01"), &reused).ok());
    absl::StatusOr<v1::Assessment> fresh = Assess(Bundled(), f, Day("2026-03-01"));
    ASSERT_TRUE(fresh.ok());
    std::string want, got;
    ASSERT_TRUE(fresh->SerializeToString(&want));
    ASSERT_TRUE(reused.SerializeToString(&got));
    EXPECT_EQ(got, want) << "unknown field at " << where;
  }
}

std::string Bytes(const v1::Assessment& a) {
  std::string b;
  EXPECT_TRUE(a.SerializeToString(&b));
  return b;
}

// An AssessmentBuffer writes only what differs from its previous record:
// across facts of different shapes, dates, claimed bases, and after a failed
// call, its Assessment is byte for byte what Assess returns.
TEST(Determinism, BufferAcrossShapesEqualsFresh) {
  v1::Facts bad = ParseFacts(kFraud);
  bad.add_categories("no_such_category");
  AssessmentBuffer buffer;
  for (int round = 0; round < 2; ++round) {
    for (const char* date : kShapeDates) {
      for (const char* text : kShapes) {
        const v1::Facts f = ParseFacts(text);
        absl::StatusOr<v1::Assessment> fresh = Assess(Bundled(), f, Day(date));
        ASSERT_TRUE(fresh.ok()) << fresh.status();
        ASSERT_TRUE(AssessInto(Bundled(), f, Day(date), &buffer).ok());
        EXPECT_EQ(Bytes(buffer.assessment()), Bytes(*fresh)) << date << text;
        // The same facts again (nothing to write), then a failing call:
        // neither changes the result.
        ASSERT_TRUE(AssessInto(Bundled(), f, Day(date), &buffer).ok());
        EXPECT_EQ(Bytes(buffer.assessment()), Bytes(*fresh)) << date << text;
        const absl::Status st = AssessInto(Bundled(), bad, Day(date), &buffer);
        EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
        EXPECT_THAT(st.message(), HasSubstr("no_such_category"));
        EXPECT_EQ(Bytes(buffer.assessment()), Bytes(*fresh)) << date << text;
      }
    }
  }
}

// RouteBuffers: routes interleaved, more of them than it holds, with the
// facts varying within a route: every result is byte for byte Assess's, and
// a failing call returns the error.
TEST(Determinism, RouteBuffersEqualFresh) {
  std::vector<v1::Facts> stream;
  for (int i = 0; i < 12; ++i) {
    v1::Facts young = ParseFacts(R"pb(discloser { agency_kind: "kommun_socialnamnd" }
                                      recipient { agency_kind: "polismyndigheten" }
                                      categories: "socialtjanst" purposes: "forebygga_brott"
                                      attestations { provision: "10:18a" judgement: "konkret_risk" officer: "o1" motivation: "m" })pb");
    young.mutable_subject()->set_age_years(15 + i);
    stream.push_back(young);
    v1::Facts fraud = ParseFacts(kFraud);
    fraud.mutable_crime()->set_minimum_penalty_months(i % 2 == 0 ? 3 : 12);
    stream.push_back(fraud);
    if (i % 3 == 0) {
      v1::Facts two = young;
      two.add_categories("socialforsakring");
      stream.push_back(two);
    }
  }
  v1::Facts bad = ParseFacts(kFraud);
  bad.add_categories("no_such_category");
  RouteBuffers buffers(/*capacity=*/2);  // three routes: buffers are reused
  for (const v1::Facts& f : stream) {
    absl::StatusOr<v1::Assessment> fresh = Assess(Bundled(), f, Day("2026-03-01"));
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    absl::StatusOr<const v1::Assessment*> got = buffers.AssessInto(Bundled(), f, Day("2026-03-01"));
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(Bytes(**got), Bytes(*fresh)) << f.ShortDebugString();
    absl::StatusOr<const v1::Assessment*> failed = buffers.AssessInto(Bundled(), bad, Day("2026-03-01"));
    EXPECT_EQ(failed.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

// A buffer used with another rulebook (also a new one that may sit where a
// destroyed one was) does not keep the texts of the one it was used with.
TEST(Determinism, BufferFollowsTheRulebook) {
  const v1::Facts f = ParseFacts(kFraud);
  AssessmentBuffer buffer;
  for (int round = 0; round < 3; ++round) {
    v1::Rulebook changed = Bundled().proto();
    for (v1::DisclosureProvision& p : *changed.mutable_disclosure_provisions()) {
      p.set_citation(absl::StrCat(p.citation(), " (ändrad ", round, ")"));
    }
    absl::StatusOr<std::unique_ptr<const Rulebook>> other = Rulebook::FromProto(changed);
    ASSERT_TRUE(other.ok()) << other.status();
    // The previous round's rulebook was the buffer's last; it is destroyed.
    for (const Rulebook* rb : {other->get(), &Bundled(), other->get()}) {
      absl::StatusOr<v1::Assessment> fresh = Assess(*rb, f, Day("2026-03-01"));
      ASSERT_TRUE(fresh.ok()) << fresh.status();
      ASSERT_TRUE(AssessInto(*rb, f, Day("2026-03-01"), &buffer).ok());
      EXPECT_EQ(Bytes(buffer.assessment()), Bytes(*fresh)) << "round " << round;
    }
    EXPECT_THAT(buffer.assessment().categories(0).provisions(0).citation(),
                HasSubstr(absl::StrCat("(ändrad ", round, ")")));
  }
}

// Each category of a multi-category assessment is assessed exactly as if it
// were the only one (Assess shares condition findings between categories
// where the conditions do not read the category; this checks the sharing).
TEST(Categories, EachAsIfAlone) {
  const char* const facts[] = {
      R"pb(discloser { agency_kind: "skatteverket" }
           recipient { agency_kind: "polismyndigheten" roles: "ingripande_mot_brott" }
           categories: "skatt" categories: "folkbokforing" categories: "skatt" purposes: "utreda_brott"
           crime { stage: COMMITTED offence_classes: "skattebrott" minimum_penalty_months: 6 prison_in_scale: true }
           claimed_basis: "10:27" duty_laws: "lag_2016_774")pb",
      R"pb(discloser { agency_kind: "kommun_socialnamnd" }
           recipient { agency_kind: "polismyndigheten" }
           categories: "socialtjanst" categories: "socialforsakring" categories: "socialtjanst"
           purposes: "forebygga_brott" subject { age_years: 19 }
           attestations { provision: "10:18a" judgement: "konkret_risk" officer: "o17" motivation: "Iakttagelser." })pb",
      kFraud,
  };
  for (const char* date : {"2026-03-01", "2025-11-30"}) {
    for (const char* text : facts) {
      const v1::Facts f = ParseFacts(text);
      absl::StatusOr<v1::Assessment> all = Assess(Bundled(), f, Day(date));
      ASSERT_TRUE(all.ok()) << all.status();
      for (int ci = 0; ci < f.categories_size(); ++ci) {
        v1::Facts one = f;
        one.clear_categories();
        one.add_categories(f.categories(ci));
        absl::StatusOr<v1::Assessment> alone = Assess(Bundled(), one, Day(date));
        ASSERT_TRUE(alone.ok()) << alone.status();
        EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(all->categories(ci), alone->categories(0)))
            << date << " category " << ci << " of " << text;
      }
    }
  }
}

// Many categories (more results and findings than an assessment usually
// holds, so the record grows): each category is still as if alone, through
// Assess and through a buffer, also when the buffer held fewer before.
TEST(Categories, ManyCategoriesEachAsIfAlone) {
  v1::Facts f = ParseFacts(R"pb(
    discloser { agency_kind: "kommun_socialnamnd" }
    recipient { agency_kind: "polismyndigheten" }
    purposes: "forebygga_brott" subject { age_years: 19 }
    attestations { provision: "10:18a" judgement: "konkret_risk" officer: "o17" motivation: "Iakttagelser." })pb");
  AssessmentBuffer buffer;
  ASSERT_TRUE(AssessInto(Bundled(), ParseFacts(kFraud), Day("2026-03-01"), &buffer).ok());
  for (int i = 0; i < 12; ++i) f.add_categories(i % 3 == 0 ? "socialforsakring" : "socialtjanst");
  absl::StatusOr<v1::Assessment> all = Assess(Bundled(), f, Day("2026-03-01"));
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_TRUE(AssessInto(Bundled(), f, Day("2026-03-01"), &buffer).ok());
  EXPECT_EQ(Bytes(buffer.assessment()), Bytes(*all));
  ASSERT_EQ(all->categories_size(), 12);
  for (int ci = 0; ci < f.categories_size(); ++ci) {
    v1::Facts one = f;
    one.clear_categories();
    one.add_categories(f.categories(ci));
    absl::StatusOr<v1::Assessment> alone = Assess(Bundled(), one, Day("2026-03-01"));
    ASSERT_TRUE(alone.ok()) << alone.status();
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(all->categories(ci), alone->categories(0)))
        << "category " << ci;
  }
}

}  // namespace
}  // namespace sluss::gate
