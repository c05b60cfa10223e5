// Bearer tokens; see token.h.
#include "auth/token.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "log/log.h"

namespace mayday::server {

std::string Principal::Name() const {
  switch (role) {
    case Role::kMember:
      return absl::StrCat("members/", subject);
    case Role::kResponder:
      return absl::StrCat("responders/", subject);
    case Role::kOperator:
    case Role::kAdmin:
      return absl::StrCat("operators/", subject);
    case Role::kFleet:
      return absl::StrCat("fleets/", subject);
  }
  return subject;
}

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  if (auto role = RoleFromName(name); role.has_value()) return *role;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown role \"", name, "\": use member, responder, operator, admin or fleet"));
}

absl::Status ValidateSubject(absl::string_view subject) {
  const bool ok_size = !subject.empty() && subject.size() <= 64;
  bool ok_chars = true;
  for (char c : subject) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      ok_chars = false;
    }
  }
  if (!ok_size || !ok_chars) {
    return absl::InvalidArgumentError(
        absl::StrCat("subject \"", subject.substr(0, 80),
                     "\" is not a valid id: use 1 to 64 letters, digits, '.', '_' or '-'"));
  }
  return absl::OkStatus();
}

TokenDigest DigestToken(absl::string_view token) {
  // Looked up once: SHA256() looks the algorithm up among OpenSSL's
  // providers on every call, which took longer than hashing a token.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  TokenDigest digest;
  unsigned int size = 0;
  if (sha256 == nullptr ||
      EVP_Digest(token.data(), token.size(), digest.data(), &size, sha256, nullptr) != 1 ||
      size != digest.size()) {
    // OpenSSL without SHA-256 (SHA256() would fail the same way): no token
    // could be checked. A broken host, as a failing CSPRNG is: stop loudly.
    LogError("openssl", "OpenSSL cannot compute SHA-256; check its configuration");
    std::abort();
  }
  return digest;
}

std::string DigestHex(const TokenDigest& digest) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::string HashToken(absl::string_view token) { return DigestHex(DigestToken(token)); }

absl::StatusOr<std::string> IssueToken(Store& store, Role role, absl::string_view subject,
                                       absl::Time now, const AuditEntry* audit,
                                       absl::Time expire_time) {
  if (auto s = ValidateSubject(subject); !s.ok()) return s;
  std::array<unsigned char, 32> secret;
  if (RAND_bytes(secret.data(), secret.size()) != 1) {
    return absl::InternalError("the system's random number generator failed; no token made");
  }
  std::string token =
      absl::StrCat("mdy_", absl::BytesToHexString(absl::string_view(
                               reinterpret_cast<const char*>(secret.data()), secret.size())));
  TokenRecord record;
  record.token_hash = HashToken(token);
  record.role = role;
  record.subject = std::string(subject);
  record.create_time = now;
  record.expire_time = expire_time;
  if (audit == nullptr) {
    if (auto s = store.PutToken(record); !s.ok()) return s;
    return token;
  }
  AuditEntry entry = *audit;
  entry.target = absl::StrCat("tokens/", TokenId(record.token_hash));
  entry.detail = absl::StrCat("role ", RoleName(role), " for ", subject);
  absl::Notification finished;
  absl::Status outcome;
  store.Submit(
      [&](WriteTxn& txn) {
        if (auto s = txn.PutToken(record); !s.ok()) return s;
        return txn.AppendAudit(entry);
      },
      [&](absl::Status status) {
        outcome = std::move(status);
        finished.Notify();
      });
  finished.WaitForNotification();
  if (!outcome.ok()) return outcome;
  return token;
}

}  // namespace mayday::server
