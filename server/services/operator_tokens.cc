// OperatorService: access tokens, for admins only. A new token's secret is
// returned once and never stored (auth/token.h); listings show tokens by
// their public id.
#include "absl/strings/str_cat.h"
#include "auth/token.h"
#include "cases/proto_time.h"
#include "rpc/unary.h"
#include "rpc/validation.h"
#include "services/operator_service.h"

namespace mayday::server {
namespace {

mayday::v1::Role ToProtoRole(Role role) {
  switch (role) {
    case Role::kMember:
      return mayday::v1::ROLE_MEMBER;
    case Role::kResponder:
      return mayday::v1::ROLE_RESPONDER;
    case Role::kOperator:
      return mayday::v1::ROLE_OPERATOR;
    case Role::kAdmin:
      return mayday::v1::ROLE_ADMIN;
  }
  return mayday::v1::ROLE_UNSPECIFIED;
}

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
    default:
      break;
  }
  return absl::InvalidArgumentError(
      "role must be ROLE_MEMBER, ROLE_RESPONDER, ROLE_OPERATOR or ROLE_ADMIN");
}

mayday::v1::Token ToProto(const TokenRecord& record) {
  mayday::v1::Token token;
  token.set_name(absl::StrCat("tokens/", TokenId(record.token_hash)));
  token.set_role(ToProtoRole(record.role));
  token.set_subject(record.subject);
  *token.mutable_create_time() = ToProtoTime(record.create_time);
  token.set_revoked(record.revoked);
  return token;
}

}  // namespace

grpc::ServerUnaryReactor* OperatorServiceImpl::CreateToken(
    grpc::CallbackServerContext* context, const mayday::v1::CreateTokenRequest* request,
    mayday::v1::CreateTokenResponse* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    if (auto p = services_.auth->Require(*context, Role::kAdmin); !p.ok()) return p.status();
    auto role = FromProtoRole(request->role());
    if (!role.ok()) return role.status();
    if (auto s = ValidateSubject(request->subject()); !s.ok()) return s;
    auto secret = IssueToken(*services_.store, *role, request->subject());
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
  return FinishUnary(context, [&]() -> absl::Status {
    if (auto p = services_.auth->Require(*context, Role::kAdmin); !p.ok()) return p.status();
    auto tokens = services_.store->ListTokens();
    if (!tokens.ok()) return tokens.status();
    for (const TokenRecord& record : *tokens) *response->add_tokens() = ToProto(record);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::RevokeToken(
    grpc::CallbackServerContext* context, const mayday::v1::RevokeTokenRequest* request,
    mayday::v1::Token* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    if (auto p = services_.auth->Require(*context, Role::kAdmin); !p.ok()) return p.status();
    auto id = ParseTokenName("name", request->name());
    if (!id.ok()) return id.status();
    auto revoked = services_.store->RevokeToken(*id);
    if (!revoked.ok()) return revoked.status();
    services_.auth->ForgetAll();  // the revoked token stops working now
    *response = ToProto(*revoked);
    return absl::OkStatus();
  });
}

}  // namespace mayday::server
