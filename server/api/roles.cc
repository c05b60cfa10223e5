// Roles; see roles.h.
#include "api/roles.h"

namespace mayday::server {

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kMember:
      return "member";
    case Role::kResponder:
      return "responder";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
    case Role::kFleet:
      return "fleet";
  }
  return "member";  // unreachable: every Role is handled above
}

std::optional<Role> RoleFromName(absl::string_view name) {
  for (Role role : {Role::kMember, Role::kResponder, Role::kOperator, Role::kAdmin, Role::kFleet}) {
    if (name == RoleName(role)) return role;
  }
  return std::nullopt;
}

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
    case Role::kFleet:
      return mayday::v1::ROLE_FLEET;
  }
  return mayday::v1::ROLE_UNSPECIFIED;
}

}  // namespace mayday::server
