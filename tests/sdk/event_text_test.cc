// Event text for mayday-panic and apps (the member's reading): one row per
// kind of change. That the desk says the same is in
// tests/tools/event_text_parity_test.cc.
#include "mayday/sdk/event_text.h"

#include <catch2/catch.hpp>
#include <functional>
#include <string>

namespace mayday::sdk {
namespace {

using mayday::v1::CaseEvent;

CaseEvent Event(int64_t sequence, mayday::v1::CaseState state,
                const std::function<void(CaseEvent*)>& fill) {
  CaseEvent event;
  event.set_sequence(sequence);
  event.set_state(state);
  event.set_actor("members/m-1");
  fill(&event);
  return event;
}

TEST_CASE("FormatEventLine describes each change", "[sdk][event_text]") {
  auto [event, line] = GENERATE(table<CaseEvent, std::string>({
      {Event(1, mayday::v1::CASE_STATE_DISPATCHING,
             [](CaseEvent* e) {
               e->mutable_raised()->set_kind(mayday::v1::CASE_KIND_ROAD);
               e->mutable_raised()->mutable_location()->set_latitude(52.37);
               e->mutable_raised()->mutable_location()->set_longitude(4.89);
               e->mutable_raised()->set_note("flat tyre");
             }),
       "#1 DISPATCHING road alert raised at 52.37000, 4.89000, note \"flat tyre\""},
      {Event(2, mayday::v1::CASE_STATE_DISPATCHING,
             [](CaseEvent* e) {
               e->mutable_offered()->set_responder("responders/r-2");
               e->mutable_offered()->set_distance_meters(1234);
               e->mutable_offered()->set_eta_seconds(200);
             }),
       "#2 DISPATCHING offered to responders/r-2 (1.2 km, ETA 4 min)"},
      {Event(3, mayday::v1::CASE_STATE_ASSIGNED,
             [](CaseEvent* e) {
               e->set_actor("responders/r-2");
               e->mutable_assigned()->set_responder("responders/r-2");
               e->mutable_assigned()->set_distance_meters(1234);
               e->mutable_assigned()->set_eta_seconds(240);
             }),
       "#3 ASSIGNED    responders/r-2 accepted (1.2 km, ETA 4 min)"},
      {Event(4, mayday::v1::CASE_STATE_ON_SCENE,
             [](CaseEvent* e) {
               e->mutable_progressed()->set_responder("responders/r-2");
               e->set_actor("responders/r-2");
             }),
       "#4 ON_SCENE    responders/r-2 is on scene"},
      {Event(5, mayday::v1::CASE_STATE_CANCELLED,
             [](CaseEvent* e) { e->mutable_cancelled()->set_reason("false alarm"); }),
       "#5 CANCELLED   cancelled by members/m-1: false alarm"},
      {Event(6, mayday::v1::CASE_STATE_ESCALATED, [](CaseEvent* e) { e->mutable_escalated(); }),
       "#6 ESCALATED   escalated to care agents"},
      {Event(7, mayday::v1::CASE_STATE_ASSIGNED,
             [](CaseEvent* e) {
               e->mutable_message_posted()->set_author("operators/desk-1");
               e->mutable_message_posted()->set_text("stay with the car");
             }),
       "#7 ASSIGNED    message from a care agent: \"stay with the car\""},
      {Event(8, mayday::v1::CASE_STATE_RESOLVED,
             [](CaseEvent* e) {
               e->set_actor("operators/desk-1");
               e->mutable_progressed()->set_responder("responders/r-2");
             }),
       "#8 RESOLVED    resolved by a care agent"},
      {Event(9, mayday::v1::CASE_STATE_RESOLVED,
             [](CaseEvent* e) {
               e->mutable_rated()->mutable_rating()->set_stars(4);
               e->mutable_rated()->mutable_rating()->set_comment("kind crew");
             }),
       "#9 RESOLVED    rated 4/5 \"kind crew\""},
      {Event(10, mayday::v1::CASE_STATE_CANCELLED,
             [](CaseEvent* e) {
               e->set_actor("operators/desk-1");
               e->mutable_cancelled()->set_reason("pressed by mistake");
               e->mutable_cancelled()->set_false_alarm(true);
             }),
       "#10 CANCELLED   cancelled by a care agent (false alarm): pressed by mistake"},
      {Event(11, mayday::v1::CASE_STATE_DISPATCHING,
             [](CaseEvent* e) {
               e->set_actor("operators/desk-1");
               e->mutable_released()->set_operator_("operators/desk-1");
             }),
       "#11 DISPATCHING released by a care agent: looking for a responder again"},
  }));
  CAPTURE(line);
  CHECK(FormatEventLine(event) == line);
}

TEST_CASE("StateName strips the prefix", "[sdk][event_text]") {
  CHECK(StateName(mayday::v1::CASE_STATE_EN_ROUTE) == "EN_ROUTE");
  CHECK(StateName(static_cast<mayday::v1::CaseState>(99)) == "STATE_99");
}

TEST_CASE("ETAs are whole minutes, rounded up, at least one", "[sdk][event_text]") {
  auto [seconds, text] = GENERATE(table<int32_t, std::string>({
      {0, "1 min"},
      {45, "1 min"},
      {60, "1 min"},
      {61, "2 min"},
      {125, "3 min"},
      {227, "4 min"},
      {3600, "60 min"},
      // Found by sdk_watch_fuzz: rounding up overflowed int32.
      {2147483647, "35791395 min"},
      {-2147483647 - 1, "1 min"},
  }));
  CAPTURE(seconds);
  CHECK(FormatEtaMinutes(seconds) == text);
}

}  // namespace
}  // namespace mayday::sdk
