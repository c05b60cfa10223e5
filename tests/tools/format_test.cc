// Tests of what maydayctl prints: names, durations, distances, event
// descriptions and watch lines (the multi-line views are in views_test.cc).
// Times are rendered in UTC.
#include "maydayctl/format.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>

#include "absl/time/time.h"
#include "test_protos.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;
using ::mayday::tools::testing::At;
using ::mayday::tools::testing::Event;
using ::mayday::tools::testing::kNoon;
using ::mayday::tools::testing::Loc;

TEST_CASE("HumanDuration rounds down to its largest units", "[format]") {
  auto [duration, expected] = GENERATE(table<absl::Duration, std::string>({
      {absl::ZeroDuration(), "0 s"},
      {absl::Seconds(45), "45 s"},
      {absl::Milliseconds(59'900), "59 s"},
      {absl::Seconds(60), "1 min"},
      {absl::Seconds(120), "2 min"},
      {absl::Minutes(4) + absl::Seconds(59), "4 min"},
      {absl::Hours(1), "1 h"},
      {absl::Hours(2) + absl::Minutes(5), "2 h 5 min"},
      {absl::Hours(24), "1 d"},
      {absl::Hours(76) + absl::Minutes(30), "3 d 4 h"},
      {absl::Seconds(-5), "0 s"},
      {absl::InfiniteDuration(), "-"},
  }));
  INFO("duration: " << absl::FormatDuration(duration));
  CHECK(HumanDuration(duration) == expected);
}

TEST_CASE("FormatDistance picks metres or kilometres", "[format]") {
  auto [meters, expected] = GENERATE(table<double, std::string>({
      {0, "0 m"},
      {850.4, "850 m"},
      {999.4, "999 m"},
      {999.6, "1.0 km"},
      {1234, "1.2 km"},
      {50'000, "50.0 km"},
      {99'940, "99.9 km"},
      {99'960, "100 km"},
      {123'456, "123 km"},
      {-1, "-"},
      {std::nan(""), "-"},
      {std::numeric_limits<double>::infinity(), "-"},
  }));
  INFO("meters: " << meters);
  CHECK(FormatDistance(meters) == expected);
}

TEST_CASE("Enum names are short and unknown numbers still print", "[format]") {
  CHECK(StateName(v1::CASE_STATE_EN_ROUTE) == "EN_ROUTE");
  CHECK(StateName(static_cast<v1::CaseState>(42)) == "STATE_42");
  CHECK(KindName(v1::CASE_KIND_MEDICAL) == "medical");
  CHECK(KindName(v1::CASE_KIND_UNSPECIFIED) == "-");
  CHECK(CapabilityName(v1::CAPABILITY_AMBULANCE) == "ambulance");
  CHECK(ResponderStatusName(v1::Responder::STATUS_OFF_DUTY) == "OFF_DUTY");
}

TEST_CASE("ParseCaseState accepts what users type", "[format]") {
  auto [text, expected] = GENERATE(table<std::string, v1::CaseState>({
      {"dispatching", v1::CASE_STATE_DISPATCHING},
      {"EN_ROUTE", v1::CASE_STATE_EN_ROUTE},
      {"en-route", v1::CASE_STATE_EN_ROUTE},
      {"On_Scene", v1::CASE_STATE_ON_SCENE},
      {"CASE_STATE_ESCALATED", v1::CASE_STATE_ESCALATED},
      {" cancelled ", v1::CASE_STATE_CANCELLED},
  }));
  INFO("text: \"" << text << "\"");
  auto state = ParseCaseState(text);
  REQUIRE(state.ok());
  CHECK(*state == expected);
}

TEST_CASE("ParseCaseState, ParseCaseKind reject the rest", "[format]") {
  auto text = GENERATE(as<std::string>{}, "", "open", "unspecified", "CASE_STATE_UNSPECIFIED", "7");
  INFO("text: \"" << text << "\"");
  auto state = ParseCaseState(text);
  REQUIRE_FALSE(state.ok());
  CHECK(state.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(state.status().message()),
             Catch::Matchers::Contains("expected one of dispatching"));

  CHECK(*ParseCaseKind("Road") == v1::CASE_KIND_ROAD);
  CHECK(*ParseCaseKind("medical") == v1::CASE_KIND_MEDICAL);
  CHECK_FALSE(ParseCaseKind("fire").ok());
  CHECK_FALSE(ParseCaseKind("unspecified").ok());
}

TEST_CASE("CaseName accepts ID or cases/ID", "[format]") {
  CHECK(*CaseName("ab12") == "cases/ab12");
  CHECK(*CaseName("cases/ab12") == "cases/ab12");
  auto bad = GENERATE(as<std::string>{}, "", "cases/", "members/m1", "a/b");
  INFO("id: \"" << bad << "\"");
  CHECK(CaseName(bad).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("ResourceName names members, responders and tokens the same way", "[format]") {
  CHECK(*ResourceName("members", "alice") == "members/alice");
  CHECK(*ResourceName("responders", "responders/unit-1") == "responders/unit-1");
  CHECK(*ResourceName("tokens", "0123456789abcdef") == "tokens/0123456789abcdef");
  const auto wrong = ResourceName("members", "responders/unit-1");
  CHECK(wrong.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(wrong.status().message() ==
        "bad member id \"responders/unit-1\"; expected ID or members/ID");
}

TEST_CASE("FormatLocation shows five decimals and accuracy", "[format]") {
  CHECK(FormatLocation(Loc(52.37, 4.89)) == "52.37000, 4.89000");
  CHECK(FormatLocation(Loc(-33.868812, 151.209312, 15)) == "-33.86881, 151.20931 (±15 m)");
}

TEST_CASE("DescribeEventForDesk covers every change", "[format]") {
  auto [kind, expected] = GENERATE(table<std::string, std::string>({
      {"raised", "medical alert raised at 52.37000, 4.89000 (±15 m), note \"blue car  [2J\""},
      {"offered", "offered to responders/r-2 (1.2 km, ETA 3 min)"},
      {"ended-declined", "declined by responders/r-3"},
      {"ended-expired", "offer to responders/r-3 expired"},
      {"ended-unavailable", "offer to responders/r-3 ended: responder unavailable"},
      {"ended-unspecified", "offer to responders/r-3 ended"},
      {"assigned", "assigned to responders/r-2 (640 m, ETA 1 min)"},
      {"assigned-from", "assigned to responders/r-2 (640 m, ETA 1 min), from 52.36600, 4.88500"},
      {"progressed-en-route", "responders/r-2 is on the way"},
      {"progressed-on-scene", "responders/r-2 is on scene"},
      {"progressed-on-scene-at", "responders/r-2 is on scene, at 52.37000, 4.89000"},
      {"progressed-resolved", "resolved by responders/r-2"},
      {"progressed-resolved-by-operator", "resolved by operators/desk"},
      {"moved", "member moved to 52.50000, 4.90000"},
      {"cancelled", "cancelled by dispatch: false alarm"},
      {"cancelled-silently", "cancelled by dispatch"},
      {"cancelled-false-alarm", "cancelled by dispatch (false alarm): pocket press"},
      {"escalated", "escalated to care agents: no ambulance within 50 km"},
      {"redispatched", "looking for a responder again"},
      {"message-member", "message from members/m-1: \"I am \"behind\" the truck\""},
      {"message-operator", "message from operators/desk: \"help is coming\""},
      {"rated", "rated 4/5 \"quick and kind\""},
      {"rated-silently", "rated 4/5"},
      {"taken", "taken by operators/desk"},
      {"released",
       "released by operators/desk-2 (owned by operators/desk): looking for a responder again"},
      {"none", "(unknown change)"},
  }));
  INFO("change: " << kind);
  CHECK(DescribeEventForDesk(Event(kind)) == expected);
}

TEST_CASE("FormatWatchLine marks escalations", "[format]") {
  const absl::TimeZone utc = absl::UTCTimeZone();
  CHECK(FormatWatchLine(Event("offered"), utc, /*color=*/true) ==
        "   12:00:05  cases/ab12  #3  DISPATCHING  dispatch  "
        "offered to responders/r-2 (1.2 km, ETA 3 min)");
  const std::string plain =
      "!! 12:00:05  cases/ab12  #3  ESCALATED  dispatch  "
      "escalated to care agents: no ambulance within 50 km";
  CHECK(FormatWatchLine(Event("escalated"), utc, /*color=*/false) == plain);
  CHECK(FormatWatchLine(Event("escalated"), utc, /*color=*/true) ==
        "\033[1;31m" + plain + "\033[0m");
}

TEST_CASE("FormatWatchLine makes messages from members stand out", "[format]") {
  const absl::TimeZone utc = absl::UTCTimeZone();
  const std::string from_member =
      "<< 12:00:05  cases/ab12  #3  DISPATCHING  members/m-1  "
      "message from members/m-1: \"I am \"behind\" the truck\"";
  CHECK(FormatWatchLine(Event("message-member"), utc, /*color=*/false) == from_member);
  CHECK(FormatWatchLine(Event("message-member"), utc, /*color=*/true) ==
        "\033[1;33m" + from_member + "\033[0m");
  // A care agent's own messages are not flagged.
  CHECK(FormatWatchLine(Event("message-operator"), utc, /*color=*/true) ==
        "   12:00:05  cases/ab12  #3  DISPATCHING  operators/desk  "
        "message from operators/desk: \"help is coming\"");
  CHECK(IsMemberMessage(Event("message-member")));
  CHECK_FALSE(IsMemberMessage(Event("message-operator")));
  CHECK_FALSE(IsMemberMessage(Event("raised")));
}

TEST_CASE("PrintableText and OrDash blank control characters", "[format]") {
  CHECK(PrintableText("a\x1b[2Jb\x7f") == "a [2Jb ");
  CHECK(PrintableText("Ærø ±15") == "Ærø ±15");
  CHECK(OrDash("") == "-");
  CHECK(OrDash("x\ty") == "x y");
  CHECK(FormatTimestamp(At(kNoon), "%H:%M", absl::UTCTimeZone()) == "12:00");
  CHECK(FormatTimestamp(google::protobuf::Timestamp(), "%H:%M", absl::UTCTimeZone()) == "-");
}

}  // namespace
}  // namespace mayday::tools
