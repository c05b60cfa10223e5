// When dispatch asks the member's phone for a fresher fix (fix_rule.h), table
// by table: which fixes are asked again and in which words, and how often a
// case may be asked.
#include "dispatcher/fix_rule.h"

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/proto_time.h"

namespace mayday::server {
namespace {

namespace v1 = ::mayday::v1;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

TEST_CASE("Which fixes are asked again, and why", "[fix_rule]") {
  struct Row {
    const char* name;
    double accuracy;
    std::optional<absl::Duration> age;  // unset: no fix time
    bool device_clock_off;
    v1::FixRequest::Reason expected;  // UNSPECIFIED: not asked
    const char* words;
  };
  using R = v1::FixRequest;
  const std::vector<Row> rows = {
      {"unknown accuracy, no fix time", 0, std::nullopt, false, R::REASON_UNSPECIFIED, ""},
      {"8 m, fresh", 8, absl::Seconds(3), false, R::REASON_UNSPECIFIED, ""},
      {"exactly 500 m", 500, absl::Seconds(3), false, R::REASON_UNSPECIFIED, ""},
      {"501 m", 501, absl::Seconds(3), false, R::REASON_INACCURATE,
       "the fix is 501 m uncertain (more than 500 m)"},
      {"800 m", 800, absl::Seconds(3), false, R::REASON_INACCURATE,
       "the fix is 800 m uncertain (more than 500 m)"},
      {"2.4 km and old: accuracy first", 2'400, absl::Minutes(9), false, R::REASON_INACCURATE,
       "the fix is 2.4 km uncertain (more than 500 m)"},
      {"exactly 2 min old", 10, absl::Minutes(2), false, R::REASON_UNSPECIFIED, ""},
      {"2 min 10 s old", 10, absl::Seconds(130), false, R::REASON_STALE,
       "the fix was 2 min 10 s old when it arrived (more than 2 min)"},
      {"old by a clock that is off", 10, absl::Minutes(50), true, R::REASON_UNSPECIFIED, ""},
      {"from the future (bounded to now)", 10, -absl::Seconds(30), false, R::REASON_UNSPECIFIED,
       ""},
  };
  for (const Row& row : rows) {
    INFO("row: " << row.name);
    v1::Location fix;
    fix.set_latitude(52.37);
    fix.set_longitude(4.90);
    fix.set_horizontal_accuracy_meters(row.accuracy);
    if (row.age.has_value()) *fix.mutable_fix_time() = ToProtoTime(kNow - *row.age);
    if (row.device_clock_off) *fix.mutable_device_fix_time() = ToProtoTime(kNow - absl::Hours(3));
    const std::optional<v1::FixRequest> request = FixRequestFor(fix, kNow, FixLimits{});
    if (row.expected == R::REASON_UNSPECIFIED) {
      CHECK_FALSE(request.has_value());
      continue;
    }
    REQUIRE(request.has_value());
    CHECK(request->reason() == row.expected);
    CHECK(request->words() == row.words);
    CHECK(request->accuracy_meters() == row.accuracy);
    CHECK(request->age_seconds() == absl::ToInt64Seconds(*row.age));
  }
}

TEST_CASE("A case is asked at most 3 times, a minute apart, until its crew is there",
          "[fix_rule]") {
  constexpr absl::StatusCode kOk = absl::StatusCode::kOk;
  constexpr absl::StatusCode kNotYet = absl::StatusCode::kResourceExhausted;
  constexpr absl::StatusCode kNever = absl::StatusCode::kFailedPrecondition;
  struct Row {
    const char* name;
    v1::CaseState state;
    int count;                  // requests made so far (0: none)
    absl::Duration since_last;  // since the last one
    absl::StatusCode code;
  };
  const std::vector<Row> rows = {
      {"never asked", v1::CASE_STATE_DISPATCHING, 0, absl::ZeroDuration(), kOk},
      {"asked once, a minute ago", v1::CASE_STATE_DISPATCHING, 1, absl::Minutes(1), kOk},
      {"asked once, 59 s ago: not yet", v1::CASE_STATE_DISPATCHING, 1, absl::Seconds(59), kNotYet},
      {"asked twice, long ago", v1::CASE_STATE_EN_ROUTE, 2, absl::Minutes(10), kOk},
      {"asked 3 times", v1::CASE_STATE_ASSIGNED, 3, absl::Minutes(10), kNever},
      {"escalated", v1::CASE_STATE_ESCALATED, 0, absl::ZeroDuration(), kOk},
      {"crew on scene", v1::CASE_STATE_ON_SCENE, 0, absl::ZeroDuration(), kNever},
      {"resolved", v1::CASE_STATE_RESOLVED, 0, absl::ZeroDuration(), kNever},
      {"cancelled", v1::CASE_STATE_CANCELLED, 0, absl::ZeroDuration(), kNever},
  };
  for (const Row& row : rows) {
    INFO("row: " << row.name);
    v1::Case c;
    c.set_name("cases/c1");
    c.set_state(row.state);
    if (row.count > 0) {
      c.mutable_fix_request()->set_count(row.count);
      *c.mutable_fix_request()->mutable_time() = ToProtoTime(kNow - row.since_last);
    }
    CHECK(MayRequestFix(c, kNow, FixLimits{}).code() == row.code);
  }
}

TEST_CASE("Fix limits must be positive", "[fix_rule]") {
  CHECK(FixLimits{}.Validate().ok());
  FixLimits limits;
  limits.max_accuracy_meters = 0;
  CHECK_THAT(std::string(limits.Validate().message()), Catch::Contains("max accuracy"));
  limits = FixLimits{};
  limits.max_age = absl::ZeroDuration();
  CHECK_THAT(std::string(limits.Validate().message()), Catch::Contains("max age"));
  limits = FixLimits{};
  limits.max_requests = 0;
  CHECK_THAT(std::string(limits.Validate().message()), Catch::Contains("max requests"));
}

}  // namespace
}  // namespace mayday::server
