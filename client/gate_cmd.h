// `sluss gate ...`: dry-run the sekretess gate from the command line.
//
//   sluss gate check --facts FILE.json [--date YYYY-MM-DD] [--json] [--lang sv|en]
//                    [--rulebook FILE.textpb]
//   sluss gate rules [--date YYYY-MM-DD] [--lang sv|en] [--routes] [--rulebook FILE.textpb]
//
// `check` reads Facts in the Protobuf JSON mapping of sluss.v1.Facts, assesses
// them with the bundled rulebook (or --rulebook) on --date (default: today in
// Europe/Stockholm) and prints a report (Swedish unless --lang en) or, with
// --json, the sluss.v1.Assessment in the Protobuf JSON mapping.
// Exit codes of check (beside the CLI's own, client/cli.h): 0 ALLOWED,
// 10 NOT_ALLOWED, 11 ALLOWED_IF_ATTESTED, 6 invalid input (unreadable or
// malformed facts, bad date or --lang, invalid rulebook); errors go to `err`
// and name the file and field. A missing --facts is a usage error (2).
//
// `rules` lists the provisions in force on the date; with --routes it prints
// the Markdown route table that docs/GATE.md embeds. Exit 0, or 6 on bad input.
//
// Nothing here touches the network or the diarium. Not thread-safe (writes to
// the given streams).
#ifndef SLUSS_CLIENT_GATE_CMD_H_
#define SLUSS_CLIENT_GATE_CMD_H_

#include <ostream>
#include <string>

#include "CLI/CLI.hpp"

namespace sluss::client {

inline constexpr int kGateExitAllowed = 0;
inline constexpr int kGateExitBadInput = 6;  // = kExitRefused, "invalid input"
inline constexpr int kGateExitNotAllowed = 10;
inline constexpr int kGateExitAllowedIfAttested = 11;

struct GateCheckOptions {
  std::string facts_path;
  // "YYYY-MM-DD"; empty = today in Europe/Stockholm.
  std::string date;
  bool json = false;
  std::string lang = "sv";
  // Empty = the bundled rulebook.
  std::string rulebook_path;
};

int RunGateCheck(const GateCheckOptions& options, std::ostream& out, std::ostream& err);

struct GateRulesOptions {
  std::string date;
  std::string lang = "sv";
  bool routes = false;
  bool json = false;
  std::string rulebook_path;
};

int RunGateRules(const GateRulesOptions& options, std::ostream& out, std::ostream& err);

// Adds the `gate` subcommand (with `check` and `rules`) to `app`. When one of
// them runs, its exit code is stored in `*exit_code`. `app`, `exit_code`,
// `out` and `err` must outlive app.parse().
void AddGateCommands(CLI::App& app, int* exit_code, std::ostream& out, std::ostream& err);

}  // namespace sluss::client

#endif  // SLUSS_CLIENT_GATE_CMD_H_
