// Who is calling: the bearer token in a call's "authorization" metadata,
// checked against the stored token hashes, and the role checks every RPC
// makes before it touches anything.
#ifndef MAYDAY_SERVER_AUTH_AUTHENTICATOR_H_
#define MAYDAY_SERVER_AUTH_AUTHENTICATOR_H_

#include "absl/status/statusor.h"
#include "auth/token.h"
#include "grpcpp/server_context.h"
#include "store/store.h"

namespace mayday::server {

// Thread-safe (the store is).
class Authenticator {
 public:
  // `store` is not owned and must outlive the authenticator.
  explicit Authenticator(Store* store) : store_(store) {}

  // The principal behind the call's "authorization: Bearer <token>".
  // UNAUTHENTICATED if the metadata is missing or malformed, or the token is
  // unknown or revoked; UNAVAILABLE if the token store can't be read.
  absl::StatusOr<Principal> Authenticate(const grpc::ServerContextBase& context) const;

  // Authenticate(), then PERMISSION_DENIED unless the principal has `role`
  // (an admin also passes for kOperator: admins are operators who may also
  // manage tokens).
  absl::StatusOr<Principal> Require(const grpc::ServerContextBase& context, Role role) const;

 private:
  Store* store_;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_AUTH_AUTHENTICATOR_H_
