// How a webhook receiver knows a delivery came from its maydayd, unchanged
// and recently. Each delivery carries the header
//
//   Mayday-Signature: t=<unix seconds>,v1=<hex>
//
// where <hex> is the lowercase hex HMAC-SHA256, keyed with the webhook's
// secret, of the bytes "<t>.<body>": the decimal t as sent, one '.', then
// the request body exactly as received (before any JSON parsing). While a
// secret is being rotated the header holds one v1= per secret in use, e.g.
// "t=1700000000,v1=<new>,v1=<old>"; a receiver accepts the delivery if any
// v1 matches a secret it knows. Keys other than t and v1 are ignored, so
// later schemes can be added beside v1.
//
// A receiver checks, in order: the header parses; some v1 equals its own
// HMAC (compared in constant time); t is within a few minutes of its clock,
// so a captured delivery cannot be replayed later. With openssl:
//
//   printf '%s' "$t.$body" | openssl dgst -sha256 -hmac "$secret"
//
// VerifySignature below is that check, as tests and the docs use it.
#ifndef MAYDAY_SERVER_WEBHOOKS_SIGNATURE_H_
#define MAYDAY_SERVER_WEBHOOKS_SIGNATURE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mayday::server::webhooks {

// The header's name.
inline constexpr absl::string_view kSignatureHeader = "Mayday-Signature";

// The header's value for `body` sent at `time` (whole seconds; the fraction
// is dropped) and signed with `secret`: "t=<seconds>,v1=<64 hex digits>".
// Thread-safe.
std::string SignatureHeaderValue(absl::string_view secret, absl::Time time, absl::string_view body);

// What a receiver does with a delivery: OK if `header_value` parses, one of
// its v1 values is the HMAC of "<t>.<body>" under `secret`, and t is at most
// `tolerance` from `now` either way. INVALID_ARGUMENT if the header is
// malformed (no t, a t that is no number, no v1); PERMISSION_DENIED if no v1
// matches (a tampered body or another secret) or if t is too far from `now`
// (a replay, or a clock that is off). Thread-safe.
absl::Status VerifySignature(absl::string_view secret, absl::string_view header_value,
                             absl::string_view body, absl::Time now,
                             absl::Duration tolerance = absl::Minutes(5));

}  // namespace mayday::server::webhooks

#endif  // MAYDAY_SERVER_WEBHOOKS_SIGNATURE_H_
