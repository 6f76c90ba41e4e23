// Rendering: the report names outcome, citations and reasons in both
// languages; the route table matches LEGAL-MODEL.md §3 and docs/GATE.md.
#include "gate/render.h"

#include <cstdlib>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "gate/assess.h"
#include "gate/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sluss::gate {
namespace {

using testing::Bundled;
using testing::Day;
using testing::ParseFacts;
using ::testing::HasSubstr;

TEST(RenderAssessment, SwedishAndEnglish) {
  absl::StatusOr<v1::Assessment> a = Assess(Bundled(), ParseFacts(R"pb(
    discloser { agency_kind: "kommun_socialnamnd" }
    recipient { agency_kind: "polismyndigheten" }
    categories: "socialtjanst"
    claimed_basis: "10:27"
  )pb"), Day("2026-03-01"));
  ASSERT_TRUE(a.ok());
  const std::string sv = RenderAssessment(Bundled(), *a, Lang::kSv);
  EXPECT_THAT(sv, HasSubstr("Bedömning: EJ TILLÅTET"));
  EXPECT_THAT(sv, HasSubstr("Åberopad grund: 10 kap. 27 § OSL — KAN INTE TILLÄMPAS"));
  EXPECT_THAT(sv, HasSubstr("[ej tillämplig] 10 kap. 27 § OSL"));
  EXPECT_THAT(sv, HasSubstr("sekretessen enligt 26 kap. 1 § OSL är undantagen"));
  EXPECT_THAT(sv, HasSubstr(Bundled().digest()));
  const std::string en = RenderAssessment(Bundled(), *a, Lang::kEn);
  EXPECT_THAT(en, HasSubstr("Outcome: NOT ALLOWED"));
  EXPECT_THAT(en, HasSubstr("secrecy under 26 kap. 1 § OSL is excluded"));
}

TEST(RenderAssessment, JudgementsToAttestAreSpelledOut) {
  absl::StatusOr<v1::Assessment> a = Assess(Bundled(), ParseFacts(R"pb(
    discloser { agency_kind: "polismyndigheten" }
    recipient { agency_kind: "kommun_socialnamnd" }
    categories: "forundersokning"
  )pb"), Day("2026-03-01"));
  ASSERT_TRUE(a.ok());
  const std::string sv = RenderAssessment(Bundled(), *a, Lang::kSv);
  EXPECT_THAT(sv, HasSubstr("⚖ att intyga [uppenbart]: Det är uppenbart att intresset"));
  EXPECT_THAT(sv, HasSubstr("Tillåtet om intygat enligt: 10 kap. 27 § OSL"));
}

TEST(MissingAttestations, NamesCategoryProvisionAndJudgement) {
  absl::StatusOr<v1::Assessment> attest = Assess(Bundled(), ParseFacts(R"pb(
    discloser { agency_kind: "polismyndigheten" }
    recipient { agency_kind: "kommun_socialnamnd" }
    categories: "forundersokning"
  )pb"), Day("2026-03-01"));
  ASSERT_TRUE(attest.ok());
  ASSERT_EQ(attest->outcome(), v1::ALLOWED_IF_ATTESTED);
  const std::vector<std::string> missing = MissingAttestations(*attest);
  ASSERT_FALSE(missing.empty());
  EXPECT_THAT(missing, ::testing::Contains(HasSubstr("forundersokning under 10:27: ")));
  EXPECT_THAT(missing, ::testing::Contains(HasSubstr("uppenbart")));
  EXPECT_TRUE(NotAllowedCategories(*attest).empty());

  absl::StatusOr<v1::Assessment> no = Assess(Bundled(), ParseFacts(R"pb(
    discloser { agency_kind: "kommun_socialnamnd" }
    recipient { agency_kind: "polismyndigheten" }
    categories: "socialtjanst"
  )pb"), Day("2026-03-01"));
  ASSERT_TRUE(no.ok());
  ASSERT_EQ(no->outcome(), v1::NOT_ALLOWED);
  EXPECT_EQ(NotAllowedCategories(*no), std::vector<std::string>{"socialtjanst"});
  EXPECT_TRUE(MissingAttestations(*no).empty());
}

TEST(FactFieldPath, EveryValueNamesADistinctFactsPath) {
  std::set<std::string> seen;
  for (int i = v1::FactField_MIN; i <= v1::FactField_MAX; ++i) {
    if (!v1::FactField_IsValid(i)) continue;
    const std::string path = FactFieldPath(static_cast<v1::FactField>(i));
    if (i == v1::FACT_FIELD_UNSPECIFIED) {
      EXPECT_EQ(path, "");
      continue;
    }
    EXPECT_NE(path, "") << v1::FactField_Name(static_cast<v1::FactField>(i));
    EXPECT_TRUE(seen.insert(path).second) << path;
  }
}

TEST(RenderRules, ListsProvisionsInForce) {
  const std::string before = RenderRules(Bundled(), Day("2025-11-30"), Lang::kSv);
  const std::string after = RenderRules(Bundled(), Day("2025-12-01"), Lang::kEn);
  EXPECT_THAT(before, HasSubstr("10 kap. 15 a § OSL — Uppgifter om enskildas personliga eller ekonomiska förhållanden\n  inte i kraft"));
  EXPECT_THAT(after, HasSubstr("10 kap. 15 a § OSL — General provision on crime and welfare fraud (text from 2025-12-01)"));
  EXPECT_THAT(after, HasSubstr("⚖ Judgements: overvagande_skal"));
}

std::set<std::string> RoutesTo(const std::string& category, const std::string& recipient) {
  std::set<std::string> out;
  for (const Route& r : Routes(Bundled(), Day("2026-03-01"))) {
    if (r.category == category && r.recipient_kind == recipient && r.via_role.empty()) {
      out.insert(r.provision);
    }
  }
  return out;
}

// LEGAL-MODEL.md §3, "Typical routes that follow from the table".
TEST(Routes, MatchTheLegalModel) {
  EXPECT_EQ(RoutesTo("socialtjanst", "polismyndigheten"),
            (std::set<std::string>{"12:2", "10:18a", "10:18b", "10:18c", "10:19", "10:20", "10:21",
                                   "10:22", "10:22a", "10:23", "10:15a", "10:28", "10:2"}));
  EXPECT_EQ(RoutesTo("halso_sjukvard", "polismyndigheten"),
            (std::set<std::string>{"12:2", "10:18b", "10:18c", "10:19", "10:21", "10:22a", "10:23",
                                   "10:28", "10:2"}));
  for (const char* cat : {"skatt", "socialforsakring", "kronofogden"}) {
    EXPECT_EQ(RoutesTo(cat, "polismyndigheten"),
              (std::set<std::string>{"10:24", "10:15a", "10:27", "10:28", "12:2", "10:2"}))
        << cat;
  }
  EXPECT_EQ(RoutesTo("brottsbekampning_enskild", "kommun_socialnamnd"),
            (std::set<std::string>{"10:15a", "10:27", "10:28", "12:2", "10:2"}));
  EXPECT_EQ(RoutesTo("forundersokning", "kommun_socialnamnd"),
            (std::set<std::string>{"10:27", "10:28", "10:2"}));
  // 10:26 (delgivning) is open to any authority doing service of documents.
  bool delgivning = false;
  for (const Route& r : Routes(Bundled(), Day("2026-03-01"))) {
    delgivning |= r.provision == "10:26" && r.via_role == "delgivning";
  }
  EXPECT_TRUE(delgivning);
}

const std::vector<std::string> kTableRecipients = {"polismyndigheten", "aklagarmyndigheten",
                                                   "kommun_socialnamnd", "skatteverket",
                                                   "forsakringskassan", "annan_myndighet"};

// docs/GATE.md embeds the generated route table; regenerate it with
// `sluss gate rules --routes` when the rulebook changes.
TEST(Routes, DocsTableIsUpToDate) {
  // ctest runs tests in the source directory; SLUSS_SOURCE_DIR overrides.
  const char* src = std::getenv("SLUSS_SOURCE_DIR");
  if (src == nullptr) src = ".";
  absl::StatusOr<std::string> doc = ReadFile(absl::StrCat(src, "/docs/GATE.md"));
  ASSERT_TRUE(doc.ok()) << doc.status();
  const std::string table = RenderRouteTable(Bundled(), Day("2026-03-01"), kTableRecipients);
  EXPECT_THAT(*doc, HasSubstr(table)) << "docs/GATE.md is out of date; the table is now:\n" << table;
}

}  // namespace
}  // namespace sluss::gate
