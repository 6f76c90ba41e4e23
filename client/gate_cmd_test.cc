#include "client/gate_cmd.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "sluss/v1/gate.pb.h"

namespace sluss::client {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string Data(const char* name) {
  const char* src = std::getenv("SLUSS_SOURCE_DIR");
  return absl::StrCat(src != nullptr ? src : ".", "/client/testdata/gate/", name);
}

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

CliRun Check(const char* file, const char* date, bool json = false, const char* lang = "sv") {
  GateCheckOptions o;
  o.facts_path = Data(file);
  o.date = date;
  o.json = json;
  o.lang = lang;
  std::ostringstream out, err;
  const int code = RunGateCheck(o, out, err);
  return {code, out.str(), err.str()};
}

TEST(GateCheck, AllowedSwedishReport) {
  CliRun r = Check("young_at_risk.json", "2026-03-01");
  EXPECT_EQ(r.code, kGateExitAllowed) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Bedömning: TILLÅTET\n"));
  EXPECT_THAT(r.out, HasSubstr("Tillåtet enligt: 10 kap. 18 a § OSL"));
  EXPECT_THAT(r.out, HasSubstr("⚖ intygat [konkret_risk]"));
  EXPECT_THAT(r.err, IsEmpty());
}

TEST(GateCheck, EnglishReport) {
  CliRun r = Check("young_at_risk.json", "2026-03-01", false, "en");
  EXPECT_EQ(r.code, kGateExitAllowed);
  EXPECT_THAT(r.out, HasSubstr("Outcome: ALLOWED\n"));
  EXPECT_THAT(r.out, HasSubstr("Allowed under: 10 kap. 18 a § OSL"));
}

TEST(GateCheck, NotAllowedExitCodeAndClaimedBasis) {
  CliRun r = Check("general_clause_claimed.json", "2026-03-01");
  EXPECT_EQ(r.code, kGateExitNotAllowed);
  EXPECT_THAT(r.out, HasSubstr("Åberopad grund: 10 kap. 27 § OSL — KAN INTE TILLÄMPAS"));
}

TEST(GateCheck, AllowedIfAttestedExitCode) {
  CliRun r = Check("preliminary_investigation.json", "2026-03-01");
  EXPECT_EQ(r.code, kGateExitAllowedIfAttested);
  EXPECT_THAT(r.out, HasSubstr("⚖ att intyga [uppenbart]"));
}

TEST(GateCheck, JsonIsTheAssessment) {
  CliRun r = Check("young_at_risk.json", "2025-06-01", true);
  EXPECT_EQ(r.code, kGateExitAllowed);
  v1::Assessment a;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &a).ok()) << r.out;
  EXPECT_EQ(a.outcome(), v1::ALLOWED);
  EXPECT_EQ(a.decision_date(), "2025-06-01");
  EXPECT_THAT(a.rulebook_digest(), HasSubstr("sha256:"));
  EXPECT_THAT(r.out, HasSubstr("\"outcome\": \"ALLOWED\""));
}

TEST(GateCheck, MalformedFactsNameTheField) {
  CliRun bad_type = Check("bad_type.json", "2026-03-01");
  EXPECT_EQ(bad_type.code, kGateExitBadInput);
  EXPECT_THAT(bad_type.err, HasSubstr("bad_type.json"));
  EXPECT_THAT(bad_type.err, HasSubstr("subject.age_years"));
  EXPECT_THAT(bad_type.out, IsEmpty());

  CliRun unknown = Check("unknown_field.json", "2026-03-01");
  EXPECT_EQ(unknown.code, kGateExitBadInput);
  EXPECT_THAT(unknown.err, HasSubstr("personnummer"));

  CliRun category = Check("unknown_category.json", "2026-03-01");
  EXPECT_EQ(category.code, kGateExitBadInput);
  EXPECT_THAT(category.err, HasSubstr("facts.categories[1]: unknown information category \"journaler\""));
}

TEST(GateCheck, BadDateLangAndMissingFile) {
  EXPECT_THAT(Check("young_at_risk.json", "2026-02-30").err, HasSubstr("--date: \"2026-02-30\""));
  EXPECT_EQ(Check("young_at_risk.json", "2026-03-01", false, "de").code, kGateExitBadInput);
  CliRun missing = Check("no_such_file.json", "2026-03-01");
  EXPECT_EQ(missing.code, kGateExitBadInput);
  EXPECT_THAT(missing.err, HasSubstr("no_such_file.json"));
}

TEST(GateRules, ListsProvisionsInForceAndRoutes) {
  std::ostringstream out, err;
  GateRulesOptions o;
  o.date = "2025-11-30";
  EXPECT_EQ(RunGateRules(o, out, err), 0);
  EXPECT_THAT(out.str(), HasSubstr("10 kap. 18 a § OSL"));
  EXPECT_THAT(out.str(), HasSubstr("10 kap. 15 a § OSL — Uppgifter om enskildas personliga eller ekonomiska förhållanden\n  inte i kraft"));
  std::ostringstream routes;
  o.routes = true;
  EXPECT_EQ(RunGateRules(o, routes, err), 0);
  EXPECT_THAT(routes.str(), HasSubstr("| Kategori (sekretess) |"));
}

// --json: every provision, each with only the version in force on the date.
TEST(GateRules, JsonListsTheVersionInForce) {
  auto versions_of = [](const std::string& date, const std::string& id) -> int {
    std::ostringstream out, err;
    GateRulesOptions o;
    o.date = date;
    o.json = true;
    EXPECT_EQ(RunGateRules(o, out, err), 0) << err.str();
    const nlohmann::json doc = nlohmann::json::parse(out.str());
    EXPECT_EQ(doc["date"], date);
    EXPECT_EQ(doc["digest"].get<std::string>().rfind("sha256:", 0), 0u);
    for (const auto& p : doc["provisions"]) {
      if (p["id"] == id) return p.contains("versions") ? static_cast<int>(p["versions"].size()) : 0;
    }
    ADD_FAILURE() << id << " not listed";
    return -1;
  };
  EXPECT_EQ(versions_of("2025-11-30", "10:15a"), 0);
  EXPECT_EQ(versions_of("2025-12-01", "10:15a"), 1);
  EXPECT_EQ(versions_of("2025-12-01", "10:18a"), 1);
}

// The CLI11 wiring: the same commands through argv.
TEST(AddGateCommands, ParsesArgvAndSetsExitCode) {
  CLI::App app("sluss");
  int exit_code = -1;
  std::ostringstream out, err;
  AddGateCommands(app, &exit_code, out, err);
  const std::string facts = Data("general_clause_claimed.json");
  std::vector<std::string> args = {"gate", "check", "--facts", facts, "--date", "2026-03-01", "--lang", "en"};
  std::reverse(args.begin(), args.end());  // CLI11 takes argv reversed in a vector
  app.parse(args);
  EXPECT_EQ(exit_code, kGateExitNotAllowed);
  EXPECT_THAT(out.str(), HasSubstr("Outcome: NOT ALLOWED"));
}

TEST(AddGateCommands, FactsIsRequired) {
  CLI::App app("sluss");
  int exit_code = -1;
  std::ostringstream out, err;
  AddGateCommands(app, &exit_code, out, err);
  std::vector<std::string> args = {"check", "gate"};
  EXPECT_THROW(app.parse(args), CLI::RequiredError);
}

}  // namespace
}  // namespace sluss::client
