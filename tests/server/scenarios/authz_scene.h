// The cast of the authorisation tests: one real maydayd with member A's
// cases in every state a principal can stand in to them, and the
// credentials of every principal the matrix calls with (authz_matrix_test).
//
//   closed case   A's, raised and cancelled by A (RateCase targets it);
//   assigned case A's, accepted by the assigned responder;
//   offered case  A's, offered to the offered responder, not yet answered.
// The unrelated responder is on duty with a capability no case needs.
#ifndef MAYDAY_TESTS_SERVER_AUTHZ_SCENE_H_
#define MAYDAY_TESTS_SERVER_AUTHZ_SCENE_H_

#include <array>
#include <memory>
#include <optional>
#include <string>

#include "crew.h"
#include "grpcpp/grpcpp.h"
#include "mayday/v1/resources.pb.h"
#include "test_server.h"

namespace mayday::testing {

// Who calls, in the matrix's column order.
enum class Principal {
  kMemberA,    // owner of the cases
  kMemberB,    // another member
  kOffered,    // responder holding the offer of the offered case
  kAssigned,   // responder assigned to the assigned case
  kUnrelated,  // responder on duty, nothing to do with any case
  kOperator,   // care agent
  kAdmin,      // care agent who manages tokens
  kFleet,      // a tracking feed whose fleet is the scene's crews ("r-...")
  kNoToken,    // no authorization metadata
  kMalformed,  // authorization metadata that is not "Bearer <token>"
  kUnknown,    // well-formed token that was never issued
  kRevoked,    // an issued token, revoked (for the service's own role)
};
inline constexpr int kPrincipalCount = 12;
inline constexpr std::array<Principal, kPrincipalCount> kAllPrincipals = {
    Principal::kMemberA,   Principal::kMemberB,   Principal::kOffered, Principal::kAssigned,
    Principal::kUnrelated, Principal::kOperator,  Principal::kAdmin,   Principal::kFleet,
    Principal::kNoToken,   Principal::kMalformed, Principal::kUnknown, Principal::kRevoked};

// "member A", "offered responder", ...
const char* PrincipalName(Principal principal);

// Which service a call goes to: a revoked token is one of that service's
// own role (member A's, the assigned responder's, an admin's).
enum class Service { kAlert, kResponder, kOperator, kFleet };

// Builds the scene described above; throws (failing the test) if the
// server does not get there.
class Scene {
 public:
  Scene();
  ~Scene();

  TestServer& server() { return server_; }

  // A context for `principal` calling `service`, with a deadline `timeout`
  // from now.
  std::unique_ptr<grpc::ClientContext> Context(Principal principal, Service service,
                                               absl::Duration timeout = absl::Seconds(10)) const;

  const std::string& closed_case() const { return closed_case_; }
  const std::string& assigned_case() const { return assigned_case_; }
  const std::string& offered_case() const { return offered_case_; }
  // A's safety timer, running.
  const std::string& running_timer() const { return running_timer_; }
  Crew& offered() { return *offered_; }
  Crew& assigned() { return *assigned_; }
  Crew& unrelated() { return *unrelated_; }
  // A member token nobody uses, for RevokeToken: "tokens/{id}".
  const std::string& spare_token() const { return spare_token_; }
  // An operator token other than the matrix's operator and admin.
  const std::string& desk_token() const { return desk_; }
  const std::string& member_a_token() const { return member_a_; }
  const std::string& operator_token() const { return operator_; }

  // The three cases as stored now.
  std::array<mayday::v1::Case, 3> Cases();

 private:
  TestServer server_;
  std::string member_a_, member_b_, operator_, admin_, desk_;
  std::string fleet_;
  std::string revoked_member_, revoked_responder_, revoked_admin_, revoked_fleet_;
  std::string spare_token_;
  std::unique_ptr<Crew> assigned_, offered_, unrelated_;
  std::string closed_case_, assigned_case_, offered_case_;
  std::string running_timer_;
};

}  // namespace mayday::testing

#endif  // MAYDAY_TESTS_SERVER_AUTHZ_SCENE_H_
