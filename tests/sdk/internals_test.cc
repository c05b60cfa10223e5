// The SDK's private helpers: backoff, request ids, status conversion and the
// rules that decide what is retried.
#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "backoff.h"
#include "grpc_status.h"
#include "mayday/sdk/client.h"
#include "request_id.h"

namespace mayday::sdk::internal {
namespace {

TEST_CASE("Backoff doubles up to its cap, with bounded jitter", "[sdk][backoff]") {
  Backoff backoff(absl::Milliseconds(100), absl::Milliseconds(800), 42);
  const int64_t bases[] = {100, 200, 400, 800, 800, 800};
  for (int64_t base : bases) {
    const absl::Duration delay = backoff.Next();
    CAPTURE(base, absl::FormatDuration(delay));
    CHECK(delay >= absl::Milliseconds(base) * (1 - Backoff::kJitter));
    CHECK(delay <= absl::Milliseconds(base) * (1 + Backoff::kJitter));
  }
  backoff.Reset();
  CHECK(backoff.Next() <= absl::Milliseconds(120));
}

TEST_CASE("Backoff jitter differs between seeds", "[sdk][backoff]") {
  Backoff a(absl::Seconds(1), absl::Seconds(1), 1);
  Backoff b(absl::Seconds(1), absl::Seconds(1), 2);
  CHECK(a.Next() != b.Next());
}

TEST_CASE("NewRequestId is 32 hex digits and fresh each time", "[sdk][request_id]") {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string id = NewRequestId();
    CAPTURE(id);
    CHECK(id.size() == 32);
    CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
    seen.insert(id);
  }
  CHECK(seen.size() == 100);
}

TEST_CASE("FromGrpcStatus keeps code number and message", "[sdk][status]") {
  for (int code = 0; code <= 16; ++code) {
    CAPTURE(code);
    const absl::Status status =
        FromGrpcStatus(grpc::Status(static_cast<grpc::StatusCode>(code), code ? "why" : ""));
    CHECK(static_cast<int>(status.code()) == code);
    CHECK(status.message() == (code ? "why" : ""));
  }
}

TEST_CASE("Retry rules", "[sdk][status]") {
  auto [code, raise, watch] = GENERATE(table<grpc::StatusCode, bool, bool>({
      {grpc::StatusCode::UNAVAILABLE, true, true},
      {grpc::StatusCode::DEADLINE_EXCEEDED, true, true},
      {grpc::StatusCode::INTERNAL, false, true},
      {grpc::StatusCode::RESOURCE_EXHAUSTED, true, true},
      {grpc::StatusCode::NOT_FOUND, false, false},
      {grpc::StatusCode::PERMISSION_DENIED, false, false},
      {grpc::StatusCode::UNAUTHENTICATED, false, false},
      {grpc::StatusCode::INVALID_ARGUMENT, false, false},
      {grpc::StatusCode::FAILED_PRECONDITION, false, false},
  }));
  CAPTURE(static_cast<int>(code));
  CHECK(IsRetryableRaise(code) == raise);
  CHECK(IsTransientStreamError(code) == watch);
}

TEST_CASE("Failure rules by status: certificates, sizes and rate limits", "[sdk][status]") {
  using grpc::StatusCode;
  struct Row {
    const char* what;
    StatusCode code;
    const char* message;
    AfterFailure raise;
    bool ends_watch;
  };
  // The messages are gRPC 1.51's and maydayd's own words
  // (tests/sdk_faults/untrusted_server_test.cc checks gRPC's against a real
  // TLS handshake).
  auto row = GENERATE(values<Row>({
      {"CA not trusted", StatusCode::UNAVAILABLE,
       "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:1: Ssl "
       "handshake failed: SSL_ERROR_SSL: error:0A000086:SSL routines::certificate verify failed",
       AfterFailure::kRetryUntrusted, true},
      {"CA not trusted (BoringSSL)", StatusCode::UNAVAILABLE,
       "Ssl handshake failed: SSL_ERROR_SSL: error:1000007d:SSL "
       "routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED",
       AfterFailure::kRetryUntrusted, true},
      {"certificate for another name", StatusCode::UNAVAILABLE,
       "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:1: Peer name "
       "elsewhere.test is not in peer certificate",
       AfterFailure::kRetryUntrusted, true},
      {"server down", StatusCode::UNAVAILABLE,
       "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:1: Failed to "
       "connect to remote host: Connection refused",
       AfterFailure::kRetry, false},
      {"a plaintext client at a TLS server", StatusCode::UNAVAILABLE,
       "failed to connect to all addresses; last error: UNAVAILABLE: ipv4:127.0.0.1:1: Socket "
       "closed",
       AfterFailure::kRetry, false},
      {"a certificate message with another code", StatusCode::INTERNAL, "certificate verify failed",
       AfterFailure::kGiveUp, false},
      {"request over the server's 64 KiB", StatusCode::RESOURCE_EXHAUSTED,
       "Received message larger than max (70123 vs. 65536)", AfterFailure::kGiveUp, true},
      {"request over the client's own limit", StatusCode::RESOURCE_EXHAUSTED,
       "Sent message larger than max (70123 vs. 65536)", AfterFailure::kGiveUp, true},
      {"rate limit", StatusCode::RESOURCE_EXHAUSTED,
       "too many GetCase calls from members/alice: its reads are limited to 20 per second "
       "(bursts of 200); retry in 50 ms",
       AfterFailure::kRetry, false},
      {"stream cap", StatusCode::RESOURCE_EXHAUSTED,
       "replaced by a newer WatchCase stream of members/alice: at most 32 are kept open at once",
       AfterFailure::kRetry, false},
      {"deadline", StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded", AfterFailure::kRetry, false},
      {"bad request", StatusCode::INVALID_ARGUMENT, "kind is required", AfterFailure::kGiveUp,
       true},
  }));
  INFO(row.what);
  const grpc::Status status(row.code, row.message);
  CHECK(AfterRaiseFailure(status) == row.raise);
  CHECK(EndsWatch(status) == row.ends_watch);
  const absl::Status seen = ToSdkStatus(status);
  if (row.raise == AfterFailure::kRetryUntrusted) {
    CHECK(seen.code() == absl::StatusCode::kFailedPrecondition);
    CHECK(IsUntrustedServerError(seen));
    CHECK_THAT(std::string(seen.message()),
               Catch::Contains("ClientOptions.tls") && Catch::Contains(row.message));
    CHECK(IsUntrustedServerError(MarkUntrustedServer(FromGrpcStatus(status))));
  } else {
    CHECK(seen == FromGrpcStatus(status));
    CHECK_FALSE(IsUntrustedServerError(seen));
  }
}

TEST_CASE("A refused connection is said as a person would, other failures in gRPC's words",
          "[sdk][status]") {
  const absl::Status refused = FromGrpcStatus(grpc::Status(
      grpc::StatusCode::UNAVAILABLE,
      "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:7433: Failed to "
      "connect to remote host: Connection refused"));
  CHECK(refused == absl::UnavailableError("cannot reach 127.0.0.1:7433: connection refused"));
  CHECK(IsRetryableRaise(grpc::StatusCode::UNAVAILABLE));

  const char* closed =
      "failed to connect to all addresses; last error: UNAVAILABLE: ipv4:127.0.0.1:1: Socket "
      "closed";
  CHECK(FromGrpcStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, closed)) ==
        absl::UnavailableError(closed));
}

}  // namespace
}  // namespace mayday::sdk::internal
