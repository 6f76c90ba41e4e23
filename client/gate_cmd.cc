#include "client/gate_cmd.h"

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/file.h"
#include "gate/assess.h"
#include "gate/render.h"
#include "gate/rulebook.h"
#include "google/protobuf/util/json_util.h"

namespace sluss::client {
namespace {

absl::StatusOr<absl::CivilDay> DecisionDate(const std::string& text) {
  if (text.empty()) {
    absl::TimeZone tz;
    if (!absl::LoadTimeZone("Europe/Stockholm", &tz)) tz = absl::UTCTimeZone();
    return absl::ToCivilDay(absl::Now(), tz);
  }
  absl::CivilDay day;
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day) || absl::FormatCivilTime(day) != text) {
    return absl::InvalidArgumentError(absl::StrCat("--date: \"", text, "\" is not a date YYYY-MM-DD"));
  }
  return day;
}

absl::StatusOr<gate::Lang> ParseLang(const std::string& lang) {
  if (lang == "sv") return gate::Lang::kSv;
  if (lang == "en") return gate::Lang::kEn;
  return absl::InvalidArgumentError(absl::StrCat("--lang: \"", lang, "\" is not sv or en"));
}

absl::StatusOr<std::unique_ptr<const gate::Rulebook>> LoadRulebook(const std::string& path) {
  return path.empty() ? gate::Rulebook::Bundled() : gate::Rulebook::LoadFile(path);
}

int Fail(std::ostream& err, const absl::Status& status) {
  err << "sluss gate: " << status.message() << "\n";
  return kGateExitBadInput;
}

}  // namespace

int RunGateCheck(const GateCheckOptions& options, std::ostream& out, std::ostream& err) {
  absl::StatusOr<absl::CivilDay> date = DecisionDate(options.date);
  if (!date.ok()) return Fail(err, date.status());
  absl::StatusOr<gate::Lang> lang = ParseLang(options.lang);
  if (!lang.ok()) return Fail(err, lang.status());
  absl::StatusOr<std::string> json = ReadFile(options.facts_path);
  if (!json.ok()) return Fail(err, json.status());
  v1::Facts facts;
  google::protobuf::util::JsonParseOptions parse_options;
  parse_options.ignore_unknown_fields = false;
  // Protobuf's own util::Status (not absl::Status in 3.21); its message names
  // the field, e.g. "(subject.age_years): invalid value ...".
  const auto parsed = google::protobuf::util::JsonStringToMessage(*json, &facts, parse_options);
  if (!parsed.ok()) {
    return Fail(err, absl::InvalidArgumentError(
                         absl::StrCat("facts file ", options.facts_path, ": ",
                                      std::string(parsed.message().data(), parsed.message().size()))));
  }
  absl::StatusOr<std::unique_ptr<const gate::Rulebook>> rulebook = LoadRulebook(options.rulebook_path);
  if (!rulebook.ok()) return Fail(err, rulebook.status());
  absl::StatusOr<v1::Assessment> assessment = gate::Assess(**rulebook, facts, *date);
  if (!assessment.ok()) {
    return Fail(err, absl::InvalidArgumentError(absl::StrCat(
                         "facts file ", options.facts_path, ": ", assessment.status().message())));
  }
  if (options.json) {
    std::string text;
    google::protobuf::util::JsonPrintOptions print_options;
    print_options.add_whitespace = true;
    const auto printed = google::protobuf::util::MessageToJsonString(*assessment, &text, print_options);
    if (!printed.ok()) return Fail(err, absl::InternalError(printed.ToString()));
    out << text;
  } else {
    out << gate::RenderAssessment(**rulebook, *assessment, *lang);
  }
  switch (assessment->outcome()) {
    case v1::ALLOWED:
      return kGateExitAllowed;
    case v1::ALLOWED_IF_ATTESTED:
      return kGateExitAllowedIfAttested;
    default:
      return kGateExitNotAllowed;
  }
}

int RunGateRules(const GateRulesOptions& options, std::ostream& out, std::ostream& err) {
  absl::StatusOr<absl::CivilDay> date = DecisionDate(options.date);
  if (!date.ok()) return Fail(err, date.status());
  absl::StatusOr<gate::Lang> lang = ParseLang(options.lang);
  if (!lang.ok()) return Fail(err, lang.status());
  absl::StatusOr<std::unique_ptr<const gate::Rulebook>> rulebook = LoadRulebook(options.rulebook_path);
  if (!rulebook.ok()) return Fail(err, rulebook.status());
  if (options.json) {
    // The rulebook's identity and every provision with the version in force
    // on the date (Protobuf JSON mapping of each, as `gate check --json`).
    nlohmann::json doc = {{"rulebook", (*rulebook)->proto().id()},
                          {"edition", (*rulebook)->proto().edition()},
                          {"digest", (*rulebook)->digest()},
                          {"date", absl::FormatCivilTime(*date)},
                          {"provisions", nlohmann::json::array()}};
    for (const v1::DisclosureProvision& p : gate::RulesInForce(**rulebook, *date)) {
      std::string one;
      const auto printed = google::protobuf::util::MessageToJsonString(p, &one);
      if (!printed.ok()) return Fail(err, absl::InternalError(printed.ToString()));
      doc["provisions"].push_back(nlohmann::json::parse(one));
    }
    out << doc.dump(2) << "\n";
    return 0;
  }
  if (options.routes) {
    out << gate::RenderRouteTable(**rulebook, *date,
                                  {"polismyndigheten", "aklagarmyndigheten", "kommun_socialnamnd",
                                   "skatteverket", "forsakringskassan", "annan_myndighet"});
  } else {
    out << gate::RenderRules(**rulebook, *date, *lang);
  }
  return 0;
}

void AddGateCommands(CLI::App& app, int* exit_code, std::ostream& out, std::ostream& err) {
  CLI::App* gate = app.add_subcommand("gate", "Dry-run the sekretess gate (OSL 10 kap.)");
  gate->require_subcommand(1);

  auto check_options = std::make_shared<GateCheckOptions>();
  CLI::App* check = gate->add_subcommand("check", "Assess facts (Protobuf JSON of sluss.v1.Facts)");
  check->add_option("--facts", check_options->facts_path, "Facts file (JSON)")->required();
  check->add_option("--date", check_options->date, "Decision date YYYY-MM-DD (default: today)");
  check->add_flag("--json", check_options->json, "Print the Assessment as JSON");
  check->add_option("--lang", check_options->lang, "sv or en (default sv)");
  check->add_option("--rulebook", check_options->rulebook_path, "Rulebook file (default: bundled)");
  check->callback([check_options, exit_code, &out, &err] {
    *exit_code = RunGateCheck(*check_options, out, err);
  });

  auto rules_options = std::make_shared<GateRulesOptions>();
  CLI::App* rules = gate->add_subcommand("rules", "List the provisions in force on a date");
  rules->add_option("--date", rules_options->date, "Date YYYY-MM-DD (default: today)");
  rules->add_option("--lang", rules_options->lang, "sv or en (default sv)");
  rules->add_flag("--routes", rules_options->routes, "Print the route table (Markdown)");
  rules->add_flag("--json", rules_options->json, "Print the provisions in force as JSON");
  rules->add_option("--rulebook", rules_options->rulebook_path, "Rulebook file (default: bundled)");
  rules->callback([rules_options, exit_code, &out, &err] {
    *exit_code = RunGateRules(*rules_options, out, err);
  });
}

}  // namespace sluss::client
