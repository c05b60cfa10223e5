// maydayctl's reports, `stats` and `export`: their flags, and the checks of
// what was typed. See command_groups.h.
#include <memory>
#include <string>
#include <vector>

#include "maydayctl/command_groups.h"
#include "maydayctl/stats.h"

namespace mayday::tools {

std::vector<Command> AddReportCommands(CLI::App& app) {
  std::vector<Command> commands;

  auto since = std::make_shared<std::string>("24h");
  CLI::App* stats = app.add_subcommand("stats", "how the service did: figures over recent cases");
  stats->add_option("--since", *since, "window back from now: 24h, 90m, 7d ...")
      ->capture_default_str();
  commands.push_back({stats, [since](const CtlOptions& options) {
                        absl::StatusOr<absl::Duration> window = ParseWindow(*since);
                        if (!window.ok()) return UsageError(window.status().message());
                        return Report(ShowStats(options, *window));
                      }});

  // --format has one value today; it is required so that scripts name it,
  // and a value added to the check must be added to the runner too.
  auto format = std::make_shared<std::string>();
  CLI::App* export_command =
      app.add_subcommand("export", "open cases and responders for a map tool, on stdout");
  export_command->add_option("--format", *format, "geojson")
      ->required()
      ->check(CLI::IsMember({"geojson"}));
  commands.push_back({export_command, [format](const CtlOptions& options) {
                        if (*format != "geojson") return UsageError("unknown --format " + *format);
                        return Report(ExportGeoJson(options));
                      }});
  return commands;
}

}  // namespace mayday::tools
