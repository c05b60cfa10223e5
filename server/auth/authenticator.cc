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
  absl::string_view value(it->second.data(), it->second.size());
  constexpr absl::string_view kScheme = "Bearer ";
  if (!absl::StartsWithIgnoreCase(value, kScheme) || value.size() == kScheme.size()) {
    return absl::UnauthenticatedError(
        "malformed authorization metadata: expected \"Bearer <token>\"");
  }
  const std::string hash = HashToken(value.substr(kScheme.size()));
  const absl::Time now = clock_->Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = remembered_.find(hash);
    if (it != remembered_.end() && it->second.expires > now) return it->second.principal;
  }
  auto record = store_->FindToken(hash);
  if (absl::IsNotFound(record.status())) {
    return absl::UnauthenticatedError("the token is not valid: ask for a new one");
  }
  if (!record.ok()) return record.status();
  if (record->revoked) {
    return absl::UnauthenticatedError("the token was revoked: ask for a new one");
  }
  Principal principal{record->role, record->subject};
  absl::MutexLock lock(&mu_);
  if (remembered_.size() >= kMaxRemembered) remembered_.clear();
  remembered_[hash] = Remembered{principal, now + cache_ttl_};
  return principal;
}

void Authenticator::ForgetAll() {
  absl::MutexLock lock(&mu_);
  remembered_.clear();
}

absl::StatusOr<Principal> Authenticator::Require(const grpc::ServerContextBase& context,
                                                 Role role) const {
  if (staff_devices_ == StaffDevices::kClientCertificateRequired && role != Role::kMember &&
      !HasVerifiedClientCertificate(context)) {
    return absl::UnauthenticatedError(absl::StrCat(
        "this call needs a client certificate signed by the CA configured with "
        "--tls-client-ca: connect with the ",
        role == Role::kResponder ? "responder" : "operator", " device's certificate and key"));
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
