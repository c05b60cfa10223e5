// The one place where gRPC statuses become absl::Status values, and the
// SDK's rules for which failures are worth another attempt.
#ifndef MAYDAY_SDK_SRC_GRPC_STATUS_H_
#define MAYDAY_SDK_SRC_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace mayday::sdk::internal {

// Returns `status` as an absl::Status with the same code number and message.
absl::Status FromGrpcStatus(const grpc::Status& status);

// True for the codes RaiseAlert retries: UNAVAILABLE and DEADLINE_EXCEEDED.
// Both mean the server may not have seen the request, or answered too late;
// resending the same request_id is safe either way.
bool IsRetryableRaise(grpc::StatusCode code);

// True for the codes after which a watch reconnects: the stream broke or the
// server was briefly unable to serve it (UNAVAILABLE, DEADLINE_EXCEEDED,
// INTERNAL, UNKNOWN, ABORTED, RESOURCE_EXHAUSTED, CANCELLED by the server).
// Codes that say the request itself is wrong (NOT_FOUND, PERMISSION_DENIED,
// UNAUTHENTICATED, INVALID_ARGUMENT, FAILED_PRECONDITION, UNIMPLEMENTED, ...)
// end the watch.
bool IsTransientStreamError(grpc::StatusCode code);

}  // namespace mayday::sdk::internal

#endif  // MAYDAY_SDK_SRC_GRPC_STATUS_H_
