// Status conversion and retry classification; see grpc_status.h.
#include "grpc_status.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "mayday/base/connect_words.h"
#include "mayday/sdk/client.h"

namespace mayday::sdk {

// The payload key that marks an untrusted-server error; its value is empty.
constexpr char kUntrustedServerPayload[] = "type.mayday.dev/mayday.sdk.UntrustedServer";

bool IsUntrustedServerError(const absl::Status& status) {
  return !status.ok() && status.GetPayload(kUntrustedServerPayload).has_value();
}

namespace internal {

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  // A port nobody listens on, in words an app can show as they are.
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    if (auto refused = base::DescribeRefusedConnection(status.error_message())) {
      return absl::UnavailableError(*refused);
    }
  }
  // absl::StatusCode and grpc::StatusCode use the same numbers.
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

bool IsRetryableRaise(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED ||
         code == grpc::StatusCode::RESOURCE_EXHAUSTED;
}

bool IsTransientStreamError(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::CANCELLED:
      return true;
    default:
      return false;
  }
}

bool IsCertificateFailure(const grpc::Status& status) {
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return false;
  const std::string message = absl::AsciiStrToLower(status.error_message());
  // OpenSSL says "certificate verify failed", BoringSSL
  // "CERTIFICATE_VERIFY_FAILED"; the name check is gRPC's own.
  return absl::StrContains(message, "certificate verify failed") ||
         absl::StrContains(message, "certificate_verify_failed") ||
         absl::StrContains(message, "is not in peer certificate");
}

bool IsMessageTooLarge(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
         absl::StrContains(status.error_message(), "message larger than max");
}

absl::Status MarkUntrustedServer(absl::Status status) {
  status.SetPayload(kUntrustedServerPayload, absl::Cord());
  return status;
}

absl::Status UntrustedServerError(const grpc::Status& status) {
  return MarkUntrustedServer(absl::FailedPreconditionError(absl::StrCat(
      "the server's TLS certificate was not accepted: check ClientOptions.tls (the CA that "
      "signs the server's certificate, and server_name when the certificate names another "
      "host), the server's certificate and the device's clock; a network that intercepts "
      "TLS does the same (",
      status.error_message(), ")")));
}

AfterFailure AfterRaiseFailure(const grpc::Status& status) {
  if (IsCertificateFailure(status)) return AfterFailure::kRetryUntrusted;
  if (IsMessageTooLarge(status)) return AfterFailure::kGiveUp;
  return IsRetryableRaise(status.error_code()) ? AfterFailure::kRetry : AfterFailure::kGiveUp;
}

bool EndsWatch(const grpc::Status& status) {
  return !IsTransientStreamError(status.error_code()) || IsCertificateFailure(status) ||
         IsMessageTooLarge(status);
}

absl::Status ToSdkStatus(const grpc::Status& status) {
  return IsCertificateFailure(status) ? UntrustedServerError(status) : FromGrpcStatus(status);
}

}  // namespace internal
}  // namespace mayday::sdk
