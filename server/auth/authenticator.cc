// Who is calling; see authenticator.h.
#include "auth/authenticator.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "auth/client_certificate.h"

namespace mayday::server {

absl::StatusOr<Principal> Authenticator::Authenticate(
    const grpc::ServerContextBase& context) const {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        "no credentials: send the metadata \"authorization: Bearer <token>\"");
  }
  return AuthenticateBearer(absl::string_view(it->second.data(), it->second.size()));
}

absl::StatusOr<Principal> Authenticator::AuthenticateBearer(absl::string_view value) const {
  constexpr absl::string_view kScheme = "Bearer ";
  if (!absl::StartsWithIgnoreCase(value, kScheme) || value.size() == kScheme.size()) {
    return absl::UnauthenticatedError(
        "malformed authorization metadata: expected \"Bearer <token>\"");
  }
  const TokenDigest digest = DigestToken(value.substr(kScheme.size()));
  const absl::Time now = clock_->Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = remembered_.find(digest);
    if (it != remembered_.end() && it->second.expires > now) {
      if (it->second.principal.expire_time <= now) {
        return absl::UnauthenticatedError("the token expired: ask for a new one");
      }
      return it->second.principal;
    }
  }
  auto record = store_->FindToken(DigestHex(digest));
  if (absl::IsNotFound(record.status())) {
    return absl::UnauthenticatedError("the token is not valid: ask for a new one");
  }
  if (!record.ok()) return record.status();
  if (record->revoked) {
    return absl::UnauthenticatedError("the token was revoked: ask for a new one");
  }
  if (record->expire_time <= now) {
    return absl::UnauthenticatedError("the token expired: ask for a new one");
  }
  Principal principal{record->role, record->subject, TokenId(record->token_hash),
                      record->expire_time};
  absl::MutexLock lock(&mu_);
  RememberLocked(digest, principal, now);
  return principal;
}

void Authenticator::RememberLocked(const TokenDigest& digest, const Principal& principal,
                                   absl::Time now) const {
  for (int i = 0; i < 2 && !order_.empty() &&
                  (order_.front().first <= now || remembered_.size() >= max_remembered_);
       ++i) {
    const auto& [expires, oldest] = order_.front();
    auto it = remembered_.find(oldest);
    if (it != remembered_.end() && it->second.expires == expires) remembered_.erase(it);
    order_.pop_front();
  }
  if (max_remembered_ == 0) return;
  const absl::Time expires = now + cache_ttl_;
  remembered_.insert_or_assign(digest, Entry{principal, expires});
  order_.emplace_back(expires, digest);
}

size_t Authenticator::Remembered() const {
  absl::MutexLock lock(&mu_);
  return remembered_.size();
}

void Authenticator::ForgetAll() {
  absl::MutexLock lock(&mu_);
  remembered_.clear();
  order_.clear();
}

absl::StatusOr<Principal> Authenticator::Require(const grpc::ServerContextBase& context,
                                                 Role role) const {
  if (staff_devices_ == StaffDevices::kClientCertificateRequired && role != Role::kMember &&
      !HasVerifiedClientCertificate(context)) {
    return absl::UnauthenticatedError(
        absl::StrCat("this call needs a client certificate signed by the CA configured with "
                     "--tls-client-ca: connect with the ",
                     role == Role::kResponder ? "responder device"
                     : role == Role::kFleet   ? "fleet feed"
                                              : "operator device",
                     "'s certificate and key"));
  }
  auto principal = Authenticate(context);
  if (!principal.ok()) return principal.status();
  const bool admin_as_operator = role == Role::kOperator && principal->role == Role::kAdmin;
  if (principal->role != role && !admin_as_operator) {
    // "an admin", "an operator", "a member", "a responder".
    const auto with_article = [](Role r) {
      const absl::string_view name = RoleName(r);
      return absl::StrCat(name.front() == 'a' || name.front() == 'o' ? "an " : "a ", name);
    };
    return absl::PermissionDeniedError(absl::StrCat("this call needs ", with_article(role),
                                                    " token; the token given is for ",
                                                    with_article(principal->role)));
  }
  return principal;
}

}  // namespace mayday::server
