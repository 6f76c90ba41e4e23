// Loading, validation and digest of rulebooks.
#include "gate/rulebook.h"

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/file.h"
#include "gate/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sluss::gate {
namespace {

using ::testing::HasSubstr;

// A small valid rulebook; each error test breaks one thing in it.
constexpr char kMinimal[] = R"pb(id: "test"
edition: "1"
title { sv: "Test" en: "Test" }
agency_kinds { id: "polis" name { sv: "Polisen" en: "Police" } holds_categories: "soc" }
agency_kinds { id: "kommun" name { sv: "Kommun" en: "Municipality" } }
purposes { id: "forebygga" name { sv: "Förebygga" en: "Prevent" } }
settings { id: "s1" value: false explanation { sv: "S" en: "S" } }
secrecy_provisions { id: "26:1" citation: "26 kap. 1 § OSL" name { sv: "Soc" en: "Soc" } protects: INDIVIDUAL }
secrecy_provisions { id: "25:1" citation: "25 kap. 1 § OSL" name { sv: "Vård" en: "Care" } protects: INDIVIDUAL }
categories { id: "soc" secrecy_provision: "26:1" name { sv: "Socialtjänst" en: "Social services" } }
disclosure_provisions {
  id: "10:18a"
  citation: "10 kap. 18 a § OSL"
  title { sv: "Unga" en: "Young" }
  kind: PERMISSIVE
  versions {
    valid_from: "2025-04-01"
    reach { provisions: "26:1" }
    recipients { agency_kinds: "polis" }
    conditions {
      id: "under_21"
      explanation { sv: "Under 21" en: "Under 21" }
      age_below { years: 21 }
    }
    conditions {
      id: "risk"
      explanation { sv: "Risk" en: "Risk" }
      judgement { id: "risk" text { sv: "Risk" en: "Risk" } }
    }
    explanation { sv: "Förklaring" en: "Explanation" }
  }
}
disclosure_provisions {
  id: "10:27"
  citation: "10 kap. 27 § OSL"
  title { sv: "General" en: "General" }
  kind: PERMISSIVE
  residual_to: "10:18a"
  versions {
    reach { all_secrecy: true except: "26:1" }
    recipients { any_authority: true }
    explanation { sv: "Förklaring" en: "Explanation" }
  }
}
)pb";

int LineOf(const std::string& text, absl::string_view needle) {
  const size_t at = text.find(std::string(needle.data(), needle.size()));
  EXPECT_NE(at, std::string::npos) << needle;
  int line = 1;
  for (size_t i = 0; i < at && i < text.size(); ++i) line += text[i] == '\n';
  return line;
}

TEST(Rulebook, MinimalLoads) {
  absl::StatusOr<std::unique_ptr<const Rulebook>> rb = Rulebook::Parse(kMinimal, "test.textpb");
  ASSERT_TRUE(rb.ok()) << rb.status();
  EXPECT_EQ((*rb)->proto().id(), "test");
  EXPECT_NE((*rb)->FindDisclosureProvision("10:27"), nullptr);
  EXPECT_EQ((*rb)->FindDisclosureProvision("10:99"), nullptr);
}

struct Broken {
  const char* name;
  const char* from;    // text replaced in kMinimal...
  const char* to;      // ...by this
  const char* at;      // the line of `to` that the error must name (a substring of it)
  const char* message; // what the error must say
};

const Broken kBroken[] = {
    {"syntax", "edition: \"1\"", "edition: \"1", "edition", "test.textpb:2:"},
    {"unknown_field", "edition: \"1\"", "colour: \"blue\"", "colour",
     "no field named \"colour\""},
    {"unknown_category_secrecy", "secrecy_provision: \"26:1\"", "secrecy_provision: \"26:9\"",
     "secrecy_provision: \"26:9\"",
     "categories[0].secrecy_provision: unknown secrecy provision \"26:9\""},
    {"exclusion_names_unknown_provision", "except: \"26:1\"", "except: \"24:9\"", "except: \"24:9\"",
     "disclosure_provisions[1].versions[0].reach.except[0]: exclusion list names unknown secrecy "
     "provision \"24:9\""},
    {"reach_names_unknown_provision", "reach { provisions: \"26:1\" }",
     "reach { provisions: \"26:2\" }", "provisions: \"26:2\"",
     "reach.provisions[0]: reach names unknown secrecy provision \"26:2\""},
    {"unknown_residual_provision", "residual_to: \"10:18a\"", "residual_to: \"10:18x\"",
     "residual_to", "residual_to[0]: unknown disclosure provision \"10:18x\""},
    {"unknown_held_category", "holds_categories: \"soc\"", "holds_categories: \"vard\"",
     "holds_categories", "agency_kinds[0].holds_categories[0]: unknown information category \"vard\""},
    {"unknown_recipient_kind", "recipients { agency_kinds: \"polis\" }",
     "recipients { agency_kinds: \"sapo\" }", "agency_kinds: \"sapo\"",
     "recipients.agency_kinds[0]: unknown agency kind \"sapo\""},
    {"overlapping_versions", "    explanation { sv: \"Förklaring\" en: \"Explanation\" }\n  }\n}\ndisclosure_provisions {\n  id: \"10:27\"",
     "    explanation { sv: \"Förklaring\" en: \"Explanation\" }\n  }\n  versions { valid_from: \"2025-01-01\" valid_to: \"2025-04-01\" reach { provisions: \"26:1\" } recipients { agency_kinds: \"polis\" } explanation { sv: \"Ä\" en: \"O\" } }\n}\ndisclosure_provisions {\n  id: \"10:27\"",
     "valid_to: \"2025-04-01\"",
     "disclosure_provisions[0].versions[1]: validity period overlaps versions[0] of 10:18a"},
    {"missing_explanation_en", "explanation { sv: \"Under 21\" en: \"Under 21\" }",
     "explanation { sv: \"Under 21\" }", "explanation { sv: \"Under 21\" }",
     "conditions[0].explanation: missing explanation in English (en)"},
    {"missing_version_explanation",
     "    explanation { sv: \"Förklaring\" en: \"Explanation\" }\n  }\n}\ndisclosure_provisions {\n  id: \"10:27\"",
     "  }\n}\ndisclosure_provisions {\n  id: \"10:27\"", "  versions {\n    valid_from",
     "disclosure_provisions[0].versions[0].explanation: missing explanation in Swedish (sv)"},
    {"missing_judgement_text", "judgement { id: \"risk\" text { sv: \"Risk\" en: \"Risk\" } }",
     "judgement { id: \"risk\" }", "judgement { id: \"risk\" }",
     "judgement.text: missing judgement text in Swedish (sv)"},
    {"bad_date", "valid_from: \"2025-04-01\"", "valid_from: \"2025-02-30\"", "valid_from",
     "versions[0].valid_from: \"2025-02-30\" is not a date YYYY-MM-DD"},
    {"end_before_start", "valid_from: \"2025-04-01\"",
     "valid_from: \"2025-04-01\" valid_to: \"2025-03-01\"", "valid_to",
     "valid_to 2025-03-01 is before valid_from 2025-04-01"},
    {"duplicate_id", "id: \"10:27\"", "id: \"10:18a\"", "id: \"10:18a\"\n  citation: \"10 kap. 27",
     "disclosure_provisions[1].id: duplicate disclosure provision id \"10:18a\""},
    {"judgement_under_not",
     "judgement { id: \"risk\" text { sv: \"Risk\" en: \"Risk\" } }",
     "not_ { id: \"n\" judgement { id: \"risk\" text { sv: \"Risk\" en: \"Risk\" } } }",
     "not_ { id", "a judgement cannot be negated"},
    {"condition_without_kind", "age_below { years: 21 }", "", "    conditions {\n      id: \"under_21\"",
     "conditions[0]: condition has no kind"},
    {"unknown_purpose", "age_below { years: 21 }", "purpose_any_of { purposes: \"nyfikenhet\" }",
     "purpose_any_of", "purpose_any_of.purposes[0]: unknown purpose \"nyfikenhet\""},
    {"unknown_setting", "age_below { years: 21 }", "setting: \"s2\"", "setting: \"s2\"",
     "conditions[0].setting: unknown setting \"s2\""},
    {"empty_any_of", "age_below { years: 21 }", "any_of { }", "any_of",
     "conditions[0].any_of: empty condition list"},
    {"no_recipient", "recipients { any_authority: true }", "recipients { }", "recipients { }",
     "no recipient can match"},
    {"unspecified_protection", "protects: INDIVIDUAL }\nsecrecy_provisions { id: \"25:1\"",
     "}\nsecrecy_provisions { id: \"25:1\"", "secrecy_provisions { id: \"26:1\"",
     "secrecy_provisions[0].protects: say whom the provision protects"},
};

class BrokenRulebookTest : public ::testing::TestWithParam<Broken> {};

TEST_P(BrokenRulebookTest, RejectedWithFileLineAndField) {
  const Broken& b = GetParam();
  const std::string text = absl::StrReplaceAll(kMinimal, {{b.from, b.to}});
  ASSERT_NE(text, kMinimal) << "the mutation did not apply";
  absl::StatusOr<std::unique_ptr<const Rulebook>> rb = Rulebook::Parse(text, "test.textpb");
  ASSERT_FALSE(rb.ok());
  EXPECT_EQ(rb.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string msg(rb.status().message());
  EXPECT_THAT(msg, HasSubstr(b.message));
  EXPECT_THAT(msg, HasSubstr(absl::StrCat("test.textpb:", LineOf(text, b.at), ":"))) << msg;
}

INSTANTIATE_TEST_SUITE_P(Classes, BrokenRulebookTest, ::testing::ValuesIn(kBroken),
                         [](const ::testing::TestParamInfo<Broken>& param_info) {
                           return std::string(param_info.param.name);
                         });

TEST(Rulebook, FromProtoNamesFieldsWithoutLines) {
  absl::StatusOr<std::unique_ptr<const Rulebook>> ok = Rulebook::Parse(kMinimal, "t");
  ASSERT_TRUE(ok.ok());
  v1::Rulebook proto = (*ok)->proto();
  proto.mutable_categories(0)->set_secrecy_provision("99:1");
  absl::StatusOr<std::unique_ptr<const Rulebook>> rb = Rulebook::FromProto(proto);
  ASSERT_FALSE(rb.ok());
  EXPECT_THAT(std::string(rb.status().message()),
              HasSubstr("<rulebook message>: categories[0].secrecy_provision: unknown secrecy provision \"99:1\""));
}

TEST(Digest, IgnoresLayoutAndCommentsButNotContent) {
  absl::StatusOr<std::unique_ptr<const Rulebook>> a = Rulebook::Parse(kMinimal, "a");
  const std::string relaid = absl::StrCat("# a comment\n", absl::StrReplaceAll(kMinimal, {{"\n", "\n\n  "}}));
  absl::StatusOr<std::unique_ptr<const Rulebook>> b = Rulebook::Parse(relaid, "b");
  const std::string changed = absl::StrReplaceAll(kMinimal, {{"years: 21", "years: 18"}});
  absl::StatusOr<std::unique_ptr<const Rulebook>> c = Rulebook::Parse(changed, "c");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ((*a)->digest(), (*b)->digest());
  EXPECT_NE((*a)->digest(), (*c)->digest());
  EXPECT_EQ((*a)->digest().size(), 7u + 64u);
  EXPECT_EQ((*a)->digest().substr(0, 7), "sha256:");
}

TEST(Bundled, EmbeddedTextIsTheCheckedInFileAndLoads) {
  // ctest runs tests in the source directory; SLUSS_SOURCE_DIR overrides.
  const char* src = std::getenv("SLUSS_SOURCE_DIR");
  if (src == nullptr) src = ".";
  const std::string path = absl::StrCat(src, "/gate/rules/osl.textpb");
  absl::StatusOr<std::string> text = ReadFile(path);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, std::string(BundledRulebookText().data(), BundledRulebookText().size()));
  absl::StatusOr<std::unique_ptr<const Rulebook>> from_file = Rulebook::LoadFile(path);
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  EXPECT_EQ((*from_file)->digest(), testing::Bundled().digest());
}

TEST(Bundled, CoversTheProvisionsTheIssueNames) {
  for (const char* id : {"10:2", "10:15a", "10:16", "10:17", "10:18a", "10:18b", "10:18c", "10:19",
                         "10:20", "10:21", "10:22", "10:22a", "10:23", "10:24", "10:26", "10:27",
                         "10:28", "12:2"}) {
    EXPECT_NE(testing::Bundled().FindDisclosureProvision(id), nullptr) << id;
  }
  for (const char* id : {"26:1", "25:1", "35:1", "18:1", "18:2", "27:1", "28:1", "28:11", "34:1",
                         "30:20", "37:1"}) {
    EXPECT_NE(testing::Bundled().FindSecrecyProvision(id), nullptr) << id;
  }
  for (const char* id : {"lag_2016_774", "lag_2025_170", "lag_2008_206", "sfb_110_31", "sfl_42a_1",
                         "sol_2025_400_15_4", "sol_2025_400_15_7", "sol_2025_400_19_1"}) {
    EXPECT_NE(testing::Bundled().FindDutyLaw(id), nullptr) << id;
  }
}

TEST(Rulebook, LoadFileMissingKeepsNotFound) {
  absl::StatusOr<std::unique_ptr<const Rulebook>> rb = Rulebook::LoadFile("/nonexistent/rules.textpb");
  EXPECT_EQ(rb.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace sluss::gate
