// sluss status: is the server healthy, and who does it say I am?
#include <iostream>

#include <nlohmann/json.hpp>

#include "client/cli.h"

namespace sluss::client {

void AddStatusCommand(CLI::App& app, const GlobalFlags& flags, int* exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "status", "Check the server's health over mTLS and show the agency it sees in your certificate");
  cmd->callback([&flags, exit_code] {
    auto client = ConnectFromFlags(flags);
    if (!client.ok()) {
      *exit_code = ReportError(client.status());
      return;
    }
    auto health = (*client)->CheckHealth();
    if (!health.ok()) {
      *exit_code = ReportError(health.status());
      return;
    }
    auto me = (*client)->WhoAmI();
    if (!me.ok()) {
      *exit_code = ReportError(me.status());
      return;
    }
    if (flags.json) {
      nlohmann::json out = {
          {"server", (*client)->profile().server},
          {"health", health->status},
          {"server_version", me->server_version()},
          {"agency", {{"orgnr", me->agency().orgnr()}, {"function", me->agency().function()}}},
          {"certificate_subject", me->certificate_subject()},
      };
      std::cout << out.dump(2) << std::endl;
    } else {
      std::cout << "server:   " << (*client)->profile().server << " (" << me->server_version() << ")\n"
                << "health:   " << health->status << "\n"
                << "agency:   " << me->agency().orgnr() << " " << me->agency().function()
                << "  (as read from your client certificate)\n"
                << "subject:  " << me->certificate_subject() << std::endl;
    }
    *exit_code = health->serving ? kExitOk : kExitUnavailable;
  });
}

}  // namespace sluss::client
