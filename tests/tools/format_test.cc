// Tests of what maydayctl prints: names, durations, distances, event
// descriptions, watch lines and tables. Times are rendered in UTC.
#include "maydayctl/format.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>

#include "absl/time/time.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;

// 2024-05-01 12:00:00 UTC.
constexpr int64_t kNoon = 1714564800;

google::protobuf::Timestamp At(int64_t seconds) {
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(seconds);
  return timestamp;
}

v1::Location Loc(double latitude, double longitude, double accuracy = 0) {
  v1::Location location;
  location.set_latitude(latitude);
  location.set_longitude(longitude);
  location.set_horizontal_accuracy_meters(accuracy);
  return location;
}

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
  auto text = GENERATE(as<std::string>{}, "", "open", "unspecified",
                       "CASE_STATE_UNSPECIFIED", "7");
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

TEST_CASE("FormatLocation shows five decimals and accuracy", "[format]") {
  CHECK(FormatLocation(Loc(52.37, 4.89)) == "52.37000, 4.89000");
  CHECK(FormatLocation(Loc(-33.868812, 151.209312, 15)) ==
        "-33.86881, 151.20931 (±15 m)");
}

// One event of each kind of change, and how it reads.
v1::CaseEvent Event(const std::string& text_proto_kind) {
  v1::CaseEvent event;
  event.set_case_("cases/ab12");
  event.set_sequence(3);
  event.mutable_event_time()->CopyFrom(At(kNoon + 5));
  event.set_state(v1::CASE_STATE_DISPATCHING);
  event.set_actor("dispatch");
  if (text_proto_kind == "raised") {
    auto* raised = event.mutable_raised();
    raised->set_kind(v1::CASE_KIND_MEDICAL);
    *raised->mutable_location() = Loc(52.37, 4.89, 15);
    raised->set_note("blue car\n\033[2J");
  } else if (text_proto_kind == "offered") {
    auto* offered = event.mutable_offered();
    offered->set_responder("responders/r-2");
    offered->set_distance_meters(1234);
    offered->set_eta_seconds(125);
  } else if (text_proto_kind.starts_with("ended")) {
    auto* ended = event.mutable_offer_ended();
    ended->set_responder("responders/r-3");
    if (text_proto_kind == "ended-declined") {
      ended->set_reason(v1::CaseEvent::OfferEnded::REASON_DECLINED);
    } else if (text_proto_kind == "ended-expired") {
      ended->set_reason(v1::CaseEvent::OfferEnded::REASON_EXPIRED);
    } else if (text_proto_kind == "ended-unavailable") {
      ended->set_reason(
          v1::CaseEvent::OfferEnded::REASON_RESPONDER_UNAVAILABLE);
    }
  } else if (text_proto_kind == "assigned") {
    event.set_state(v1::CASE_STATE_ASSIGNED);
    auto* assigned = event.mutable_assigned();
    assigned->set_responder("responders/r-2");
    assigned->set_distance_meters(640);
    assigned->set_eta_seconds(45);
  } else if (text_proto_kind.starts_with("progressed")) {
    event.mutable_progressed()->set_responder("responders/r-2");
    if (text_proto_kind == "progressed-en-route") {
      event.set_state(v1::CASE_STATE_EN_ROUTE);
    } else if (text_proto_kind == "progressed-on-scene") {
      event.set_state(v1::CASE_STATE_ON_SCENE);
    } else {
      event.set_state(v1::CASE_STATE_RESOLVED);
    }
  } else if (text_proto_kind == "moved") {
    *event.mutable_location_updated()->mutable_location() = Loc(52.5, 4.9);
  } else if (text_proto_kind == "cancelled") {
    event.set_state(v1::CASE_STATE_CANCELLED);
    event.mutable_cancelled()->set_reason("false alarm");
  } else if (text_proto_kind == "cancelled-silently") {
    event.set_state(v1::CASE_STATE_CANCELLED);
    event.mutable_cancelled();
  } else if (text_proto_kind == "escalated") {
    event.set_state(v1::CASE_STATE_ESCALATED);
    event.mutable_escalated()->set_reason("no ambulance within 50 km");
  } else if (text_proto_kind == "redispatched") {
    event.mutable_redispatched();
  }
  return event;
}

TEST_CASE("DescribeEvent covers every change", "[format]") {
  auto [kind, expected] = GENERATE(table<std::string, std::string>({
      {"raised",
       "raised: medical at 52.37000, 4.89000 (±15 m), note \"blue car  [2J\""},
      {"offered", "offered to responders/r-2 (1.2 km, ETA 3 min)"},
      {"ended-declined", "declined by responders/r-3"},
      {"ended-expired", "offer to responders/r-3 expired"},
      {"ended-unavailable",
       "offer to responders/r-3 ended: responder unavailable"},
      {"ended-unspecified", "offer to responders/r-3 ended"},
      {"assigned", "assigned to responders/r-2 (640 m, ETA 1 min)"},
      {"progressed-en-route", "responders/r-2 en route"},
      {"progressed-on-scene", "responders/r-2 on scene"},
      {"progressed-resolved", "resolved by responders/r-2"},
      {"moved", "member moved to 52.50000, 4.90000"},
      {"cancelled", "cancelled: false alarm"},
      {"cancelled-silently", "cancelled"},
      {"escalated", "escalated: no ambulance within 50 km"},
      {"redispatched", "back to dispatching"},
      {"none", "(unknown change)"},
  }));
  INFO("change: " << kind);
  CHECK(DescribeEvent(Event(kind)) == expected);
}

TEST_CASE("FormatWatchLine marks escalations", "[format]") {
  const absl::TimeZone utc = absl::UTCTimeZone();
  CHECK(FormatWatchLine(Event("offered"), utc, /*color=*/true) ==
        "   12:00:05  cases/ab12  #3  DISPATCHING  dispatch  "
        "offered to responders/r-2 (1.2 km, ETA 3 min)");
  const std::string plain =
      "!! 12:00:05  cases/ab12  #3  ESCALATED  dispatch  "
      "escalated: no ambulance within 50 km";
  CHECK(FormatWatchLine(Event("escalated"), utc, /*color=*/false) == plain);
  CHECK(FormatWatchLine(Event("escalated"), utc, /*color=*/true) ==
        "\033[1;31m" + plain + "\033[0m");
}

TEST_CASE("FormatTimeline aligns one line per event", "[format]") {
  v1::ListCaseEventsResponse events;
  v1::CaseEvent first = Event("raised");
  first.set_sequence(1);
  first.mutable_event_time()->CopyFrom(At(kNoon));
  first.set_actor("members/m-1");
  first.mutable_raised()->clear_note();
  *events.add_events() = first;
  *events.add_events() = Event("offered");
  v1::CaseEvent declined = Event("ended-declined");
  declined.set_sequence(10);
  declined.set_actor("responders/r-3");
  *events.add_events() = declined;
  CHECK(FormatTimeline(events, absl::UTCTimeZone()) ==
        "#1   2024-05-01 12:00:00  DISPATCHING  members/m-1     "
        "raised: medical at 52.37000, 4.89000 (±15 m)\n"
        "#3   2024-05-01 12:00:05  DISPATCHING  dispatch        "
        "offered to responders/r-2 (1.2 km, ETA 3 min)\n"
        "#10  2024-05-01 12:00:05  DISPATCHING  responders/r-3  "
        "declined by responders/r-3\n");
}

TEST_CASE("FormatCaseTable and FormatResponderTable", "[format]") {
  const absl::Time now = absl::FromUnixSeconds(kNoon + 4 * 60 + 10);
  v1::ListCasesResponse cases;
  v1::Case* c = cases.add_cases();
  c->set_name("cases/ab12");
  c->set_kind(v1::CASE_KIND_ROAD);
  c->set_state(v1::CASE_STATE_EN_ROUTE);
  c->set_member("members/m-1");
  c->set_responder("responders/r-2");
  c->mutable_create_time()->CopyFrom(At(kNoon));
  CHECK(FormatCaseTable(cases, now) ==
        "NAME        KIND  STATE     MEMBER       RESPONDER       AGE\n"
        "cases/ab12  road  EN_ROUTE  members/m-1  responders/r-2  4 min\n");

  v1::ListRespondersResponse responders;
  v1::Responder* r = responders.add_responders();
  r->set_name("responders/r-2");
  r->set_status(v1::Responder::STATUS_BUSY);
  r->add_capabilities(v1::CAPABILITY_TOW);
  r->add_capabilities(v1::CAPABILITY_PATROL);
  *r->mutable_location() = Loc(52.37, 4.89);
  r->mutable_location_time()->CopyFrom(At(kNoon + 4 * 60 + 7));
  r->set_current_case("cases/ab12");
  v1::Responder* idle = responders.add_responders();
  idle->set_name("responders/r-3");
  idle->set_status(v1::Responder::STATUS_OFF_DUTY);
  CHECK(FormatResponderTable(responders, now) ==
        "NAME            STATUS    CAPABILITIES  POSITION           "
        "POSITION AGE  CASE\n"
        "responders/r-2  BUSY      tow,patrol    52.37000, 4.89000  "
        "3 s           cases/ab12\n"
        "responders/r-3  OFF_DUTY  -             -                  "
        "-             -\n");
}

TEST_CASE("FormatCaseDetails lists the fields that are set", "[format]") {
  v1::Case c;
  c.set_name("cases/ab12");
  c.set_member("members/m-1");
  c.set_kind(v1::CASE_KIND_MEDICAL);
  c.set_state(v1::CASE_STATE_CANCELLED);
  *c.mutable_location() = Loc(52.37, 4.89, 20);
  c.set_request_id("req-1");
  c.set_cancel_reason("false alarm");
  c.mutable_create_time()->CopyFrom(At(kNoon));
  c.mutable_update_time()->CopyFrom(At(kNoon + 90));
  c.set_last_sequence(4);
  CHECK(FormatCaseDetails(c, absl::FromUnixSeconds(kNoon + 300),
                          absl::UTCTimeZone()) ==
        "name:           cases/ab12\n"
        "kind:           medical\n"
        "state:          CANCELLED\n"
        "member:         members/m-1\n"
        "location:       52.37000, 4.89000 (±20 m)\n"
        "responder:      -\n"
        "cancel reason:  false alarm\n"
        "request id:     req-1\n"
        "created:        2024-05-01 12:00:00 (5 min ago)\n"
        "updated:        2024-05-01 12:01:30 (3 min ago)\n"
        "last sequence:  4\n");
}

}  // namespace
}  // namespace mayday::tools
