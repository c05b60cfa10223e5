// The one place where gRPC statuses become absl::Status values, and the
// SDK's rules for which failures are worth another attempt.
#ifndef MAYDAY_SDK_SRC_GRPC_STATUS_H_
#define MAYDAY_SDK_SRC_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace mayday::sdk::internal {

// Returns `status` as an absl::Status with the same code number and message,
// except a refused connection: UNAVAILABLE "cannot reach HOST:PORT:
// connection refused" (base/connect_words.h).
absl::Status FromGrpcStatus(const grpc::Status& status);

// True for the codes RaiseAlert may retry: UNAVAILABLE and DEADLINE_EXCEEDED
// (the server may not have seen the request, or answered too late; resending
// the same request_id is safe either way) and RESOURCE_EXHAUSTED (retry
// later), unless AfterRaiseFailure says otherwise for the status as a whole.
bool IsRetryableRaise(grpc::StatusCode code);

// True for the codes after which a watch reconnects: the stream broke or the
// server was briefly unable to serve it (UNAVAILABLE, DEADLINE_EXCEEDED,
// INTERNAL, UNKNOWN, ABORTED, RESOURCE_EXHAUSTED, CANCELLED by the server).
// Codes that say the request itself is wrong (NOT_FOUND, PERMISSION_DENIED,
// UNAUTHENTICATED, INVALID_ARGUMENT, FAILED_PRECONDITION, UNIMPLEMENTED, ...)
// end the watch.
bool IsTransientStreamError(grpc::StatusCode code);

// True if `status` is gRPC's report of a TLS handshake that failed over the
// server's certificate: not signed by a CA the client trusts (or expired, or
// not yet valid: OpenSSL's "certificate verify failed"), or not naming the
// host or ClientOptions.tls.server_name ("Peer name ... is not in peer
// certificate"). gRPC 1.51 reports both as UNAVAILABLE and says which only in
// the message; tests/sdk_faults/untrusted_server_test.cc pins its wording
// against a real TLS server.
bool IsCertificateFailure(const grpc::Status& status);

// True for gRPC's RESOURCE_EXHAUSTED "Received message larger than max" (or
// "Sent ..."): the request or its answer exceeds a size limit, so sending it
// again cannot help. Other RESOURCE_EXHAUSTED answers (rate limits, stream
// caps) mean "retry later".
bool IsMessageTooLarge(const grpc::Status& status);

// The status the app sees for a certificate failure: FAILED_PRECONDITION,
// a message saying what to check, gRPC's words, and the payload that
// IsUntrustedServerError (client.h) looks for.
absl::Status UntrustedServerError(const grpc::Status& status);

// Attaches the untrusted-server payload to `status` (keeping its code).
absl::Status MarkUntrustedServer(absl::Status status);

// What to do after an attempt of RaiseAlert or UpdateCaseLocation failed.
enum class AfterFailure {
  // Send the same request again after a backoff.
  kRetry,
  // The server's certificate was not accepted (IsCertificateFailure): tell
  // the app at once, as a configuration error, and still send the request
  // again after a backoff (a network that intercepts TLS may be left).
  kRetryUntrusted,
  // The request can never succeed as it is: report the error, stop.
  kGiveUp,
};
AfterFailure AfterRaiseFailure(const grpc::Status& status);

// True if a watch ends on `status` rather than reconnecting: a code
// IsTransientStreamError refuses, a certificate failure, or a request too
// large.
bool EndsWatch(const grpc::Status& status);

// The status the app sees when a call fails for good: UntrustedServerError
// for a certificate failure, else FromGrpcStatus.
absl::Status ToSdkStatus(const grpc::Status& status);

}  // namespace mayday::sdk::internal

#endif  // MAYDAY_SDK_SRC_GRPC_STATUS_H_
