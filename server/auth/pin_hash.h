// Members' cancel PINs (AlertService.SetCancelPins): their format, and the
// slow salted hash that is all the server keeps of them. A PIN has few
// digits, so a copy of the database must not make guessing them cheap:
// each hash is scrypt (OpenSSL) with a random 16-byte salt and costs about
// 150 ms of a core and 32 MiB to compute here, off the store's writer
// thread.
#ifndef MAYDAY_SERVER_AUTH_PIN_HASH_H_
#define MAYDAY_SERVER_AUTH_PIN_HASH_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mayday::server {

// OK if `pin` is 4 to 12 ASCII digits; INVALID_ARGUMENT naming `field`
// otherwise (without echoing the PIN).
absl::Status ValidatePin(absl::string_view field, absl::string_view pin);

// The stored form of `pin`: "scrypt$<log2 N>$<r>$<p>$<salt hex>$<hash hex>".
// INTERNAL if OpenSSL fails.
absl::StatusOr<std::string> HashPin(absl::string_view pin);

// Whether `pin` is the PIN `stored` (HashPin's form) was made from,
// compared in constant time. False for an empty or malformed `stored`.
bool PinMatches(absl::string_view pin, absl::string_view stored);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_AUTH_PIN_HASH_H_
