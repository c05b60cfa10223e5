// maydayctl's admin groups, `tokens` (create, list, revoke) and `audit`
// (list, verify): their flags, and the checks of what was typed. The server
// refuses them without an admin token. See command_groups.h.
#include <memory>
#include <string>
#include <vector>

#include "maydayctl/command_groups.h"
#include "maydayctl/people.h"

namespace mayday::tools {
namespace {

// `audit verify`'s flags as typed.
struct HistoryHeadFlags {
  std::string audit_head;
  std::string case_head;
};

// `tokens create`'s flags as typed.
struct NewTokenFlags {
  std::string role;
  std::string subject;
  std::string expires_in;
};

}  // namespace

std::vector<Command> AddAdminCommands(CLI::App& app) {
  std::vector<Command> commands;

  CLI::App* tokens = app.add_subcommand("tokens", "manage access tokens (admin token needed)");
  tokens->require_subcommand(1);
  auto new_token = std::make_shared<NewTokenFlags>();
  CLI::App* tokens_create =
      tokens->add_subcommand("create", "issue a token; prints it once, on stdout");
  tokens_create
      ->add_option("--role", new_token->role, "member, responder, operator, admin or fleet")
      ->required();
  tokens_create->add_option("--subject", new_token->subject, "the id it speaks for: alice, unit-7")
      ->required();
  tokens_create->add_option("--expires-in", new_token->expires_in,
                            "valid for this long (90m, 8h, 30d; 1 minute to 10 years); "
                            "default: until revoked");
  commands.push_back({tokens_create, [new_token](const CtlOptions& options) {
                        auto role = ParseRole(new_token->role);
                        if (!role.ok()) return UsageError(role.status().message());
                        return Report(
                            CreateToken(options, *role, new_token->subject, new_token->expires_in));
                      }});
  commands.push_back(AddCommand(*tokens, "list", "every token, newest first", &ListTokens));
  commands.push_back(AddCommandOnOne(*tokens, "revoke", "revoke a token at once", "tokens",
                                     "the token: ID or tokens/ID (from tokens list)",
                                     &RevokeToken));

  CLI::App* audit =
      app.add_subcommand("audit", "the trail of privileged actions (admin token needed)");
  audit->require_subcommand(1);
  commands.push_back(
      AddCommand(*audit, "list", "every audit entry, oldest first", &ListAuditEntries));
  auto heads = std::make_shared<HistoryHeadFlags>();
  CLI::App* audit_verify = audit->add_subcommand(
      "verify",
      "check the audit trail's and the case history's hash chains; exit 1 naming the first "
      "break");
  audit_verify->add_option("--audit-head", heads->audit_head,
                           "SEQUENCE:HASH of an audit entry recorded earlier (maydayd's log)");
  audit_verify->add_option("--case-head", heads->case_head,
                           "SEQUENCE:HASH of a case history commit recorded earlier");
  commands.push_back({audit_verify, [heads](const CtlOptions& options) {
                        auto parsed = ParseHistoryHeads(heads->audit_head, heads->case_head);
                        if (!parsed.ok()) return UsageError(parsed.status().message());
                        return Report(VerifyAuditTrail(options, *parsed));
                      }});
  return commands;
}

}  // namespace mayday::tools
