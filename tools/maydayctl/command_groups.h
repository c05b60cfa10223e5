// maydayctl's command groups, one file each, so that main.cc only sets the
// global flags and registers them: `cases` (case_commands.cc), `responders`
// and `members` (lookup_commands.cc), `tokens` and `audit`
// (admin_commands.cc), `stats` and `export` (report_commands.cc),
// `webhooks` (webhook_commands.cc). Each group adds its subcommands and
// their flags to the CLI and says, for each, what runs once the command
// line is parsed and the global flags are known.
#ifndef MAYDAY_TOOLS_MAYDAYCTL_COMMAND_GROUPS_H_
#define MAYDAY_TOOLS_MAYDAYCTL_COMMAND_GROUPS_H_

#include <functional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "maydayctl/commands.h"

namespace mayday::tools {

// maydayctl's exit codes: 0 done, 1 the server refused or could not be
// reached, 2 bad usage (nothing was sent).
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Prints "maydayctl: <message>" on stderr; returns kExitUsage.
int UsageError(absl::string_view message);

// 0 when `status` is OK; otherwise prints "maydayctl: <CODE>: <message>" on
// stderr and returns kExitFailure.
int Report(const absl::Status& status);

// One leaf command: its CLI11 subcommand, and what runs when that is the one
// the command line named. `run` reads the command's flags as parsed, checks
// them (UsageError) and returns the exit code.
struct Command {
  CLI::App* cli;
  std::function<int(const CtlOptions& options)> run;
};

// Adds to `parent` the subcommand `name` without arguments of its own; it
// runs `call`.
Command AddCommand(CLI::App& parent, const std::string& name, const std::string& description,
                   absl::Status (*call)(const CtlOptions&));

// Adds to `parent` the subcommand `name` that takes one ID of `collection`
// ("responders": "ID or responders/ID", `id_help` saying what it is) and
// calls `call` with "{collection}/{id}"; a bad id is a usage error.
Command AddCommandOnOne(CLI::App& parent, const std::string& name, const std::string& description,
                        const std::string& collection, const std::string& id_help,
                        absl::Status (*call)(const CtlOptions&, const std::string&));

// Each adds its group's subcommands to `app`, in the order --help lists
// them, and returns its leaf commands. The flags they bind live as long as
// the returned closures.
std::vector<Command> AddCaseCommands(CLI::App& app);
std::vector<Command> AddLookupCommands(CLI::App& app);
std::vector<Command> AddAdminCommands(CLI::App& app);
std::vector<Command> AddReportCommands(CLI::App& app);
std::vector<Command> AddWebhookCommands(CLI::App& app);

}  // namespace mayday::tools

#endif  // MAYDAY_TOOLS_MAYDAYCTL_COMMAND_GROUPS_H_
