// `sluss audit report`: the yearly figures the myndighetsgrupp gives
// kommunstyrelsen, computed from the diarium — requests, disclosures and
// refusals per provision, per agency pair and per month, and the median
// time from request to decision — as text, JSON or one self-contained HTML
// file with charts.
//
//   sluss audit report --from 2026-01-01 --to 2026-12-31 --export DIR [--vkey …]
//                      [--html FILE] [--json] [--time-zone Europe/Stockholm]
//
// The log is verified first (storage/tile_audit.h, as `audit verify`); a log
// that does not verify gets no report (exit 7). Without --export the live log
// is fetched with the profile (an auditor's) into a temporary export first.
//
// Cases are read in one pass over the verified entries (ReadSlussLog,
// client/audit_log.h), which applies them to the broker's own projection
// (server/broker/projection.h) with the same Apply the server uses: a case's
// history is its entries in log order, its summary and the agencies' names
// the projection's state after the last entry. Nothing here re-implements
// the state machine.
//
// What is counted (each event by the time the broker logged it, as a civil
// day in --time-zone, inclusive of both dates):
//   request     a RequestEntry; provision = the basis the requester cited
//               ("(ingen)" if none)
//   disclosure  a DecisionEntry that discloses, or a SendEntry (own
//               initiative / duty notice); provision = the basis the gate
//               allowed it under: the cited basis if it allows every
//               category, else an attested provision that does, else the
//               first provision allowing the first category
//   refusal     a DecisionEntry that refuses; provision = the cited basis
//   agency pair "discloser → recipient" (the agency asked → the one asking)
//   median      over requests decided within the period: decision time −
//               request time
//
// Thread-compatible.
#ifndef SLUSS_CLIENT_AUDIT_REPORT_H_
#define SLUSS_CLIENT_AUDIT_REPORT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "client/cli.h"
#include "sluss/v1/diarium_entry.pb.h"
#include "sluss/v1/exchange.pb.h"
#include "storage/tile_source.h"

namespace sluss::client {

// One case as the broker's projection holds it, with the agencies' names.
struct ReportCase {
  v1::CaseHistoryResponse history;
  std::string discloser_name;
  std::string recipient_name;
};

// Every case in entries [0, size) of `source`, in the order they were
// opened: one pass of ReadSlussLog (client/audit_log.h), so the summaries
// are the broker's own projection of the log. `hint_size`: as
// ReadLogOptions::hint_size. kDataLoss naming the index if an entry does
// not parse or apply.
absl::StatusOr<std::vector<ReportCase>> ReadCases(storage::TileSource& source, uint64_t size,
                                                  uint64_t hint_size = 0);

struct ReportCounts {
  uint64_t requests = 0;
  uint64_t disclosures = 0;
  uint64_t refusals = 0;
};

struct ReportData {
  std::string from, to, time_zone;  // "YYYY-MM-DD", zone name
  std::string source;               // where the log came from
  uint64_t log_size = 0;            // entries verified and read
  std::string root;                 // base64 root of the verified checkpoint
  ReportCounts total;
  uint64_t own_initiative = 0;      // disclosures that were sends
  uint64_t duty_notices = 0;
  std::map<std::string, ReportCounts> by_provision;  // "10:18a", "(ingen)"
  std::map<std::string, ReportCounts> by_pair;       // "A → B"
  std::map<std::string, ReportCounts> by_month;      // "2026-11", every month of the period
  uint64_t decided = 0;                              // decisions in the median
  std::optional<absl::Duration> median;
};

// Counts `cases` over [from, to] (civil days in `zone`).
ReportData ComputeReport(const std::vector<ReportCase>& cases, absl::CivilDay from, absl::CivilDay to,
                         absl::TimeZone zone);

// "4.2 s", "17 min", "3 h 12 min", "2 d 5 h"; "–" if none.
std::string FormatMedian(const std::optional<absl::Duration>& d);

std::string RenderReportText(const ReportData& r);
nlohmann::json ReportJson(const ReportData& r);
// One self-contained HTML document (no external resources): tables, and
// bar charts drawn by a small inline script from the report's JSON, which
// is embedded in the page.
std::string RenderReportHtml(const ReportData& r);

// Adds `report` to the `audit` command (client/audit_cmd.h's app).
void AddAuditReportCommand(CLI::App& audit, const GlobalFlags& flags, int* exit_code, std::ostream& out,
                           std::ostream& err);

}  // namespace sluss::client

#endif  // SLUSS_CLIENT_AUDIT_REPORT_H_
