// The open-file limit and the connection cap (server/listener/descriptor_limit.*).
#include "listener/descriptor_limit.h"

#include <sys/resource.h>

#include <catch2/catch.hpp>

namespace mayday::testing {
namespace {

using server::ConnectionCap;

TEST_CASE(
    "The connection cap is the open-file limit less the reserve, or the operator's lower one") {
  struct Row {
    int64_t soft_limit;
    int64_t requested;
    absl::StatusCode code;
    int64_t cap;
  };
  const Row row = GENERATE(values<Row>({
      {256, 0, absl::StatusCode::kOk, 192},
      {1024, 0, absl::StatusCode::kOk, 960},
      {524288, 0, absl::StatusCode::kOk, 524224},
      {256, 100, absl::StatusCode::kOk, 100},
      {256, 192, absl::StatusCode::kOk, 192},
      {256, 193, absl::StatusCode::kInvalidArgument, 0},
      {80, 0, absl::StatusCode::kOk, 16},
      {79, 0, absl::StatusCode::kFailedPrecondition, 0},
      {64, 10, absl::StatusCode::kFailedPrecondition, 0},
  }));
  INFO("soft limit " << row.soft_limit << ", requested " << row.requested);
  const absl::StatusOr<int64_t> cap = ConnectionCap(row.soft_limit, row.requested);
  REQUIRE(cap.status().code() == row.code);
  if (cap.ok()) CHECK(*cap == row.cap);
}

TEST_CASE("The soft open-file limit is raised to the hard one") {
  rlimit before{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &before) == 0);
  if (before.rlim_max != RLIM_INFINITY && before.rlim_max <= 512) {
    WARN("not run: the hard limit leaves no room below it to start from");
    return;
  }
  // From a soft limit of 512, as a shell with `ulimit -Sn 512` would start it.
  rlimit lowered = before;
  lowered.rlim_cur = 512;
  REQUIRE(setrlimit(RLIMIT_NOFILE, &lowered) == 0);
  const absl::StatusOr<server::DescriptorLimit> raised = server::RaiseDescriptorLimit();
  rlimit after{};
  getrlimit(RLIMIT_NOFILE, &after);
  setrlimit(RLIMIT_NOFILE, &before);
  REQUIRE(raised.ok());
  CHECK(raised->soft_before == 512);
  CHECK(static_cast<rlim_t>(raised->soft) == after.rlim_cur);
  CHECK(server::SoftDescriptorLimit() >= 512);
  if (before.rlim_max != RLIM_INFINITY) {
    CHECK(after.rlim_cur == before.rlim_max);
    CHECK(raised->hard == static_cast<int64_t>(before.rlim_max));
  }
  // Already at the hard limit: nothing to do.
  const absl::StatusOr<server::DescriptorLimit> again = server::RaiseDescriptorLimit();
  REQUIRE(again.ok());
  CHECK(again->soft == again->soft_before);
}

}  // namespace
}  // namespace mayday::testing
