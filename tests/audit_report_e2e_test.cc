// Integration: `sluss audit report` on a real diarium. A real slussd records
// a known set of requests, decisions and an own-initiative disclosure made
// through the real `sluss` binary; the auditor fetches the log and the report
// must count exactly those, in text, JSON and HTML. The HTML report is
// rendered in headless Chromium and the rendered document must show the
// figures the text report computed (its charts are drawn by the page's own
// script, so they exist only after rendering).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "base/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/dev_suite.h"
#include "tests/support/process.h"

namespace sluss::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Chromium from Debian's `chromium` package (deploy/install-deps installs it),
// or the binary named by $SLUSS_CHROMIUM.
std::string FindChromium() {
  if (const char* c = std::getenv("SLUSS_CHROMIUM"); c != nullptr && *c != '\0') {
    return ::access(c, X_OK) == 0 ? c : "";
  }
  for (const char* name : {"chromium", "chromium-browser"}) {
    for (absl::string_view dir : absl::StrSplit(std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin", ':')) {
      const std::string path = absl::StrCat(dir, "/", name);
      if (::access(path.c_str(), X_OK) == 0) return path;
    }
  }
  return "";
}

class AuditReportE2eTest : public DevServerSuite<AuditReportE2eTest> {
 public:
  static constexpr char kPkiPrefix[] = "rppki";
 protected:
  static std::string Request() { return RequestAged19("Är personen känd?"); }
};

// The counts of one row of a text table ("  10:18a   2   1   1").
std::vector<int> RowOf(const std::string& text, const std::string& section, const std::string& key) {
  const size_t at = text.find(section);
  if (at == std::string::npos) return {};
  for (absl::string_view line : absl::StrSplit(text.substr(at), '\n')) {
    line = absl::StripLeadingAsciiWhitespace(line);
    if (!absl::StartsWith(line, key + " ")) continue;
    std::vector<int> nums;
    for (absl::string_view w : absl::StrSplit(line.substr(key.size()), ' ', absl::SkipWhitespace())) {
      int v = 0;
      if (absl::SimpleAtoi(w, &v)) nums.push_back(v);
    }
    return nums;
  }
  return {};
}

TEST_F(AuditReportE2eTest, CountsWhatHappenedInTextJsonAndRenderedHtml) {
  // Two requests under 10:18a: one disclosed, one refused; one disclosure on
  // Skatteverket's own initiative under 10:24.
  const std::string answer = MakeTempDir("rpfile") + "/answer.txt";
  ASSERT_TRUE(WriteFileAtomically(answer, "Känd sedan 2024.", 0600, true).ok());
  const std::string disclosed = Request();
  ProcessResult dec = Sluss("bo.beslutsfattare",
                            {"decide", disclosed, "--disclose", answer, "--attest", "10:18a:konkret_risk=Iakttagelser.",
                             "--attest", "10:18a:inte_olampligt=Ingen insats påverkas.", "--motivation", "10:18a"});
  ASSERT_EQ(dec.exit_code, 0) << dec.err;
  const std::string refused = Request();
  ASSERT_EQ(Sluss("bo.beslutsfattare", {"decide", refused, "--refuse", "--reason", "Ingen konkret risk."}).exit_code, 0);
  const std::string facts = MakeTempDir("rpfile") + "/crime.json";
  ASSERT_TRUE(WriteFileAtomically(
                  facts, R"({"crime": {"stage": "COMMITTED", "offenceClasses": ["skattebrott"], "prisonInScale": true}})",
                  0600, true)
                  .ok());
  ProcessResult sent = Sluss("eva.handlaggare", {"send", "--to", "202100-0076:polis", "--category", "skatt",
                                                 "--purpose", "utreda_brott", "--basis", "10:24", "--facts", facts,
                                                 "--subject-kind", "organisation", "--subject", "556036-0793",
                                                 "--content", "Underlag.", "--motivation", "10:24 OSL"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;

  const std::string exp = MakeTempDir("rpexport") + "/log";
  ProcessResult fetched = Sluss("frida.revisor", {"audit", "fetch", "--out", exp});
  ASSERT_EQ(fetched.exit_code, 0) << fetched.err;
  // The log's key as dev-pki published it (not the export's own vkeys).
  const std::string vkey = std::string(absl::StripTrailingAsciiWhitespace(*ReadFile(*pki_ + "/log-signing.vkey")));
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  const std::string from = absl::FormatCivilTime(today - 40), to = absl::FormatCivilTime(today + 1);
  const std::vector<std::string> base = {"audit", "report", "--from", from, "--to", to, "--export", exp, "--vkey", vkey};

  // JSON: exactly what happened.
  std::vector<std::string> args = base;
  args.push_back("--json");
  ProcessResult js = Sluss("", args);
  ASSERT_EQ(js.exit_code, 0) << js.err;
  nlohmann::json j = Json(js);
  EXPECT_EQ(j["requests"], 2);
  EXPECT_EQ(j["disclosures"], 2);
  EXPECT_EQ(j["own_initiative"], 1);
  EXPECT_EQ(j["refusals"], 1);
  EXPECT_EQ(j["decided"], 2);
  std::map<std::string, std::vector<int>> provisions;
  for (const auto& row : j["by_provision"]) {
    provisions[row["key"]] = {row["requests"].get<int>(), row["disclosures"].get<int>(), row["refusals"].get<int>()};
  }
  EXPECT_EQ(provisions["10:18a"], (std::vector<int>{2, 1, 1}));
  EXPECT_EQ(provisions["10:24"], (std::vector<int>{0, 1, 0}));
  EXPECT_EQ(provisions.size(), 2u);
  std::map<std::string, int> pair_disclosures;
  for (const auto& row : j["by_pair"]) pair_disclosures[row["key"]] = row["disclosures"];
  EXPECT_EQ(pair_disclosures["Stockholms stad, socialnämnden → Polismyndigheten"], 1);
  EXPECT_EQ(pair_disclosures["Skatteverket → Polismyndigheten"], 1);
  int month_requests = 0;
  for (const auto& row : j["by_month"]) month_requests += row["requests"].get<int>();
  EXPECT_EQ(month_requests, 2);

  // Text, and the HTML written beside it.
  const std::string html = MakeTempDir("rphtml") + "/report.html";
  args = base;
  args.insert(args.end(), {"--html", html});
  ProcessResult text = Sluss("", args);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(RowOf(text.out, "Per provision", "10:18a"), (std::vector<int>{2, 1, 1})) << text.out;
  EXPECT_EQ(RowOf(text.out, "Per provision", "10:24"), (std::vector<int>{0, 1, 0})) << text.out;
  const std::string median_line = "median time from request to decision: ";
  const size_t m = text.out.find(median_line);
  ASSERT_NE(m, std::string::npos) << text.out;
  const std::string median = text.out.substr(m + median_line.size(), text.out.find(" (", m) - m - median_line.size());
  EXPECT_EQ(median, j["median_text"].get<std::string>());
  EXPECT_THAT(text.out, HasSubstr("(2 decisions)"));

  // One self-contained file: nothing fetched from elsewhere.
  auto page = ReadFile(html);
  ASSERT_TRUE(page.ok()) << page.status();
  for (const char* external : {"<link", "src=", "url(", "@import", "href=\"http"}) {
    EXPECT_THAT(*page, Not(HasSubstr(external))) << external;
  }
  EXPECT_THAT(*page, Not(HasSubstr("data-series=")));  // the bars come from the script

  // Rendered by Chromium: the figures of the text report are on the page,
  // in the tables and in the charts the script drew.
  const std::string chromium = FindChromium();
  ASSERT_FALSE(chromium.empty()) << "chromium is not installed: run deploy/install-deps (Debian package chromium); "
                                    "the HTML report cannot be checked without it";
  const std::string profile_dir = MakeTempDir("rpchromium");
  auto rendered = RunProcess({chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                              "--user-data-dir=" + profile_dir, "--dump-dom", "file://" + html},
                             {{"HOME", profile_dir}});
  ASSERT_TRUE(rendered.ok());
  ASSERT_EQ(rendered->exit_code, 0) << rendered->err;
  const std::string& dom = rendered->out;
  EXPECT_THAT(dom, HasSubstr(absl::StrCat("<td id=\"median\">", median, "</td>")));
  EXPECT_THAT(dom, HasSubstr(absl::StrCat("Mediantid från begäran till beslut: ", median, " (2 beslut)")));
  const std::vector<std::string> series = {"requests", "disclosures", "refusals"};
  for (const std::string key : {"10:18a", "10:24"}) {
    const std::vector<int> row = RowOf(text.out, "Per provision", key);
    ASSERT_EQ(row.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_THAT(dom, HasSubstr(absl::StrCat("data-series=\"", series[i], "\" data-key=\"", key, "\" data-value=\"",
                                              row[i], "\"")))
          << key << " " << series[i];
      EXPECT_THAT(dom, HasSubstr(absl::StrCat("<td class=\"", series[i], "\">", row[i], "</td>")));
    }
  }
  EXPECT_THAT(dom, HasSubstr(absl::StrCat("<td id=\"total-disclosures\">", j["disclosures"].get<int>(), "</td>")));

  // Live: the auditor's profile fetches the log itself; same figures.
  ProcessResult live = Sluss("frida.revisor", {"--json", "audit", "report", "--from", from, "--to", to});
  ASSERT_EQ(live.exit_code, 0) << live.err;
  EXPECT_EQ(Json(live)["by_provision"], j["by_provision"]);

  // A period before anything happened: zeros, no median.
  ProcessResult empty = Sluss("", {"--json", "audit", "report", "--from", "2020-01-01", "--to", "2020-02-29",
                                   "--export", exp, "--vkey", vkey});
  ASSERT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_EQ(Json(empty)["requests"], 0);
  EXPECT_EQ(Json(empty)["by_month"].size(), 2u);
  EXPECT_TRUE(Json(empty)["median_seconds"].is_null());
}

TEST_F(AuditReportE2eTest, RefusesALogThatDoesNotVerifyAndBadDates) {
  Request();
  const std::string exp = MakeTempDir("rptamper") + "/log";
  ASSERT_EQ(Sluss("frida.revisor", {"audit", "fetch", "--out", exp}).exit_code, 0);
  const std::string vkey = std::string(absl::StripTrailingAsciiWhitespace(*ReadFile(*pki_ + "/log-signing.vkey")));
  // One byte flipped inside the first entry bundle.
  std::string bundle_path;
  for (const auto& e : std::filesystem::recursive_directory_iterator(exp + "/tile/entries")) {
    if (e.is_regular_file()) {
      bundle_path = e.path().string();
      break;
    }
  }
  ASSERT_FALSE(bundle_path.empty());
  std::string bundle = *ReadFile(bundle_path);
  bundle[bundle.size() / 2] ^= 0x01;
  ASSERT_TRUE(WriteFileAtomically(bundle_path, bundle, 0644, true).ok());
  ProcessResult r = Sluss("", {"audit", "report", "--from", "2020-01-01", "--to", "2030-12-31", "--export", exp,
                               "--vkey", vkey});
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_THAT(r.err, HasSubstr("does not verify, so no report is made: first bad entry"));
  EXPECT_TRUE(r.out.empty());

  ProcessResult bad = Sluss("", {"audit", "report", "--from", "2026-13-01", "--to", "2026-12-31", "--export", exp});
  EXPECT_EQ(bad.exit_code, 6);
  EXPECT_THAT(bad.err, HasSubstr("--from \"2026-13-01\" is not a date"));
  ProcessResult backwards = Sluss("", {"audit", "report", "--from", "2026-12-31", "--to", "2026-01-01", "--export", exp});
  EXPECT_EQ(backwards.exit_code, 6);
  EXPECT_THAT(backwards.err, HasSubstr("is before --from"));
}

}  // namespace
}  // namespace sluss::testing
