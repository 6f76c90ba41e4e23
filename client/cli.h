// Shared plumbing of the `sluss` CLI: global flags, exit codes, error
// printing. Each command lives in its own *_cmd.cc and registers itself on
// the CLI11 app through an Add*Commands function declared here.
//
// Exit codes (docs/USAGE.md):
//   0 ok · 1 other failure · 2 usage error · 3 denied (unauthenticated or
//   permission denied) · 4 not found · 5 server unavailable ·
//   6 invalid input or failed precondition (the server refused the content) ·
//   7 verification failed (the log, a proof or a checkpoint does not verify:
//     kDataLoss) · 8 audit findings (`audit replay` found a disclosure the
//     rules did not allow, a missing attestation or a differing outcome)
#ifndef SLUSS_CLIENT_CLI_H_
#define SLUSS_CLIENT_CLI_H_

#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "client/client.h"

namespace sluss::client {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,
  kExitUsage = 2,
  kExitDenied = 3,
  kExitNotFound = 4,
  kExitUnavailable = 5,
  kExitRefused = 6,
  kExitVerifyFailed = 7,
  kExitAuditFindings = 8,
};

struct GlobalFlags {
  std::string profile;  // --profile NAME|FILE (or $SLUSS_PROFILE)
  bool json = false;    // --json: machine-readable output on stdout
};

// Maps a status to the documented exit code.
int ExitCodeFor(const absl::Status& status);

// Prints "sluss: <message>" to stderr and returns ExitCodeFor(status).
int ReportError(const absl::Status& status);

// Loads the profile named by the flags and connects. kInvalidArgument if no
// profile was given.
absl::StatusOr<std::unique_ptr<SlussClient>> ConnectFromFlags(const GlobalFlags& flags);

void AddStatusCommand(CLI::App& app, const GlobalFlags& flags, int* exit_code);
void AddKeygenCommand(CLI::App& app, const GlobalFlags& flags, int* exit_code);
// request new, inbox, outbox, case show, decide, open (client/case_cmd.cc).
void AddCaseCommands(CLI::App& app, const GlobalFlags& flags, int* exit_code);
// profile init / check (client/profile_cmd.cc).
void AddProfileCommands(CLI::App& app, const GlobalFlags& flags, int* exit_code);
// assess CASE (client/assess_cmd.cc).
void AddAssessCommand(CLI::App& app, const GlobalFlags& flags, int* exit_code);
// send: own-initiative disclosure or duty notice (client/send_cmd.cc).
void AddSendCommand(CLI::App& app, const GlobalFlags& flags, int* exit_code);

}  // namespace sluss::client

#endif  // SLUSS_CLIENT_CLI_H_
