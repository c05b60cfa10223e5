// What every command group shares: how a command ends (usage and failure
// reports), and commands on one named resource; see command_groups.h.
#include "maydayctl/command_groups.h"

#include <iostream>
#include <memory>

#include "maydayctl/format.h"
#include "maydayctl/rpc.h"

namespace mayday::tools {

int UsageError(absl::string_view message) {
  std::cerr << "maydayctl: " << message << "\n";
  return kExitUsage;
}

int Report(const absl::Status& status) {
  if (status.ok()) return 0;
  std::cerr << "maydayctl: " << DescribeStatus(status) << "\n";
  return kExitFailure;
}

Command AddCommand(CLI::App& parent, const std::string& name, const std::string& description,
                   absl::Status (*call)(const CtlOptions&)) {
  return {parent.add_subcommand(name, description),
          [call](const CtlOptions& options) { return Report(call(options)); }};
}

Command AddCommandOnOne(CLI::App& parent, const std::string& name, const std::string& description,
                        const std::string& collection, const std::string& id_help,
                        absl::Status (*call)(const CtlOptions&, const std::string&)) {
  auto id = std::make_shared<std::string>();
  CLI::App* cli = parent.add_subcommand(name, description);
  cli->add_option("ID", *id, id_help)->required();
  return {cli, [id, collection, call](const CtlOptions& options) {
            absl::StatusOr<std::string> resource = ResourceName(collection, *id);
            if (!resource.ok()) return UsageError(resource.status().message());
            return Report(call(options, *resource));
          }};
}

}  // namespace mayday::tools
