// maydayctl's token commands, for admins: tokens create, list and revoke.
#include <iostream>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "maydayctl/commands.h"
#include "maydayctl/operator_call.h"
#include "maydayctl/people.h"
#include "maydayctl/rpc.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;

// One token as a one-row table.
std::string TokenRow(const v1::Token& token) {
  v1::ListTokensResponse one;
  *one.add_tokens() = token;
  return FormatTokenTable(one, absl::LocalTimeZone());
}

}  // namespace

absl::Status CreateToken(const CtlOptions& options, v1::Role role, const std::string& subject,
                         const std::string& expires_in) {
  v1::CreateTokenRequest request;
  request.set_role(role);
  request.set_subject(subject);
  if (!expires_in.empty()) {
    // absl's units ("8h", "90m"), and days ("30d"), which it has not.
    absl::Duration valid;
    int64_t days = 0;
    if (absl::EndsWith(expires_in, "d") &&
        absl::SimpleAtoi(absl::string_view(expires_in).substr(0, expires_in.size() - 1), &days)) {
      valid = absl::Hours(24 * days);
    } else if (!absl::ParseDuration(expires_in, &valid)) {
      return absl::InvalidArgumentError(absl::StrCat("--expires-in \"", expires_in,
                                                     "\" is not a duration: write 90m, 8h or 30d"));
    }
    request.mutable_expires_in()->set_seconds(absl::ToInt64Seconds(valid));
  }
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  v1::CreateTokenResponse created;
  absl::Status status =
      FromGrpc((*stub)->CreateToken(NewCallContext(options).get(), request, &created));
  if (!status.ok()) return status;
  if (options.json) return PrintJson(created);
  std::cout << created.secret() << '\n';
  std::cerr << TokenRow(created.token())
            << "the token above is shown once: hand it to its holder now\n";
  return absl::OkStatus();
}

absl::Status ListTokens(const CtlOptions& options) {
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  v1::ListTokensResponse tokens;
  absl::Status status = FromGrpc(
      (*stub)->ListTokens(NewCallContext(options).get(), v1::ListTokensRequest(), &tokens));
  if (!status.ok()) return status;
  if (options.json) return PrintJson(tokens);
  std::cout << FormatTokenTable(tokens, absl::LocalTimeZone());
  return absl::OkStatus();
}

absl::Status RevokeToken(const CtlOptions& options, const std::string& token_name) {
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  v1::RevokeTokenRequest request;
  request.set_name(token_name);
  v1::Token token;
  absl::Status status =
      FromGrpc((*stub)->RevokeToken(NewCallContext(options).get(), request, &token));
  if (!status.ok()) return status;
  if (options.json) return PrintJson(token);
  std::cout << TokenRow(token);
  return absl::OkStatus();
}

}  // namespace mayday::tools
