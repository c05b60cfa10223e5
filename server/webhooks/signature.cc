// Signing and checking the Mayday-Signature header; see signature.h.
#include "webhooks/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mayday::server::webhooks {
namespace {

// Lowercase hex HMAC-SHA256 of "<seconds>.<body>" under `secret`.
std::string SignatureHex(absl::string_view secret, int64_t seconds, absl::string_view body) {
  const std::string message = absl::StrCat(seconds, ".", body);
  // HMAC() reads the key even when its length is 0: never hand it nullptr.
  static constexpr unsigned char kNoKey = 0;
  const unsigned char* key =
      secret.empty() ? &kNoKey : reinterpret_cast<const unsigned char*>(secret.data());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  // Only fails when out of memory or with a broken OpenSSL: a broken invariant.
  if (HMAC(EVP_sha256(), key, static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest,
           &digest_size) == nullptr) {
    std::abort();
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), digest_size));
}

}  // namespace

std::string SignatureHeaderValue(absl::string_view secret, absl::Time time,
                                 absl::string_view body) {
  const int64_t seconds = absl::ToUnixSeconds(time);
  return absl::StrCat("t=", seconds, ",v1=", SignatureHex(secret, seconds, body));
}

absl::Status VerifySignature(absl::string_view secret, absl::string_view header_value,
                             absl::string_view body, absl::Time now, absl::Duration tolerance) {
  std::optional<int64_t> seconds;
  std::vector<absl::string_view> signatures;
  for (absl::string_view item : absl::StrSplit(header_value, ',')) {
    item = absl::StripAsciiWhitespace(item);
    const size_t equals = item.find('=');
    if (equals == absl::string_view::npos) continue;
    const absl::string_view key = item.substr(0, equals);
    const absl::string_view value = item.substr(equals + 1);
    if (key == "t") {
      int64_t parsed = 0;
      if (seconds.has_value() || value.empty() || !absl::c_all_of(value, absl::ascii_isdigit) ||
          !absl::SimpleAtoi(value, &parsed)) {
        return absl::InvalidArgumentError(absl::StrCat(
            kSignatureHeader, " needs exactly one t=<unix seconds>, got \"", header_value, "\""));
      }
      seconds = parsed;
    } else if (key == "v1") {
      signatures.push_back(value);
    }
  }
  if (!seconds.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(kSignatureHeader, " has no t=<unix seconds>"));
  }
  if (signatures.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(kSignatureHeader, " has no v1=<signature>"));
  }

  // Every v1 is compared, each in constant time, so how long the check
  // takes says nothing about which one matched or how much of it.
  const std::string expected = SignatureHex(secret, *seconds, body);
  bool matched = false;
  for (absl::string_view signature : signatures) {
    if (signature.size() == expected.size() &&
        CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) == 0) {
      matched = true;
    }
  }
  if (!matched) {
    return absl::PermissionDeniedError(
        absl::StrCat("no v1 in ", kSignatureHeader,
                     " matches the body under this secret: the body was changed, or it was "
                     "signed with another secret"));
  }

  const absl::Duration skew = absl::AbsDuration(now - absl::FromUnixSeconds(*seconds));
  if (skew > tolerance) {
    return absl::PermissionDeniedError(
        absl::StrCat(kSignatureHeader, " t=", *seconds, " is ", absl::ToInt64Seconds(skew),
                     " s from now, more than the ", absl::ToInt64Seconds(tolerance),
                     " s allowed: a replayed or long-delayed delivery, or a clock that is off"));
  }
  return absl::OkStatus();
}

}  // namespace mayday::server::webhooks
