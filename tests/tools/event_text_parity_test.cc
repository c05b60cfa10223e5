// The member's phone and the care desk say the same thing about the same
// event. One row per kind of change (and per actor where the actor changes
// the words), the event written as the server stores it: what the phone
// shows (the SDK's event line, which the C ABI's description and
// mayday-panic print too) and what the desk shows in `cases watch` and in
// `cases show`'s timeline. The desk's words are the phone's with care agents
// named instead of "a care agent" and where the crew was added; most rows
// have no such fact and must read the same.
#include <catch2/catch.hpp>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/text_format.h"
#include "mayday/sdk/event_text.h"
#include "maydayctl/format.h"
#include "maydayctl/views.h"

namespace mayday::tools::testing {
namespace {

// "" in the desk column: the desk reads exactly the phone's words.
constexpr const char* kSame = "";

// The event of cases/ab12, sequence 4, that `text_proto` (a CaseEvent in
// protobuf's text format) describes.
::mayday::v1::CaseEvent ParseEvent(const std::string& text_proto) {
  ::mayday::v1::CaseEvent event;
  REQUIRE(google::protobuf::TextFormat::ParseFromString(
      absl::StrCat("case: 'cases/ab12' sequence: 4 event_time { seconds: 1714564800 } ",
                   text_proto),
      &event));
  return event;
}

TEST_CASE("The phone and the desk word every event the same way", "[event_text]") {
  auto [row, text_proto, phone,
        desk_or_same] = GENERATE(table<std::string, std::string, std::string, std::string>({
      {"raised",
       "state: CASE_STATE_DISPATCHING actor: 'members/alice' raised { kind: CASE_KIND_ROAD "
       "location { latitude: 52.3702 longitude: 4.8952 horizontal_accuracy_meters: 15 } "
       "note: 'blue Golf' }",
       "road alert raised at 52.37020, 4.89520 (±15 m), note \"blue Golf\"", kSame},
      {"offered",
       "state: CASE_STATE_DISPATCHING actor: 'dispatch' offered { responder: "
       "'responders/unit-1' distance_meters: 1500 eta_seconds: 170 }",
       "offered to responders/unit-1 (1.5 km, ETA 3 min)", kSame},
      {"declined",
       "state: CASE_STATE_DISPATCHING actor: 'responders/unit-1' offer_ended { responder: "
       "'responders/unit-1' reason: REASON_DECLINED }",
       "declined by responders/unit-1", kSame},
      {"expired",
       "state: CASE_STATE_DISPATCHING actor: 'dispatch' offer_ended { responder: "
       "'responders/unit-1' reason: REASON_EXPIRED }",
       "offer to responders/unit-1 expired", kSame},
      {"unavailable",
       "state: CASE_STATE_DISPATCHING actor: 'dispatch' offer_ended { responder: "
       "'responders/unit-1' reason: REASON_RESPONDER_UNAVAILABLE }",
       "offer to responders/unit-1 ended: responder unavailable", kSame},
      {"withdrawn",
       "state: CASE_STATE_DISPATCHING actor: 'operators/desk-1' offer_ended { responder: "
       "'responders/unit-1' reason: REASON_WITHDRAWN }",
       "offer to responders/unit-1 withdrawn", kSame},
      {"accepted by the crew",
       "state: CASE_STATE_ASSIGNED actor: 'responders/unit-1' assigned { responder: "
       "'responders/unit-1' distance_meters: 1500 eta_seconds: 170 responder_location { "
       "latitude: 52.35648 longitude: 4.89707 } }",
       "responders/unit-1 accepted (1.5 km, ETA 3 min)",
       "responders/unit-1 accepted (1.5 km, ETA 3 min), from 52.35648, 4.89707"},
      {"assigned by a care agent",
       "state: CASE_STATE_ASSIGNED actor: 'operators/desk-1' assigned { responder: "
       "'responders/unit-2' distance_meters: 55700 eta_seconds: 5100 responder_location { "
       "latitude: 52.35422 longitude: 4.89018 } }",
       "assigned to responders/unit-2 by a care agent (55.7 km, ETA 85 min)",
       "assigned to responders/unit-2 by operators/desk-1 (55.7 km, ETA 85 min), "
       "from 52.35422, 4.89018"},
      {"en route",
       "state: CASE_STATE_EN_ROUTE actor: 'responders/unit-1' progressed { responder: "
       "'responders/unit-1' responder_location { latitude: 52.36915 longitude: 4.89534 } }",
       "responders/unit-1 is on the way", "responders/unit-1 is on the way, at 52.36915, 4.89534"},
      {"on scene",
       "state: CASE_STATE_ON_SCENE actor: 'responders/unit-1' progressed { responder: "
       "'responders/unit-1' }",
       "responders/unit-1 is on scene", kSame},
      {"resolved by the crew",
       "state: CASE_STATE_RESOLVED actor: 'responders/unit-1' progressed { responder: "
       "'responders/unit-1' }",
       "resolved by responders/unit-1", kSame},
      {"resolved by a care agent",
       "state: CASE_STATE_RESOLVED actor: 'operators/desk-1' progressed { responder: "
       "'responders/unit-1' }",
       "resolved by a care agent", "resolved by operators/desk-1"},
      {"member moved",
       "state: CASE_STATE_DISPATCHING actor: 'members/alice' location_updated { location { "
       "latitude: 52.5 longitude: 4.9 } }",
       "member moved to 52.50000, 4.90000", kSame},
      {"cancelled by the member",
       "state: CASE_STATE_CANCELLED actor: 'members/alice' cancelled { reason: 'changed my "
       "mind' }",
       "cancelled by members/alice: changed my mind", kSame},
      {"cancelled by a care agent",
       "state: CASE_STATE_CANCELLED actor: 'operators/desk-1' cancelled { reason: 'pocket "
       "press' false_alarm: true }",
       "cancelled by a care agent (false alarm): pocket press",
       "cancelled by operators/desk-1 (false alarm): pocket press"},
      {"escalated by dispatch",
       "state: CASE_STATE_ESCALATED actor: 'dispatch' escalated { reason: 'no tow truck "
       "within 50 km' }",
       "escalated to care agents: no tow truck within 50 km", kSame},
      {"escalated by a care agent",
       "state: CASE_STATE_ESCALATED actor: 'operators/desk-1' escalated { reason: 'fuel "
       "leak' }",
       "escalated to care agents: fuel leak",
       "escalated to care agents by operators/desk-1: fuel leak"},
      {"redispatched", "state: CASE_STATE_DISPATCHING actor: 'dispatch' redispatched {}",
       "looking for a responder again", kSame},
      {"message from the member",
       "state: CASE_STATE_ASSIGNED actor: 'members/alice' message_posted { author: "
       "'members/alice' text: 'behind the barrier' }",
       "message from members/alice: \"behind the barrier\"", kSame},
      {"message from the crew",
       "state: CASE_STATE_ASSIGNED actor: 'responders/unit-1' message_posted { author: "
       "'responders/unit-1' text: 'two minutes' }",
       "message from responders/unit-1: \"two minutes\"", kSame},
      {"message from a care agent",
       "state: CASE_STATE_ASSIGNED actor: 'operators/desk-1' message_posted { author: "
       "'operators/desk-1' text: 'help is coming' }",
       "message from a care agent: \"help is coming\"",
       "message from operators/desk-1: \"help is coming\""},
      {"rated",
       "state: CASE_STATE_RESOLVED actor: 'members/alice' rated { rating { stars: 5 "
       "comment: 'kind crew' } }",
       "rated 5/5 \"kind crew\"", kSame},
      {"taken",
       "state: CASE_STATE_ESCALATED actor: 'operators/desk-1' taken { operator: "
       "'operators/desk-1' }",
       "taken by a care agent", "taken by operators/desk-1"},
      {"released by its owner",
       "state: CASE_STATE_DISPATCHING actor: 'operators/desk-1' released { operator: "
       "'operators/desk-1' }",
       "released by a care agent: looking for a responder again",
       "released by operators/desk-1: looking for a responder again"},
      {"released by another agent",
       "state: CASE_STATE_DISPATCHING actor: 'operators/desk-2' released { operator: "
       "'operators/desk-1' }",
       "released by a care agent: looking for a responder again",
       "released by operators/desk-2 (owned by operators/desk-1): looking for a responder "
       "again"},
      {"a wrong cancel PIN",
       "state: CASE_STATE_ASSIGNED actor: 'members/alice' cancel_refused { failed_attempts: 2 }",
       "cancel refused: wrong PIN (2)", kSame},
      {"the last wrong cancel PIN",
       "state: CASE_STATE_ASSIGNED actor: 'members/alice' cancel_refused { failed_attempts: 5 "
       "locked: true }",
       "cancel refused: wrong PIN (5), no more attempts: a care agent will call", kSame},
      {"an offer ended because the member moved",
       "state: CASE_STATE_DISPATCHING actor: 'dispatch' offer_ended { responder: "
       "'responders/unit-1' reason: REASON_MEMBER_MOVED }",
       "offer to responders/unit-1 withdrawn: the member moved, a nearer crew is asked", kSame},
      {"a stalled crew",
       "state: CASE_STATE_EN_ROUTE actor: 'dispatch' stalled { responder: 'responders/unit-1' "
       "reason: REASON_SILENT words: 'no position from unit-1 for 2 min (3.4 km to go)' }",
       "your crew responders/unit-1 seems delayed: no position from unit-1 for 2 min (3.4 km "
       "to go); the care desk is checking",
       "CREW STALLED: no position from unit-1 for 2 min (3.4 km to go)"},
      {"a fresh fix asked for",
       "state: CASE_STATE_DISPATCHING actor: 'dispatch' fix_requested { reason: "
       "REASON_INACCURATE accuracy_meters: 800 words: 'the fix is 800 m uncertain (more than "
       "500 m)' count: 1 }",
       "a fresh location was asked for: the fix is 800 m uncertain (more than 500 m)", kSame},
      // Never sent to a member's phone; the desk's words.
      {"a duress cancel",
       "state: CASE_STATE_ASSIGNED actor: 'members/alice' duress_cancelled { reason: 'all fine' "
       "false_alarm: true }",
       "DURESS: the member cancelled with the duress PIN (\"all fine\"); the member's phone "
       "shows the case cancelled, help goes on",
       kSame},
  }));
  INFO("row: " << row);
  const ::mayday::v1::CaseEvent event = ParseEvent(text_proto);
  const std::string desk = desk_or_same == kSame ? phone : desk_or_same;

  // The phone: the SDK's event line (and its description, the C ABI's).
  CHECK(sdk::DescribeEvent(event) == phone);
  const std::string phone_line = sdk::FormatEventLine(event);
  CAPTURE(phone_line);
  CHECK(absl::EndsWith(phone_line, " " + phone));

  // The desk: `cases watch` and `cases show`'s timeline.
  const std::string watch_line = FormatWatchLine(event, absl::UTCTimeZone(), /*color=*/false);
  CAPTURE(watch_line);
  CHECK(absl::EndsWith(watch_line, "  " + desk));
  ::mayday::v1::ListCaseEventsResponse timeline;
  *timeline.add_events() = event;
  const std::string timeline_line = FormatTimeline(timeline, absl::UTCTimeZone());
  CAPTURE(timeline_line);
  CHECK(absl::EndsWith(timeline_line, "  " + desk + "\n"));
}

}  // namespace
}  // namespace mayday::tools::testing
