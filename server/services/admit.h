// The first step of every rate-limited handler: who is calling, then whether
// they are within their budget for this kind of call. Authentication comes
// first, so that a bad token is UNAUTHENTICATED (never RESOURCE_EXHAUSTED) and
// nobody can spend another principal's budget; the limit comes before any
// validation or storage, so that a refused call costs almost nothing.
#ifndef MAYDAY_SERVER_SERVICES_ADMIT_H_
#define MAYDAY_SERVER_SERVICES_ADMIT_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "auth/token.h"
#include "grpcpp/server_context.h"
#include "rpc/rate_limits.h"
#include "services/service_context.h"

namespace mayday::server {

// Authenticator::Require(context, role), then RateLimiter::Admit of `rpc`
// to the principal's `calls` bucket. The principal, or the first refusal:
// UNAUTHENTICATED / PERMISSION_DENIED, then RESOURCE_EXHAUSTED.
inline absl::StatusOr<Principal> Admit(const ServiceContext& services,
                                       const grpc::ServerContextBase& context, Role role,
                                       CallClass calls, absl::string_view rpc) {
  auto principal = services.auth->Require(context, role);
  if (!principal.ok()) return principal.status();
  if (auto s = services.limits->Admit(principal->Name(), calls, rpc); !s.ok()) return s;
  return principal;
}

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_SERVICES_ADMIT_H_
