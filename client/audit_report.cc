// `sluss audit report` (client/audit_report.h, docs/USAGE.md).
#include "client/audit_report.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "client/audit_cmd.h"
#include "client/audit_log.h"
#include "exchange/action.h"
#include "client/workflow.h"
#include "storage/tile_audit.h"

namespace sluss::client {
namespace {

constexpr char kNoBasis[] = "(ingen)";

std::string AgencyRefText(const v1::AgencyRef& a) { return absl::StrCat(a.orgnr(), ":", a.function()); }

// The provision a disclosure was allowed under (see the header).
std::string DisclosureBasis(const v1::Assessment& a, const v1::Facts& facts) {
  auto allows_all = [&](const std::string& p) {
    if (p.empty() || a.categories_size() == 0) return false;
    for (const auto& c : a.categories()) {
      if (std::find(c.allowed_by().begin(), c.allowed_by().end(), p) == c.allowed_by().end()) return false;
    }
    return true;
  };
  if (allows_all(facts.claimed_basis())) return facts.claimed_basis();
  for (const auto& att : facts.attestations()) {
    if (allows_all(att.provision())) return att.provision();
  }
  if (a.categories_size() > 0 && a.categories(0).allowed_by_size() > 0) return a.categories(0).allowed_by(0);
  return kNoBasis;
}

std::string HtmlEscape(absl::string_view s) {
  return absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

nlohmann::json RowsJson(const std::map<std::string, ReportCounts>& m) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& [k, c] : m) {
    rows.push_back({{"key", k}, {"requests", c.requests}, {"disclosures", c.disclosures}, {"refusals", c.refusals}});
  }
  return rows;
}

// Display width of UTF-8 text (code points; the names here have no wide ones).
size_t Columns(absl::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

void TextTable(std::string* out, const char* title, const char* first, const std::map<std::string, ReportCounts>& m) {
  size_t w = Columns(first);
  for (const auto& [k, c] : m) w = std::max(w, Columns(k));
  absl::StrAppend(out, "\n", title, "\n");
  absl::StrAppend(out, "  ", first, std::string(w - Columns(first), ' '),
                  absl::StrFormat("  %8s  %11s  %8s\n", "REQUESTS", "DISCLOSURES", "REFUSALS"));
  if (m.empty()) absl::StrAppend(out, "  (none)\n");
  for (const auto& [k, c] : m) {
    absl::StrAppend(out, "  ", k, std::string(w - Columns(k), ' '),
                    absl::StrFormat("  %8d  %11d  %8d\n", c.requests, c.disclosures, c.refusals));
  }
}

void HtmlTable(std::string* out, const char* id, const char* first, const std::map<std::string, ReportCounts>& m) {
  absl::StrAppend(out, "<table id=\"", id, "\"><thead><tr><th>", first,
                  "</th><th>Begäranden</th><th>Utlämnanden</th><th>Avslag</th></tr></thead><tbody>\n");
  for (const auto& [k, c] : m) {
    absl::StrAppend(out, "<tr data-key=\"", HtmlEscape(k), "\"><td>", HtmlEscape(k), "</td><td class=\"requests\">",
                    c.requests, "</td><td class=\"disclosures\">", c.disclosures, "</td><td class=\"refusals\">",
                    c.refusals, "</td></tr>\n");
  }
  absl::StrAppend(out, "</tbody></table>\n");
}

// Draws grouped horizontal bar charts into every div.chart from the JSON in
// #report-data. Plain ES5; no network, no libraries.
constexpr char kChartScript[] = R"JS(
(function () {
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var ns = 'http://www.w3.org/2000/svg';
  var series = [['requests', 'Begäranden', '#4c72b0'], ['disclosures', 'Utlämnanden', '#55a868'],
                ['refusals', 'Avslag', '#c44e52']];
  function el(name, attrs, text) {
    var e = document.createElementNS(ns, name);
    for (var i = 0; i < attrs.length; i += 2) e.setAttribute(attrs[i], attrs[i + 1]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function draw(div, rows) {
    // Each row: its key on a line of its own, then one bar per series.
    var label = 0, head = 16, barH = 12, gap = 10, width = 760, max = 1;
    rows.forEach(function (r) { series.forEach(function (s) { max = Math.max(max, r[s[0]]); }); });
    var rowH = head + series.length * barH + gap;
    var svg = el('svg', ['class', 'bars', 'width', width, 'height', rows.length * rowH + 30, 'role', 'img']);
    series.forEach(function (s, i) {
      svg.appendChild(el('rect', ['x', i * 130, 'y', 2, 'width', 10, 'height', 10, 'fill', s[2]]));
      svg.appendChild(el('text', ['x', i * 130 + 14, 'y', 11, 'class', 'legend'], s[1]));
    });
    rows.forEach(function (r, n) {
      var y0 = 24 + n * rowH;
      svg.appendChild(el('text', ['x', 0, 'y', y0 + 12, 'class', 'key'], r.key));
      series.forEach(function (s, i) {
        var v = r[s[0]], w = Math.round((width - label - 60) * v / max), y = y0 + head + i * barH;
        svg.appendChild(el('rect', ['class', 'bar', 'data-series', s[0], 'data-key', r.key, 'data-value', v,
                                    'x', label, 'y', y, 'width', w, 'height', barH - 2, 'fill', s[2]]));
        svg.appendChild(el('text', ['class', 'value', 'x', label + w + 4, 'y', y + barH - 3], String(v)));
      });
    });
    div.appendChild(svg);
  }
  var charts = document.querySelectorAll('div.chart');
  for (var i = 0; i < charts.length; i++) draw(charts[i], data[charts[i].getAttribute('data-set')]);
  var fig = document.getElementById('median-figure');
  fig.textContent = 'Mediantid från begäran till beslut: ' + data.median_text + ' (' + data.decided + ' beslut)';
})();
)JS";

constexpr char kStyle[] = R"CSS(
body { font-family: sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border-bottom: 1px solid #ccc; padding: 0.2em 0.8em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.source { color: #555; font-size: 0.9em; }
svg text { font-size: 11px; } svg text.key { font-size: 12px; }
#median-figure { font-size: 1.2em; font-weight: bold; }
)CSS";

}  // namespace

absl::StatusOr<std::vector<ReportCase>> ReadCases(storage::TileSource& source, uint64_t size,
                                                  uint64_t hint_size) {
  broker::Projection state;
  std::vector<ReportCase> cases;
  std::map<std::string, size_t> by_id;  // case id -> position in `cases`
  ReadLogOptions ro;
  ro.hint_size = hint_size;
  ro.projection = &state;
  SLUSS_RETURN_IF_ERROR(ReadSlussLog(source, size, ro, [&](const LogEntryView& v) {
    const v1::DiariumEntry& e = *v.entry;
    const std::string* id = nullptr;
    if (e.has_request()) id = &e.request().opening().case_id();
    if (e.has_send()) id = &e.send().opening().case_id();
    if (e.has_decision()) id = &e.decision().case_id();
    if (e.has_receipt()) id = &e.receipt().case_id();
    if (id == nullptr) return absl::OkStatus();
    auto [it, added] = by_id.try_emplace(*id, cases.size());
    if (added) cases.emplace_back();
    v1::LoggedEntry* le = cases[it->second].history.add_entries();
    le->set_log_index(v.index);
    *le->mutable_entry() = e;
    return absl::OkStatus();
  }));
  auto name_of = [&](const v1::AgencyRef& r) {
    auto it = state.agencies.find(exchange::AgencyKey(r));
    return it == state.agencies.end() || it->second.name().empty() ? AgencyRefText(r) : it->second.name();
  };
  for (auto& [id, at] : by_id) {
    ReportCase& c = cases[at];
    // Every id here was applied (ReadSlussLog stops at an entry that does not apply).
    *c.history.mutable_summary() = state.cases.at(id).summary;
    c.discloser_name = name_of(c.history.summary().discloser());
    c.recipient_name = name_of(c.history.summary().recipient());
  }
  return cases;
}

ReportData ComputeReport(const std::vector<ReportCase>& cases, absl::CivilDay from, absl::CivilDay to,
                         absl::TimeZone zone) {
  ReportData r;
  r.from = absl::FormatCivilTime(from);
  r.to = absl::FormatCivilTime(to);
  r.time_zone = zone.name();
  for (absl::CivilMonth m(from); m <= absl::CivilMonth(to); ++m) r.by_month[absl::FormatCivilTime(m)];
  std::vector<absl::Duration> durations;
  auto day_of = [&](int64_t micros) { return absl::ToCivilDay(absl::FromUnixMicros(micros), zone); };
  auto in_range = [&](int64_t micros) {
    const absl::CivilDay d = day_of(micros);
    return d >= from && d <= to;
  };
  auto count = [&](int64_t micros, const std::string& provision, const std::string& pair,
                   uint64_t ReportCounts::*field) {
    r.total.*field += 1;
    r.by_provision[provision].*field += 1;
    r.by_pair[pair].*field += 1;
    r.by_month[absl::FormatCivilTime(absl::CivilMonth(day_of(micros)))].*field += 1;
  };
  for (const ReportCase& c : cases) {
    const std::string pair = absl::StrCat(c.discloser_name, " → ", c.recipient_name);
    std::optional<int64_t> requested;
    std::string claimed = kNoBasis;
    for (const v1::LoggedEntry& le : c.history.entries()) {
      const v1::DiariumEntry& e = le.entry();
      const int64_t t = e.time_unix_micros();
      if (e.has_request()) {
        requested = t;
        if (!e.request().facts().claimed_basis().empty()) claimed = e.request().facts().claimed_basis();
        if (in_range(t)) count(t, claimed, pair, &ReportCounts::requests);
      } else if (e.has_decision()) {
        if (!in_range(t)) continue;
        if (DecisionVerb(e) == "disclose") {
          count(t, DisclosureBasis(e.decision().assessment(), e.decision().facts()), pair, &ReportCounts::disclosures);
        } else {
          count(t, claimed, pair, &ReportCounts::refusals);
        }
        if (requested.has_value()) durations.push_back(absl::Microseconds(t - *requested));
      } else if (e.has_send()) {
        if (!in_range(t)) continue;
        count(t, DisclosureBasis(e.send().assessment(), e.send().facts()), pair, &ReportCounts::disclosures);
        if (c.history.summary().kind() == v1::DUTY_NOTICE) ++r.duty_notices;
        else ++r.own_initiative;
      }
    }
  }
  r.decided = durations.size();
  if (!durations.empty()) {
    std::sort(durations.begin(), durations.end());
    const size_t n = durations.size();
    r.median = n % 2 == 1 ? durations[n / 2] : (durations[n / 2 - 1] + durations[n / 2]) / 2;
  }
  return r;
}

std::string FormatMedian(const std::optional<absl::Duration>& d) {
  if (!d.has_value()) return "–";
  const double s = absl::ToDoubleSeconds(*d);
  if (s < 60) return absl::StrFormat("%.1f s", s);
  const int64_t mins = static_cast<int64_t>(s / 60);
  if (mins < 60) return absl::StrFormat("%d min", mins);
  if (mins < 24 * 60) return absl::StrFormat("%d h %d min", mins / 60, mins % 60);
  return absl::StrFormat("%d d %d h", mins / (24 * 60), (mins / 60) % 24);
}

std::string RenderReportText(const ReportData& r) {
  std::string out = absl::StrCat("Diarium report ", r.from, " to ", r.to, " (days in ", r.time_zone, ")\n");
  absl::StrAppend(&out, "source:      ", r.source, "\n", "log:         ", r.log_size,
                  " entries, verified against the checkpoint (root ", r.root, ")\n");
  absl::StrAppend(&out, "requests:    ", r.total.requests, "\n", "disclosures: ", r.total.disclosures, " (",
                  r.total.disclosures - r.own_initiative - r.duty_notices, " on request, ", r.own_initiative,
                  " on own initiative, ", r.duty_notices, " under a duty to disclose)\n", "refusals:    ", r.total.refusals,
                  "\n", "median time from request to decision: ", FormatMedian(r.median), " (", r.decided,
                  " decisions)\n");
  TextTable(&out, "Per provision", "PROVISION", r.by_provision);
  TextTable(&out, "Per agency pair (discloser → recipient)", "AGENCIES", r.by_pair);
  TextTable(&out, "Per month", "MONTH", r.by_month);
  return out;
}

nlohmann::json ReportJson(const ReportData& r) {
  return {{"from", r.from},
          {"to", r.to},
          {"time_zone", r.time_zone},
          {"source", r.source},
          {"log_size", r.log_size},
          {"root", r.root},
          {"requests", r.total.requests},
          {"disclosures", r.total.disclosures},
          {"own_initiative", r.own_initiative},
          {"duty_notices", r.duty_notices},
          {"refusals", r.total.refusals},
          {"decided", r.decided},
          {"median_seconds", r.median.has_value() ? nlohmann::json(absl::ToDoubleSeconds(*r.median)) : nlohmann::json()},
          {"median_text", FormatMedian(r.median)},
          {"by_provision", RowsJson(r.by_provision)},
          {"by_pair", RowsJson(r.by_pair)},
          {"by_month", RowsJson(r.by_month)}};
}

std::string RenderReportHtml(const ReportData& r) {
  std::string h;
  absl::StrAppend(&h, "<!DOCTYPE html>\n<html lang=\"sv\"><head><meta charset=\"utf-8\">\n<title>Utlämnanden ur diariet ",
                  r.from, " – ", r.to, "</title>\n<style>", kStyle, "</style></head>\n<body>\n");
  absl::StrAppend(&h, "<h1>Utlämnanden av sekretessbelagda uppgifter ", r.from, " – ", r.to, "</h1>\n");
  absl::StrAppend(&h, "<p class=\"source\">Ur diariet: ", HtmlEscape(r.source), ", ", r.log_size,
                  " poster verifierade mot kontrollpunkten (rot ", HtmlEscape(r.root), "). Dagar räknas i ",
                  HtmlEscape(r.time_zone), ".</p>\n");
  absl::StrAppend(&h, "<h2>Sammanfattning</h2>\n<table id=\"totals\"><tbody>\n",
                  "<tr><td>Begäranden</td><td id=\"total-requests\">", r.total.requests, "</td></tr>\n",
                  "<tr><td>Utlämnanden</td><td id=\"total-disclosures\">", r.total.disclosures, "</td></tr>\n",
                  "<tr><td>— varav på eget initiativ</td><td id=\"total-own-initiative\">", r.own_initiative,
                  "</td></tr>\n", "<tr><td>— varav enligt uppgiftsskyldighet</td><td id=\"total-duty\">",
                  r.duty_notices, "</td></tr>\n", "<tr><td>Avslag</td><td id=\"total-refusals\">", r.total.refusals,
                  "</td></tr>\n", "<tr><td>Mediantid från begäran till beslut</td><td id=\"median\">",
                  HtmlEscape(FormatMedian(r.median)), "</td></tr>\n</tbody></table>\n",
                  "<p id=\"median-figure\"></p>\n");
  absl::StrAppend(&h, "<h2>Per bestämmelse</h2>\n<div class=\"chart\" id=\"chart-provision\" data-set=\"by_provision\"></div>\n");
  HtmlTable(&h, "table-provision", "Bestämmelse", r.by_provision);
  absl::StrAppend(&h, "<h2>Per myndighetspar (utlämnande → mottagande)</h2>\n",
                  "<div class=\"chart\" id=\"chart-pair\" data-set=\"by_pair\"></div>\n");
  HtmlTable(&h, "table-pair", "Myndigheter", r.by_pair);
  absl::StrAppend(&h, "<h2>Per månad</h2>\n<div class=\"chart\" id=\"chart-month\" data-set=\"by_month\"></div>\n");
  HtmlTable(&h, "table-month", "Månad", r.by_month);
  // The data the charts are drawn from. Every '<' as the JSON escape \u003c,
  // so no name can end the script element early or open a comment in it.
  const std::string json = absl::StrReplaceAll(ReportJson(r).dump(), {{"<", "\\u003c"}});
  absl::StrAppend(&h, "<script type=\"application/json\" id=\"report-data\">", json, "</script>\n<script>",
                  kChartScript, "</script>\n</body></html>\n");
  return h;
}

namespace {

struct ReportOptions {
  AuditSourceOptions source;
  std::string from, to, html, zone = "Europe/Stockholm";
  bool json = false;
  int threads = 0;
};

int Fail(std::ostream& err, const absl::Status& s) {
  err << "sluss audit report: " << s.message() << "\n";
  return ExitCodeFor(s);
}

absl::StatusOr<absl::CivilDay> ParseDay(const char* flag, const std::string& text) {
  absl::CivilDay d;
  if (!absl::ParseCivilTime(text, &d) || absl::FormatCivilTime(d) != text) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " \"", text, "\" is not a date YYYY-MM-DD"));
  }
  return d;
}

// A temporary directory removed when this goes out of scope.
struct TempDir {
  std::string path;
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};

absl::StatusOr<std::string> MakeTemp(const char* what) {
  std::string templ = (std::filesystem::temp_directory_path() / absl::StrCat("sluss-", what, "-XXXXXX")).string();
  if (::mkdtemp(templ.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("cannot create a temporary directory ", templ));
  }
  return templ;
}

int RunReport(ReportOptions o, const GlobalFlags& flags, std::ostream& out, std::ostream& err) {
  auto from = ParseDay("--from", o.from);
  if (!from.ok()) return Fail(err, from.status());
  auto to = ParseDay("--to", o.to);
  if (!to.ok()) return Fail(err, to.status());
  if (*to < *from) return Fail(err, absl::InvalidArgumentError(absl::StrCat("--to ", o.to, " is before --from ", o.from)));
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(o.zone, &zone)) {
    return Fail(err, absl::InvalidArgumentError(absl::StrCat("--time-zone \"", o.zone,
                                                             "\" is not a known zone (is tzdata installed?)")));
  }
  TempDir fetched;
  if (o.source.export_dir.empty()) {
    // Live: fetch the log with the profile (an auditor's) first.
    auto client = ConnectFromFlags(flags);
    if (!client.ok()) {
      return Fail(err, absl::Status(client.status().code(),
                                    absl::StrCat("no --export DIR given, and the live log needs a profile: ",
                                                 client.status().message())));
    }
    auto dir = MakeTemp("export");
    if (!dir.ok()) return Fail(err, dir.status());
    fetched.path = *dir;
    auto f = FetchExport(**client, fetched.path);
    if (!f.ok()) return Fail(err, ExplainConnectError(f.status(), (*client)->profile()));
    o.source.export_dir = fetched.path;
  }
  auto source = OpenAuditSource(o.source);
  if (!source.ok()) return Fail(err, source.status());
  auto trust = LoadTrustedKeys(o.source, **source);
  if (!trust.ok()) return Fail(err, trust.status());
  if (trust->from_source && fetched.path.empty()) {
    err << "sluss audit report: warning: no --vkey given, so the export's own vkeys file is trusted; pass the "
           "log operator's key with --vkey or --vkey-file\n";
  }
  storage::AuditOptions ao;
  ao.threads = o.threads;
  auto audit = storage::AuditTiles(**source, trust->keys, ao);
  if (!audit.ok()) return Fail(err, audit.status());
  if (!audit->ok()) {
    const storage::AuditProblem& p = audit->problems.front();
    return Fail(err, absl::DataLossError(absl::StrCat(
                         "the log does not verify, so no report is made: first bad entry ", p.index, " (",
                         storage::AuditProblemKindName(p.kind), "): ", p.message, " (run `sluss audit verify`)")));
  }
  auto cases = ReadCases(**source, audit->size, audit->size);
  if (!cases.ok()) return Fail(err, cases.status());
  ReportData r = ComputeReport(*cases, *from, *to, zone);
  r.source = fetched.path.empty() ? (*source)->Describe() : "the live diarium (fetched with the profile)";
  r.log_size = audit->size;
  r.root = absl::Base64Escape(absl::string_view(reinterpret_cast<const char*>(audit->recomputed_root.data()),
                                                audit->recomputed_root.size()));
  if (!o.html.empty()) {
    absl::Status w = WriteFileAtomically(o.html, RenderReportHtml(r), 0644, /*overwrite=*/true);
    if (!w.ok()) return Fail(err, w);
  }
  if (o.json || flags.json) {
    nlohmann::json j = ReportJson(r);
    if (!o.html.empty()) j["html"] = o.html;
    out << j.dump(2) << std::endl;
  } else {
    out << RenderReportText(r);
    if (!o.html.empty()) out << "\nHTML report written to " << o.html << "\n";
    out.flush();
  }
  return kExitOk;
}

}  // namespace

void AddAuditReportCommand(CLI::App& audit, const GlobalFlags& flags, int* exit_code, std::ostream& out,
                           std::ostream& err) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* r = audit.add_subcommand(
      "report", "Requests, disclosures and refusals per provision, agency pair and month; median time to decision");
  r->add_option("--from", o->from, "First day, YYYY-MM-DD")->required();
  r->add_option("--to", o->to, "Last day, YYYY-MM-DD (inclusive)")->required();
  r->add_option("--export", o->source.export_dir, "tlog-tiles export (default: fetch the live log with the profile)");
  r->add_option("--vkey", o->source.vkeys, "trusted verifier key of the log; repeatable");
  r->add_option("--vkey-file", o->source.vkey_file, "file of trusted verifier keys");
  r->add_option("--html", o->html, "Also write the report as one self-contained HTML file with charts");
  r->add_option("--time-zone", o->zone, "Zone whose days and months are counted (default Europe/Stockholm)");
  r->add_option("--threads", o->threads, "Verification threads (default: one per core)");
  r->add_flag("--json", o->json, "machine-readable report");
  r->callback([o, &flags, exit_code, &out, &err] { *exit_code = RunReport(*o, flags, out, err); });
}

}  // namespace sluss::client
