// Who is calling: the bearer token in a call's "authorization" metadata,
// checked against the stored token hashes, and the role checks every RPC
// makes before it touches anything.
#ifndef MAYDAY_SERVER_AUTH_AUTHENTICATOR_H_
#define MAYDAY_SERVER_AUTH_AUTHENTICATOR_H_

#include <cstddef>
#include <deque>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/token.h"
#include "grpcpp/server_context.h"
#include "mayday/base/clock.h"
#include "store/store.h"

namespace mayday::server {

// Whether responder and operator devices must come with a client
// certificate (mutual TLS, maydayd --tls-client-ca). Members never need one:
// their phones have none.
enum class StaffDevices {
  // Any peer may call the responder and operator services with a token.
  kAnyPeer,
  // Calls that need a responder, operator or admin token also need a client
  // certificate signed by the configured client CA; without one they get
  // UNAUTHENTICATED before the token is looked at.
  kClientCertificateRequired,
};

// Thread-safe. Checked tokens are remembered for `cache_ttl`, so that a
// busy client costs one hash and one map lookup per call instead of a
// database read: a token revoked through this server (ForgetAll) stops
// working at once, one revoked by another process within cache_ttl. At most
// `max_remembered` are remembered; they are forgotten in the order they were
// checked, a few per check once their time is up (or the most are
// remembered), so that no call pays for forgetting many at once.
class Authenticator {
 public:
  // `store` and `clock` are not owned and must outlive the authenticator.
  Authenticator(Store* store, const base::Clock* clock,
                StaffDevices staff_devices = StaffDevices::kAnyPeer,
                absl::Duration cache_ttl = absl::Seconds(10), size_t max_remembered = 100'000)
      : store_(store),
        clock_(clock),
        staff_devices_(staff_devices),
        cache_ttl_(cache_ttl),
        max_remembered_(max_remembered) {}

  // Forgets every remembered token (after a revocation).
  void ForgetAll();

  // The principal behind the call's "authorization: Bearer <token>".
  // UNAUTHENTICATED if the metadata is missing or malformed, or the token is
  // unknown or revoked; UNAVAILABLE if the token store can't be read.
  absl::StatusOr<Principal> Authenticate(const grpc::ServerContextBase& context) const;
  // The same for the metadata's value ("Bearer <token>").
  absl::StatusOr<Principal> AuthenticateBearer(absl::string_view authorization) const;

  // Tokens remembered now (tests and metrics).
  size_t Remembered() const;

  // Authenticate(), then PERMISSION_DENIED unless the principal has `role`
  // (an admin also passes for kOperator: admins are operators who may also
  // manage tokens). With StaffDevices::kClientCertificateRequired and a role
  // other than kMember, first UNAUTHENTICATED unless the peer has a verified
  // client certificate.
  absl::StatusOr<Principal> Require(const grpc::ServerContextBase& context, Role role) const;

 private:
  struct Entry {
    Principal principal;
    absl::Time expires;
  };
  // Remembers `principal` for `digest` until now + cache_ttl, after
  // forgetting up to two of the oldest entries that are due.
  void RememberLocked(const TokenDigest& digest, const Principal& principal, absl::Time now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Store* const store_;
  const base::Clock* const clock_;
  const StaffDevices staff_devices_;
  const absl::Duration cache_ttl_;
  const size_t max_remembered_;
  mutable absl::Mutex mu_;
  // By the token's SHA-256 (its hex form is only made for the store).
  mutable absl::flat_hash_map<TokenDigest, Entry> remembered_ ABSL_GUARDED_BY(mu_);
  // Every remembering, oldest first, with the expiry it set (an entry
  // remembered again later is only forgotten by its newest one).
  mutable std::deque<std::pair<absl::Time, TokenDigest>> order_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_AUTH_AUTHENTICATOR_H_
