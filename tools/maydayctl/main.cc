// maydayctl: the care agents' command-line client for Mayday's
// OperatorService. Parses flags (CLI11), then runs one command from
// commands.h. Exit codes: 0 success, 1 the server refused or could not be
// reached, 2 bad usage.
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "maydayctl/commands.h"
#include "maydayctl/format.h"
#include "maydayctl/rpc.h"

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int UsageError(const std::string& message) {
  std::cerr << "maydayctl: " << message << "\n";
  return kExitUsage;
}

int Report(const absl::Status& status) {
  if (status.ok()) return 0;
  std::cerr << "maydayctl: " << mayday::tools::DescribeStatus(status) << "\n";
  return kExitFailure;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "maydayctl: the care agents' CLI for Mayday cases and "
      "responders.",
      "maydayctl"};
  app.fallthrough();  // Global flags may follow the command.
  app.require_subcommand(1);

  mayday::tools::CtlOptions options;
  std::string output = "table";
  double timeout_seconds = 10;
  app.add_option("--server", options.server.address,
                 "maydayd address, HOST:PORT")
      ->envname("MAYDAY_SERVER");
  app.add_option("--token", options.token, "operator bearer token")
      ->envname("MAYDAY_TOKEN");
  app.add_option("--output,-o", output, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  app.add_option("--timeout", timeout_seconds,
                 "deadline of each call in seconds, 0 for none")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_flag("--tls", options.server.tls, "connect with TLS");
  app.add_option("--ca-file", options.server.ca_file,
                 "with --tls: PEM roots to trust instead of the system's")
      ->check(CLI::ExistingFile);

  CLI::App* cases = app.add_subcommand("cases", "list, show and watch cases");
  cases->require_subcommand(1);

  CLI::App* list = cases->add_subcommand("list", "list cases, newest first");
  std::vector<std::string> states;
  std::string kind;
  mayday::tools::CaseListQuery query;
  list->add_option("--state", states,
                   "only these states (repeat or comma-separate): "
                   "dispatching, assigned, en_route, on_scene, resolved, "
                   "cancelled, escalated")
      ->delimiter(',');
  list->add_option("--kind", kind, "only road or medical cases")
      ->check(CLI::IsMember({"road", "medical"}, CLI::ignore_case));
  list->add_option("--page-size", query.page_size,
                   "cases per page, 1 to 100 (0: server default)")
      ->check(CLI::Range(0, 100));
  list->add_option("--page-token", query.page_token,
                   "continue from a previous page");
  list->add_flag("--all", query.all, "follow every page");

  CLI::App* show =
      cases->add_subcommand("show", "show a case and its timeline");
  std::string case_id;
  show->add_option("ID", case_id, "the case: ID or cases/ID")->required();

  CLI::App* watch = cases->add_subcommand(
      "watch", "live tail of every case event until Ctrl-C");

  CLI::App* responders = app.add_subcommand("responders", "inspect responders");
  responders->require_subcommand(1);
  CLI::App* responders_list =
      responders->add_subcommand("list", "list every known responder");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }

  if (options.server.address.empty()) {
    return UsageError(
        "no server: pass --server HOST:PORT or set "
        "MAYDAY_SERVER");
  }
  options.json = output == "json";
  options.timeout = absl::Seconds(timeout_seconds);

  if (list->parsed()) {
    for (const std::string& text : states) {
      absl::StatusOr<mayday::v1::CaseState> state =
          mayday::tools::ParseCaseState(text);
      if (!state.ok()) return UsageError(std::string(state.status().message()));
      query.states.push_back(*state);
    }
    if (!kind.empty()) {
      absl::StatusOr<mayday::v1::CaseKind> parsed =
          mayday::tools::ParseCaseKind(kind);
      if (!parsed.ok()) {
        return UsageError(std::string(parsed.status().message()));
      }
      query.kind = *parsed;
    }
    return Report(mayday::tools::ListCases(options, query));
  }
  if (show->parsed()) {
    absl::StatusOr<std::string> name = mayday::tools::CaseName(case_id);
    if (!name.ok()) return UsageError(std::string(name.status().message()));
    return Report(mayday::tools::ShowCase(options, *name));
  }
  if (watch->parsed()) return Report(mayday::tools::WatchCases(options));
  if (responders_list->parsed()) {
    return Report(mayday::tools::ListResponders(options));
  }
  return UsageError("no command; see --help");
}
