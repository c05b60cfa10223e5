// The SDK's private helpers: backoff, request ids, status conversion.
#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "backoff.h"
#include "grpc_status.h"
#include "request_id.h"

namespace mayday::sdk::internal {
namespace {

TEST_CASE("Backoff doubles up to its cap, with bounded jitter",
          "[sdk][backoff]") {
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

TEST_CASE("NewRequestId is 32 hex digits and fresh each time",
          "[sdk][request_id]") {
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
    const absl::Status status = FromGrpcStatus(
        grpc::Status(static_cast<grpc::StatusCode>(code), code ? "why" : ""));
    CHECK(static_cast<int>(status.code()) == code);
    CHECK(status.message() == (code ? "why" : ""));
  }
}

TEST_CASE("Retry rules", "[sdk][status]") {
  auto [code, raise, watch] = GENERATE(table<grpc::StatusCode, bool, bool>({
      {grpc::StatusCode::UNAVAILABLE, true, true},
      {grpc::StatusCode::DEADLINE_EXCEEDED, true, true},
      {grpc::StatusCode::INTERNAL, false, true},
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

}  // namespace
}  // namespace mayday::sdk::internal
