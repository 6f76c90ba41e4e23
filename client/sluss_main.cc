// sluss: the command line for handläggare and auditors. See docs/USAGE.md.
#include <grpc/support/log.h>

#include <cstdlib>
#include <iostream>

#include "CLI/CLI.hpp"
#include "client/audit_cmd.h"
#include "client/audit_report.h"
#include "client/cli.h"
#include "client/gate_cmd.h"

int main(int argc, char** argv) {
  using namespace sluss::client;
  // gRPC logs transport errors (e.g. TLS handshake failures) to stderr on its
  // own; the CLI explains them in one sentence instead. SLUSS_DEBUG=1 keeps
  // gRPC's lines for troubleshooting.
  if (std::getenv("SLUSS_DEBUG") == nullptr) gpr_set_log_function([](gpr_log_func_args*) {});
  CLI::App app{"sluss - share secret information between authorities, lawfully and provably"};
  app.require_subcommand(1);
  GlobalFlags flags;
  app.add_option("--profile", flags.profile,
                 "profile name (in ~/.config/sluss/profiles) or path to a profile .toml")
      ->envname("SLUSS_PROFILE");
  app.add_flag("--json", flags.json, "machine-readable JSON output");
  int exit_code = kExitOk;
  AddStatusCommand(app, flags, &exit_code);
  AddKeygenCommand(app, flags, &exit_code);
  AddCaseCommands(app, flags, &exit_code);
  AddProfileCommands(app, flags, &exit_code);
  AddAssessCommand(app, flags, &exit_code);
  AddSendCommand(app, flags, &exit_code);
  AddGateCommands(app, &exit_code, std::cout, std::cerr);
  AddAuditCommands(app, flags, &exit_code, std::cout, std::cerr);
  AddAuditReportCommand(*app.get_subcommand("audit"), flags, &exit_code, std::cout, std::cerr);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  return exit_code;
}
