// maydayctl's `responders` (list, show), `timers` (list) and `members` (show) groups: their
// flags, and the checks of what was typed. See command_groups.h.
#include <vector>

#include "maydayctl/command_groups.h"

namespace mayday::tools {

std::vector<Command> AddLookupCommands(CLI::App& app) {
  CLI::App* responders = app.add_subcommand("responders", "inspect responders");
  responders->require_subcommand(1);
  std::vector<Command> commands = {
      AddCommand(*responders, "list", "list every known responder", &ListResponders),
      AddCommandOnOne(*responders, "show", "one responder and the cases it was assigned",
                      "responders", "the responder: ID or responders/ID", &ShowResponder),
  };

  CLI::App* timers = app.add_subcommand("timers", "members' safety timers");
  timers->require_subcommand(1);
  commands.push_back(AddCommand(
      *timers, "list", "running timers by deadline, then the latest ended or fired", &ListTimers));

  CLI::App* members = app.add_subcommand("members", "look up members");
  members->require_subcommand(1);
  commands.push_back(AddCommandOnOne(*members, "show", "one member: every case, message and rating",
                                     "members", "the member: ID or members/ID", &ShowMember));
  commands.push_back(AddCommandOnOne(
      *members, "medical-profile",
      "the member's medical profile, for a crew or a hospital (each read is audited)", "members",
      "the member: ID or members/ID", &ShowMedicalProfile));
  return commands;
}

}  // namespace mayday::tools
