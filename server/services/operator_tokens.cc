// OperatorService: access tokens, for admins only. A new token's secret is
// returned once and never stored (auth/token.h); listings show tokens by
// their public id.
#include "absl/strings/str_cat.h"
#include "api/names.h"
#include "api/proto_time.h"
#include "api/roles.h"
#include "auth/token.h"
#include "log/log.h"
#include "rpc/unary.h"
#include "rpc/validation.h"
#include "services/admit.h"
#include "services/audit_trail.h"
#include "services/operator_service.h"

namespace mayday::server {
namespace {

absl::StatusOr<Role> FromProtoRole(mayday::v1::Role role) {
  switch (role) {
    case mayday::v1::ROLE_MEMBER:
      return Role::kMember;
    case mayday::v1::ROLE_RESPONDER:
      return Role::kResponder;
    case mayday::v1::ROLE_OPERATOR:
      return Role::kOperator;
    case mayday::v1::ROLE_ADMIN:
      return Role::kAdmin;
    case mayday::v1::ROLE_FLEET:
      return Role::kFleet;
    default:
      break;
  }
  return absl::InvalidArgumentError(
      "role must be ROLE_MEMBER, ROLE_RESPONDER, ROLE_OPERATOR, ROLE_ADMIN or ROLE_FLEET");
}

mayday::v1::Token ToProto(const TokenRecord& record) {
  mayday::v1::Token token;
  token.set_name(absl::StrCat("tokens/", TokenId(record.token_hash)));
  token.set_role(ToProtoRole(record.role));
  token.set_subject(record.subject);
  *token.mutable_create_time() = ToProtoTime(record.create_time);
  token.set_revoked(record.revoked);
  if (record.expire_time != absl::InfiniteFuture()) {
    *token.mutable_expire_time() = ToProtoTime(record.expire_time);
  }
  return token;
}

}  // namespace

grpc::ServerUnaryReactor* OperatorServiceImpl::CreateToken(
    grpc::CallbackServerContext* context, const mayday::v1::CreateTokenRequest* request,
    mayday::v1::CreateTokenResponse* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto admin = services_.auth->Require(*context, Role::kAdmin);
    if (!admin.ok()) return admin.status();
    auto role = FromProtoRole(request->role());
    if (!role.ok()) return role.status();
    if (auto s = ValidateSubject(request->subject()); !s.ok()) return s;
    const AuditEntry audit = AuditOf(*admin, *services_.clock, "token.create", "");
    absl::Time expire_time = absl::InfiniteFuture();
    if (request->has_expires_in()) {
      const absl::Duration valid = absl::Seconds(request->expires_in().seconds()) +
                                   absl::Nanoseconds(request->expires_in().nanos());
      if (valid < absl::Minutes(1) || valid > absl::Hours(24 * 3653)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "expires_in must be between 1 minute and 10 years; got ", absl::FormatDuration(valid)));
      }
      expire_time = audit.time + valid;
    }
    auto secret =
        IssueToken(*services_.store, *role, request->subject(), audit.time, &audit, expire_time);
    if (!secret.ok()) return secret.status();
    auto record = services_.store->FindToken(HashToken(*secret));
    if (!record.ok()) return record.status();
    *response->mutable_token() = ToProto(*record);
    response->set_secret(*std::move(secret));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::ListTokens(
    grpc::CallbackServerContext* context, const mayday::v1::ListTokensRequest*,
    mayday::v1::ListTokensResponse* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto admin = Admit(services_, *context, Role::kAdmin, CallClass::kStaffReads, "ListTokens");
    if (!admin.ok()) return admin.status();
    auto tokens = services_.store->ListTokens();
    if (!tokens.ok()) return tokens.status();
    for (const TokenRecord& record : *tokens) *response->add_tokens() = ToProto(record);
    RecordRead(*services_.store, AuditOf(*admin, *services_.clock, "tokens.list", "tokens",
                                         absl::StrCat(response->tokens_size(), " tokens")))
        .IgnoreError();  // reported by RecordRead; the list is answered anyway
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::RevokeToken(
    grpc::CallbackServerContext* context, const mayday::v1::RevokeTokenRequest* request,
    mayday::v1::Token* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto admin = services_.auth->Require(*context, Role::kAdmin);
    if (!admin.ok()) return admin.status();
    auto id = ParseTokenName("name", request->name());
    if (!id.ok()) return id.status();
    AuditEntry audit = AuditOf(*admin, *services_.clock, "token.revoke", request->name());
    absl::StatusOr<TokenRecord> revoked = absl::UnknownError("not run");
    absl::Status stored = SubmitAndWait(*services_.store, [&](WriteTxn& txn) {
      revoked = txn.RevokeToken(*id);
      if (!revoked.ok()) return revoked.status();
      audit.detail = absl::StrCat("role ", RoleName(revoked->role), " for ", revoked->subject);
      return txn.AppendAudit(audit);
    });
    if (!stored.ok()) return stored;
    services_.auth->ForgetAll();      // the revoked token stops working now
    services_.sessions->Revoke(*id);  // and so do the streams it holds
    if (revoked->role == Role::kResponder) services_.dispatcher->Withdraw(revoked->subject);
    LogInfo("token_revoked", "%s (%s %s) revoked by %s; its calls and streams end now",
            request->name(), RoleName(revoked->role), revoked->subject, admin->Name());
    *response = ToProto(*revoked);
    return absl::OkStatus();
  });
}

}  // namespace mayday::server
