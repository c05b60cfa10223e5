// maydayctl's `cases` group: list, show, watch, message, note, cancel,
// resolve, take, release, escalate, assign, keep and export: their flags, and the checks
// of what was typed before commands.h's functions are called. See
// command_groups.h.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "maydayctl/command_groups.h"
#include "maydayctl/format.h"
#include "maydayctl/stats.h"

namespace mayday::tools {
namespace {

// `cases list`'s flags as typed.
struct ListFlags {
  std::vector<std::string> states;
  std::string kind;
  CaseListQuery query;
  bool escalated = false;
  std::string member, responder, since, older_than;
};

// The flags of the commands that act on one case. `words` are TEXT of
// `message` and `note`: they may come unquoted and are joined with spaces.
struct CaseFlags {
  std::string case_id;
  std::vector<std::string> words;
  std::string reason;
  bool false_alarm = false;
  std::string responder_id;
  std::string format = "cap";
  std::string sender = "mayday";
};

bool IsBlank(absl::string_view text) { return absl::StripAsciiWhitespace(text).empty(); }

int ListCasesCommand(const CtlOptions& options, const ListFlags& flags) {
  CaseListQuery query = flags.query;
  for (const std::string& text : flags.states) {
    absl::StatusOr<mayday::v1::CaseState> state = ParseCaseState(text);
    if (!state.ok()) return UsageError(state.status().message());
    query.states.push_back(*state);
  }
  if (!flags.kind.empty()) {
    absl::StatusOr<mayday::v1::CaseKind> kind = ParseCaseKind(flags.kind);
    if (!kind.ok()) return UsageError(kind.status().message());
    query.kind = *kind;
  }
  if (flags.escalated) query.states.push_back(mayday::v1::CASE_STATE_ESCALATED);
  if (!flags.member.empty()) {
    auto name = ResourceName("members", flags.member);
    if (!name.ok()) return UsageError(name.status().message());
    query.member = *name;
  }
  if (!flags.responder.empty()) {
    auto name = ResourceName("responders", flags.responder);
    if (!name.ok()) return UsageError(name.status().message());
    query.responder = *name;
  }
  for (auto [text, bound] : {std::pair{&flags.since, &query.newer_than},
                             std::pair{&flags.older_than, &query.older_than}}) {
    if (text->empty()) continue;
    absl::StatusOr<absl::Duration> window = ParseWindow(*text);
    if (!window.ok()) return UsageError(window.status().message());
    *bound = *window;
  }
  return Report(ListCases(options, query));
}

// What a command on one case does.
enum class CaseAction {
  kShow,
  kCrew,
  kMessage,
  kNote,
  kCancel,
  kResolve,
  kTake,
  kRelease,
  kEscalate,
  kAssign,
  kKeep,
  kExport,
};

// Runs `action` on the case `flags.case_id` names ("ID" or "cases/ID"),
// after checking what was typed: a bad id, a blank TEXT or --reason, a bad
// responder id are usage errors.
int RunOnCase(const CtlOptions& options, CaseAction action, const CaseFlags& flags) {
  absl::StatusOr<std::string> name = CaseName(flags.case_id);
  if (!name.ok()) return UsageError(name.status().message());
  const std::string text = absl::StrJoin(flags.words, " ");
  const bool needs_text = action == CaseAction::kMessage || action == CaseAction::kNote;
  if (needs_text && IsBlank(text)) return UsageError("empty TEXT");
  const bool needs_reason = action == CaseAction::kCancel || action == CaseAction::kEscalate;
  if (needs_reason && IsBlank(flags.reason)) return UsageError("empty --reason");
  switch (action) {
    case CaseAction::kShow:
      return Report(ShowCase(options, *name));
    case CaseAction::kCrew:
      return Report(WatchCaseCrew(options, *name));
    case CaseAction::kMessage:
      return Report(PostCaseMessage(options, *name, text));
    case CaseAction::kNote:
      return Report(AddCaseNote(options, *name, text));
    case CaseAction::kCancel:
      return Report(CancelCase(options, *name, flags.reason, flags.false_alarm));
    case CaseAction::kResolve:
      return Report(ResolveCase(options, *name));
    case CaseAction::kTake:
      return Report(TakeCase(options, *name));
    case CaseAction::kRelease:
      return Report(ReleaseCase(options, *name));
    case CaseAction::kEscalate:
      return Report(EscalateCase(options, *name, flags.reason));
    case CaseAction::kAssign: {
      auto responder = ResourceName("responders", flags.responder_id);
      if (!responder.ok()) return UsageError(responder.status().message());
      return Report(AssignCase(options, *name, *responder));
    }
    case CaseAction::kExport:
      return Report(flags.format == "eido" ? ExportCaseEido(options, *name, flags.sender)
                                           : ExportCaseCap(options, *name, flags.sender));
    case CaseAction::kKeep: {
      auto responder = ResourceName("responders", flags.responder_id);
      if (!responder.ok()) return UsageError(responder.status().message());
      return Report(KeepCrew(options, *name, *responder));
    }
  }
  return UsageError("no command; see --help");
}

}  // namespace

std::vector<Command> AddCaseCommands(CLI::App& app) {
  CLI::App* cases = app.add_subcommand("cases", "list, show, watch and act on cases");
  cases->require_subcommand(1);
  std::vector<Command> commands;

  auto list_flags = std::make_shared<ListFlags>();
  CLI::App* list = cases->add_subcommand("list", "list cases, newest first");
  list->add_option("--state", list_flags->states,
                   "only these states (repeat or comma-separate): "
                   "dispatching, assigned, en_route, on_scene, resolved, "
                   "cancelled, escalated")
      ->delimiter(',');
  list->add_option("--kind", list_flags->kind, "only road or medical cases")
      ->check(CLI::IsMember({"road", "medical"}, CLI::ignore_case));
  list->add_option("--page-size", list_flags->query.page_size,
                   "cases per page, 1 to 100 (0: server default)")
      ->check(CLI::Range(0, 100));
  list->add_option("--page-token", list_flags->query.page_token, "continue from a previous page");
  list->add_flag("--all", list_flags->query.all, "follow every page");
  list->add_flag("--escalated", list_flags->escalated,
                 "only escalated cases (same as --state escalated)");
  list->add_option("--member", list_flags->member, "only this member's cases: ID or members/ID");
  list->add_option("--responder", list_flags->responder,
                   "only cases assigned to this responder: ID or responders/ID");
  list->add_option("--since", list_flags->since,
                   "only cases created within this long: 90m, 24h, 7d");
  list->add_option("--older-than", list_flags->older_than,
                   "only cases created longer ago than this: 5m, 1h (waiting too long)");
  commands.push_back({list, [list_flags](const CtlOptions& options) {
                        return ListCasesCommand(options, *list_flags);
                      }});

  // Adds a subcommand on one case, its ID first; each has flags of its own,
  // which the caller may add to before parsing.
  const auto on_case = [cases, &commands](const std::string& name, const std::string& description,
                                          CaseAction action) {
    auto flags = std::make_shared<CaseFlags>();
    CLI::App* cli = cases->add_subcommand(name, description);
    cli->add_option("ID", flags->case_id, "the case: ID or cases/ID")->required();
    commands.push_back({cli, [flags, action](const CtlOptions& options) {
                          return RunOnCase(options, action, *flags);
                        }});
    return std::pair{cli, flags};
  };

  on_case("show", "show a case, where its crew is now, its timeline and internal notes",
          CaseAction::kShow);
  on_case("crew",
          "follow the crew coming to a case: distance and ETA from its position, every 100 m "
          "or 10 s, until it is on scene",
          CaseAction::kCrew);

  commands.push_back(AddCommand(*cases, "watch",
                                "live tail of every case event until Ctrl-C; !! marks "
                                "escalations, << messages from members",
                                &WatchCases));

  auto [message, message_flags] =
      on_case("message", "write to the member (and the assigned responder)", CaseAction::kMessage);
  message->add_option("TEXT", message_flags->words, "the message, 1 to 1000 bytes")->required();
  auto [note, note_flags] =
      on_case("note", "add an internal note, seen by care agents only", CaseAction::kNote);
  note->add_option("TEXT", note_flags->words, "the note, 1 to 1000 bytes")->required();

  auto [cancel, cancel_flags] = on_case("cancel", "cancel an open case", CaseAction::kCancel);
  cancel->add_option("--reason", cancel_flags->reason, "why, for the timeline")->required();
  cancel->add_flag("--false-alarm", cancel_flags->false_alarm,
                   "nobody needed help (counted apart in stats)");
  on_case("resolve", "close an open case as RESOLVED (help came by other means)",
          CaseAction::kResolve);

  on_case("take", "own a waiting case: dispatch stops matching it until you assign or release it",
          CaseAction::kTake);
  on_case("release", "hand an owned case back to dispatch (matched again)", CaseAction::kRelease);
  auto [escalate, escalate_flags] =
      on_case("escalate", "mark a waiting case ESCALATED for every desk, and own it",
              CaseAction::kEscalate);
  escalate->add_option("--reason", escalate_flags->reason, "why, for the other agents")->required();
  auto [assign, assign_flags] =
      on_case("assign", "manual dispatch: give a waiting case to a responder of your choice",
              CaseAction::kAssign);
  assign->add_option("RESPONDER", assign_flags->responder_id, "the responder: ID or responders/ID")
      ->required();
  auto [keep, keep_flags] =
      on_case("keep",
              "keep one crew on a case that has two (its first stalled and dispatch sent "
              "another): the other is sent away; or, with one, stop looking for a second",
              CaseAction::kKeep);
  keep->add_option("RESPONDER", keep_flags->responder_id,
                   "the crew that stays: ID or responders/ID")
      ->required();
  auto [export_case, export_flags] =
      on_case("export",
              "print a case for other systems: an OASIS CAP 1.2 alert (XML) or a NENA EIDO "
              "(JSON) for the emergency services (docs/integrations.md)",
              CaseAction::kExport);
  export_case->add_option("--format", export_flags->format, "cap or eido")
      ->check(CLI::IsMember({"cap", "eido"}))
      ->capture_default_str();
  export_case
      ->add_option("--sender", export_flags->sender,
                   "your organisation's domain (the CAP <sender>, the EIDO agency)")
      ->capture_default_str();
  return commands;
}

}  // namespace mayday::tools
