// Who a token speaks for. The store keeps a role as its name, the API shows
// it as mayday.v1.Role, and authorisation decides by it.
#ifndef MAYDAY_SERVER_API_ROLES_H_
#define MAYDAY_SERVER_API_ROLES_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "mayday/v1/operator_service.pb.h"

namespace mayday::server {

// Roles a token can carry. An admin is an operator who may also manage
// tokens. A fleet is an organisation's vehicle tracking feed
// (FleetService), for the crews whose id starts with its subject and "-".
enum class Role { kMember, kResponder, kOperator, kAdmin, kFleet };

// "member", "responder", "operator", "admin" or "fleet": how roles are stored and
// spelled on the command line.
absl::string_view RoleName(Role role);
// The role spelled `name` as RoleName() spells it; nullopt otherwise.
std::optional<Role> RoleFromName(absl::string_view name);
// ROLE_MEMBER ... ROLE_FLEET.
mayday::v1::Role ToProtoRole(Role role);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_API_ROLES_H_
