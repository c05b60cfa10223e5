// The store's Role as the API's mayday.v1.Role, for the calls that show
// tokens and audit entries.
#ifndef MAYDAY_SERVER_SERVICES_PROTO_ROLE_H_
#define MAYDAY_SERVER_SERVICES_PROTO_ROLE_H_

#include "mayday/v1/operator_service.pb.h"
#include "store/store.h"

namespace mayday::server {

// ROLE_MEMBER ... ROLE_ADMIN for `role`.
inline mayday::v1::Role ToProtoRole(Role role) {
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

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_SERVICES_PROTO_ROLE_H_
