// maydayctl: the care agents' command-line client for Mayday's
// OperatorService. Parses flags (CLI11), then runs one command from
// commands.h. Exit codes: 0 success, 1 the server refused or could not be
// reached, 2 bad usage.
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "maydayctl/commands.h"
#include "maydayctl/format.h"
#include "maydayctl/people.h"
#include "maydayctl/rpc.h"
#include "maydayctl/tls_flags.h"
#include "maydayctl/stats.h"

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
  app.add_option("--server", options.server.address, "maydayd address, HOST:PORT")
      ->envname("MAYDAY_SERVER");
  app.add_option("--token", options.token, "operator bearer token")->envname("MAYDAY_TOKEN");
  app.add_option("--output,-o", output, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  app.add_option("--timeout", timeout_seconds, "deadline of each call in seconds, 0 for none")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  mayday::tools::AddTlsFlags(&app, &options.server);

  CLI::App* cases = app.add_subcommand("cases", "list, show, watch and act on cases");
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
  list->add_option("--page-size", query.page_size, "cases per page, 1 to 100 (0: server default)")
      ->check(CLI::Range(0, 100));
  list->add_option("--page-token", query.page_token, "continue from a previous page");
  list->add_flag("--all", query.all, "follow every page");
  bool escalated = false;
  list->add_flag("--escalated", escalated, "only escalated cases (same as --state escalated)");
  std::string list_member, list_responder, list_since, list_older_than;
  list->add_option("--member", list_member, "only this member's cases: ID or members/ID");
  list->add_option("--responder", list_responder,
                   "only cases assigned to this responder: ID or responders/ID");
  list->add_option("--since", list_since, "only cases created within this long: 90m, 24h, 7d");
  list->add_option("--older-than", list_older_than,
                   "only cases created longer ago than this: 5m, 1h (waiting too long)");

  CLI::App* show = cases->add_subcommand("show", "show a case, its timeline and internal notes");
  std::string case_id;
  show->add_option("ID", case_id, "the case: ID or cases/ID")->required();

  CLI::App* watch =
      cases->add_subcommand("watch",
                            "live tail of every case event until Ctrl-C; !! marks escalations, "
                            "<< messages from members");

  // ID and TEXT of `cases message` and `cases note`; the words of TEXT may
  // come unquoted and are joined with spaces.
  std::vector<std::string> words;
  CLI::App* message =
      cases->add_subcommand("message", "write to the member (and the assigned responder)");
  message->add_option("ID", case_id, "the case: ID or cases/ID")->required();
  message->add_option("TEXT", words, "the message, 1 to 1000 bytes")->required();
  CLI::App* note = cases->add_subcommand("note", "add an internal note, seen by care agents only");
  note->add_option("ID", case_id, "the case: ID or cases/ID")->required();
  note->add_option("TEXT", words, "the note, 1 to 1000 bytes")->required();

  CLI::App* cancel = cases->add_subcommand("cancel", "cancel an open case");
  cancel->add_option("ID", case_id, "the case: ID or cases/ID")->required();
  std::string reason;
  cancel->add_option("--reason", reason, "why, for the timeline")->required();
  bool false_alarm = false;
  cancel->add_flag("--false-alarm", false_alarm,
                   "nobody needed help (counted apart in stats)");
  CLI::App* resolve =
      cases->add_subcommand("resolve", "close an open case as RESOLVED (help came by other means)");
  resolve->add_option("ID", case_id, "the case: ID or cases/ID")->required();

  CLI::App* take = cases->add_subcommand(
      "take", "own a waiting case: dispatch stops matching it until you assign or release it");
  take->add_option("ID", case_id, "the case: ID or cases/ID")->required();
  CLI::App* release =
      cases->add_subcommand("release", "hand an owned case back to dispatch (matched again)");
  release->add_option("ID", case_id, "the case: ID or cases/ID")->required();
  CLI::App* escalate = cases->add_subcommand(
      "escalate", "mark a waiting case ESCALATED for every desk, and own it");
  escalate->add_option("ID", case_id, "the case: ID or cases/ID")->required();
  escalate->add_option("--reason", reason, "why, for the other agents")->required();
  CLI::App* assign = cases->add_subcommand(
      "assign", "manual dispatch: give a waiting case to a responder of your choice");
  assign->add_option("ID", case_id, "the case: ID or cases/ID")->required();
  std::string responder_id;
  assign->add_option("RESPONDER", responder_id, "the responder: ID or responders/ID")->required();

  CLI::App* responders = app.add_subcommand("responders", "inspect responders");
  responders->require_subcommand(1);
  CLI::App* responders_list = responders->add_subcommand("list", "list every known responder");
  CLI::App* responders_show =
      responders->add_subcommand("show", "one responder and the cases it was assigned");
  responders_show->add_option("ID", responder_id, "the responder: ID or responders/ID")
      ->required();

  CLI::App* members = app.add_subcommand("members", "look up members");
  members->require_subcommand(1);
  CLI::App* members_show =
      members->add_subcommand("show", "one member: every case, message and rating");
  std::string member_id;
  members_show->add_option("ID", member_id, "the member: ID or members/ID")->required();

  CLI::App* tokens = app.add_subcommand("tokens", "manage access tokens (admin token needed)");
  tokens->require_subcommand(1);
  CLI::App* tokens_create =
      tokens->add_subcommand("create", "issue a token; prints it once, on stdout");
  std::string token_role, token_subject;
  tokens_create->add_option("--role", token_role, "member, responder, operator or admin")
      ->required();
  tokens_create->add_option("--subject", token_subject, "the id it speaks for: alice, unit-7")
      ->required();
  CLI::App* tokens_list = tokens->add_subcommand("list", "every token, newest first");
  CLI::App* tokens_revoke = tokens->add_subcommand("revoke", "revoke a token at once");
  std::string token_id;
  tokens_revoke->add_option("ID", token_id, "the token: ID or tokens/ID (from tokens list)")
      ->required();

  CLI::App* audit =
      app.add_subcommand("audit", "the trail of privileged actions (admin token needed)");
  audit->require_subcommand(1);
  CLI::App* audit_list = audit->add_subcommand("list", "every audit entry, oldest first");
  CLI::App* audit_verify = audit->add_subcommand(
      "verify", "check the trail's hash chain; exit 1 naming the first broken entry");

  CLI::App* stats = app.add_subcommand("stats", "how the service did: figures over recent cases");
  std::string since = "24h";
  stats->add_option("--since", since, "window back from now: 24h, 90m, 7d ...")
      ->capture_default_str();

  CLI::App* export_command =
      app.add_subcommand("export", "open cases and responders for a map tool, on stdout");
  std::string export_format;
  export_command->add_option("--format", export_format, "geojson")
      ->required()
      ->check(CLI::IsMember({"geojson"}));

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
      absl::StatusOr<mayday::v1::CaseState> state = mayday::tools::ParseCaseState(text);
      if (!state.ok()) return UsageError(std::string(state.status().message()));
      query.states.push_back(*state);
    }
    if (!kind.empty()) {
      absl::StatusOr<mayday::v1::CaseKind> parsed = mayday::tools::ParseCaseKind(kind);
      if (!parsed.ok()) {
        return UsageError(std::string(parsed.status().message()));
      }
      query.kind = *parsed;
    }
    if (escalated) query.states.push_back(mayday::v1::CASE_STATE_ESCALATED);
    if (!list_member.empty()) {
      auto name = mayday::tools::ResourceName("members", list_member);
      if (!name.ok()) return UsageError(std::string(name.status().message()));
      query.member = *name;
    }
    if (!list_responder.empty()) {
      auto name = mayday::tools::ResourceName("responders", list_responder);
      if (!name.ok()) return UsageError(std::string(name.status().message()));
      query.responder = *name;
    }
    for (auto [text, bound] : {std::pair{&list_since, &query.newer_than},
                               std::pair{&list_older_than, &query.older_than}}) {
      if (text->empty()) continue;
      absl::StatusOr<absl::Duration> window = mayday::tools::ParseWindow(*text);
      if (!window.ok()) return UsageError(std::string(window.status().message()));
      *bound = *window;
    }
    return Report(mayday::tools::ListCases(options, query));
  }
  if (show->parsed()) {
    absl::StatusOr<std::string> name = mayday::tools::CaseName(case_id);
    if (!name.ok()) return UsageError(std::string(name.status().message()));
    return Report(mayday::tools::ShowCase(options, *name));
  }
  if (watch->parsed()) return Report(mayday::tools::WatchCases(options));
  if (take->parsed() || release->parsed() || escalate->parsed() || assign->parsed()) {
    absl::StatusOr<std::string> name = mayday::tools::CaseName(case_id);
    if (!name.ok()) return UsageError(std::string(name.status().message()));
    if (take->parsed()) return Report(mayday::tools::TakeCase(options, *name));
    if (release->parsed()) return Report(mayday::tools::ReleaseCase(options, *name));
    if (escalate->parsed()) {
      if (absl::StripAsciiWhitespace(reason).empty()) return UsageError("empty --reason");
      return Report(mayday::tools::EscalateCase(options, *name, reason));
    }
    auto responder = mayday::tools::ResourceName("responders", responder_id);
    if (!responder.ok()) return UsageError(std::string(responder.status().message()));
    return Report(mayday::tools::AssignCase(options, *name, *responder));
  }
  if (message->parsed() || note->parsed() || cancel->parsed() || resolve->parsed()) {
    absl::StatusOr<std::string> name = mayday::tools::CaseName(case_id);
    if (!name.ok()) return UsageError(std::string(name.status().message()));
    const std::string text = absl::StrJoin(words, " ");
    if ((message->parsed() || note->parsed()) && absl::StripAsciiWhitespace(text).empty()) {
      return UsageError("empty TEXT");
    }
    if (cancel->parsed() && absl::StripAsciiWhitespace(reason).empty()) {
      return UsageError("empty --reason");
    }
    if (message->parsed()) {
      return Report(mayday::tools::PostCaseMessage(options, *name, text));
    }
    if (note->parsed()) {
      return Report(mayday::tools::AddCaseNote(options, *name, text));
    }
    if (cancel->parsed()) {
      return Report(mayday::tools::CancelCase(options, *name, reason, false_alarm));
    }
    return Report(mayday::tools::ResolveCase(options, *name));
  }
  if (stats->parsed()) {
    absl::StatusOr<absl::Duration> window = mayday::tools::ParseWindow(since);
    if (!window.ok()) return UsageError(std::string(window.status().message()));
    return Report(mayday::tools::ShowStats(options, *window));
  }
  if (export_command->parsed()) {
    return Report(mayday::tools::ExportGeoJson(options));
  }
  if (responders_list->parsed()) {
    return Report(mayday::tools::ListResponders(options));
  }
  if (responders_show->parsed()) {
    auto name = mayday::tools::ResourceName("responders", responder_id);
    if (!name.ok()) return UsageError(std::string(name.status().message()));
    return Report(mayday::tools::ShowResponder(options, *name));
  }
  if (members_show->parsed()) {
    auto name = mayday::tools::ResourceName("members", member_id);
    if (!name.ok()) return UsageError(std::string(name.status().message()));
    return Report(mayday::tools::ShowMember(options, *name));
  }
  if (tokens_create->parsed()) {
    auto role = mayday::tools::ParseRole(token_role);
    if (!role.ok()) return UsageError(std::string(role.status().message()));
    return Report(mayday::tools::CreateToken(options, *role, token_subject));
  }
  if (tokens_list->parsed()) return Report(mayday::tools::ListTokens(options));
  if (tokens_revoke->parsed()) {
    auto name = mayday::tools::ResourceName("tokens", token_id);
    if (!name.ok()) return UsageError(std::string(name.status().message()));
    return Report(mayday::tools::RevokeToken(options, *name));
  }
  if (audit_list->parsed()) return Report(mayday::tools::ListAuditEntries(options));
  if (audit_verify->parsed()) return Report(mayday::tools::VerifyAuditTrail(options));
  return UsageError("no command; see --help");
}
