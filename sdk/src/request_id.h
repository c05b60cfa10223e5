// Idempotency keys for RaiseAlert (AIP-155 request_id): fresh random ones,
// and the key sent for one an app chose itself; the outbox's member key.
#ifndef MAYDAY_SDK_SRC_REQUEST_ID_H_
#define MAYDAY_SDK_SRC_REQUEST_ID_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace mayday::sdk::internal {

// The server's limit on a request_id, in bytes (server/rpc/validation.h).
inline constexpr size_t kMaxRequestIdBytes = 128;

// Returns a fresh random 128-bit key as 32 lowercase hex digits, drawn from
// the platform's entropy source. Thread-safe.
std::string NewRequestId();

// True if the server accepts `key` as a request_id: 1 to 128 printable ASCII
// characters, no space.
bool IsAcceptedRequestId(absl::string_view key);

// The request_id sent for an app's own non-empty `key`: `key` itself when
// the server accepts it, else "key-" and 32 lowercase hex digits of the
// 128-bit FNV-1a hash of its bytes. Deterministic in every process and on
// every platform, so that an app that reuses its key after a restart still
// gets the same case; an alert is never refused over its key.
std::string WireRequestId(absl::string_view key);

// 32 lowercase hex digits of the 128-bit FNV-1a hash of `bytes`.
std::string Fnv1a128Hex(absl::string_view bytes);

// Whose alert a queued one is: a fingerprint of the member's token (the
// FNV-1a hash of it under a fixed prefix), kept in the outbox beside each
// alert instead of the token. Tokens are 256 random bits, so the
// fingerprint tells nothing of the token; it only tells two apart.
std::string MemberKey(absl::string_view token);

}  // namespace mayday::sdk::internal

#endif  // MAYDAY_SDK_SRC_REQUEST_ID_H_
