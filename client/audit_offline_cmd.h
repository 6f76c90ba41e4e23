// `sluss audit replay` and `sluss audit export --csv` (docs/USAGE.md
// "Auditing the diarium"): the auditor's commands over the decoded log
// (client/audit_log.h), beside the tree-level ones of client/audit_cmd.h.
//
//   sluss audit replay --export DIR [KEYS] [--json]
//       Verifies the tree against the checkpoint, then rebuilds the broker's
//       state and re-runs the gate on every assessment
//       (client/audit_replay.h). Exit 0 if nothing is found, 8 if a
//       disclosure was not allowed, an attestation is missing or an outcome
//       differs (every finding named by index), 7 if the tree does not
//       verify.
//   sluss audit export --export DIR --csv [--rows entries|cases] [--out FILE] [KEYS]
//       One row per entry (or per case) for a spreadsheet, without personal
//       data in clear: subjects only as the logged pseudonym, no free text
//       (summaries, motivations, reasons), no content.
//
// Not thread-safe (writes to the given streams).
#ifndef SLUSS_CLIENT_AUDIT_OFFLINE_CMD_H_
#define SLUSS_CLIENT_AUDIT_OFFLINE_CMD_H_

#include <ostream>
#include <string>

#include "CLI/CLI.hpp"
#include "client/audit_cmd.h"
#include "client/cli.h"

namespace sluss::client {

struct AuditReplayOptions {
  AuditSourceOptions source;
  bool json = false;
  bool progress = false;  // a progress bar on `err`
};
int RunAuditReplay(const AuditReplayOptions& options, std::ostream& out, std::ostream& err);

struct AuditExportOptions {
  AuditSourceOptions source;
  std::string rows = "entries";  // or "cases"
  std::string out_path;          // empty or "-": `out`
  bool csv = false;              // --csv (required: the only format so far)
};
int RunAuditExportCsv(const AuditExportOptions& options, std::ostream& out, std::ostream& err);

// Adds `replay` and `export` under the `audit` subcommand.
void AddAuditOfflineCommands(CLI::App& audit, const GlobalFlags& flags, int* exit_code, std::ostream& out,
                             std::ostream& err, bool tty);

}  // namespace sluss::client

#endif  // SLUSS_CLIENT_AUDIT_OFFLINE_CMD_H_
