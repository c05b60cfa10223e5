// maydayctl: the care agents' command-line client for Mayday's
// OperatorService. Sets the global flags, registers the command groups of
// command_groups.h (CLI11), parses, then runs the one command named. Exit
// codes: 0 success, 1 the server refused or could not be reached, 2 bad
// usage.
#include <string>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/time/time.h"
#include "maydayctl/command_groups.h"
#include "maydayctl/commands.h"
#include "maydayctl/tls_flags.h"

int main(int argc, char** argv) {
  namespace tools = ::mayday::tools;
  CLI::App app{
      "maydayctl: the care agents' CLI for Mayday cases and "
      "responders.",
      "maydayctl"};
  app.set_version_flag("--version", "maydayctl " MAYDAY_VERSION);
  app.fallthrough();  // Global flags may follow the command.
  app.require_subcommand(1);

  tools::CtlOptions options;
  std::string output = "table";
  double timeout_seconds = 10;
  app.add_option("--server", options.server.address,
                 "maydayd address, HOST:PORT; several replicas: ipv4:H1:P1,H2:P2 or "
                 "dns:///NAME:PORT")
      ->envname("MAYDAY_SERVER");
  app.add_option("--token", options.token, "operator bearer token")->envname("MAYDAY_TOKEN");
  app.add_option("--output,-o", output, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  app.add_option("--timeout", timeout_seconds, "deadline of each call in seconds, 0 for none")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  tools::AddTlsFlags(&app, &options.server);

  std::vector<tools::Command> commands;
  for (auto add_group :
       {&tools::AddCaseCommands, &tools::AddLookupCommands, &tools::AddAdminCommands,
        &tools::AddReportCommands, &tools::AddWebhookCommands}) {
    for (tools::Command& command : add_group(app)) commands.push_back(std::move(command));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : tools::kExitUsage;
  }

  if (options.server.address.empty()) {
    return tools::UsageError(
        "no server: pass --server HOST:PORT or set "
        "MAYDAY_SERVER");
  }
  // Every command is an operator's call: without a token the server could
  // only answer with gRPC's words for a missing header.
  if (options.token.empty()) {
    return tools::UsageError(
        "no token: pass --token TOKEN or set MAYDAY_TOKEN (an operator's token, from "
        "`maydayd token create --role operator`)");
  }
  options.json = output == "json";
  options.timeout = absl::Seconds(timeout_seconds);

  for (const tools::Command& command : commands) {
    if (command.cli->parsed()) return command.run(options);
  }
  return tools::UsageError("no command; see --help");
}
