// Idempotency keys for RaiseAlert (AIP-155 request_id).
#ifndef MAYDAY_SDK_SRC_REQUEST_ID_H_
#define MAYDAY_SDK_SRC_REQUEST_ID_H_

#include <string>

namespace mayday::sdk::internal {

// Returns a fresh random 128-bit key as 32 lowercase hex digits, drawn from
// the platform's entropy source. Thread-safe.
std::string NewRequestId();

}  // namespace mayday::sdk::internal

#endif  // MAYDAY_SDK_SRC_REQUEST_ID_H_
