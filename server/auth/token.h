// Bearer tokens: how they are made, hashed and issued. A token is
// "mdy_" followed by 64 hex digits (256 random bits from OpenSSL's CSPRNG).
// Only its SHA-256 is stored, so a copy of the database gives no usable token.
#ifndef MAYDAY_SERVER_AUTH_TOKEN_H_
#define MAYDAY_SERVER_AUTH_TOKEN_H_

#include <array>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "store/store.h"

namespace mayday::server {

// Who a request comes from, once its token is checked.
struct Principal {
  Role role = Role::kMember;
  std::string subject;  // the member, responder or operator id
  // The public id of the token the call authenticated with (TokenId), and
  // when that token expires (InfiniteFuture: never).
  std::string token_id;
  absl::Time expire_time = absl::InfiniteFuture();
  // Resource name: "members/{id}", "responders/{id}" or "operators/{id}"
  // (operators and admins).
  std::string Name() const;
};

// Parses a role name as RoleName() prints it. INVALID_ARGUMENT otherwise.
absl::StatusOr<Role> ParseRole(absl::string_view name);

// OK if `subject` is a usable id: 1 to 64 of [A-Za-z0-9._-].
absl::Status ValidateSubject(absl::string_view subject);

// SHA-256 of `token`, and as the store keeps it: lowercase hex.
using TokenDigest = std::array<unsigned char, 32>;
TokenDigest DigestToken(absl::string_view token);
std::string DigestHex(const TokenDigest& digest);
// DigestHex(DigestToken(token)).
std::string HashToken(absl::string_view token);

// Makes a new token for `subject` in `role`, created at `now`, stores its
// hash in `store` and returns the plain token (shown once, never stored). If
// `audit` is given (who issues it, action and time), it is written to the
// audit trail in the same transaction, with the new token as its target.
// INVALID_ARGUMENT for a bad subject; the store's error if storing failed
// (then nothing is stored).
// A token made with `expire_time` stops being valid then (InfiniteFuture:
// never).
absl::StatusOr<std::string> IssueToken(Store& store, Role role, absl::string_view subject,
                                       absl::Time now, const AuditEntry* audit = nullptr,
                                       absl::Time expire_time = absl::InfiniteFuture());

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_AUTH_TOKEN_H_
