// Tests of maydayctl's multi-line views: the case and responder tables, the
// fields of a case, its timeline and its internal notes. Times in UTC.
#include "maydayctl/views.h"

#include <catch2/catch.hpp>
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

TEST_CASE("FormatTimeline aligns one line per event", "[views]") {
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
        "medical alert raised at 52.37000, 4.89000 (±15 m)\n"
        "#3   2024-05-01 12:00:05  DISPATCHING  dispatch        "
        "offered to responders/r-2 (1.2 km, ETA 3 min)\n"
        "#10  2024-05-01 12:00:05  DISPATCHING  responders/r-3  "
        "declined by responders/r-3\n");
}

TEST_CASE("FormatCaseTable and FormatResponderTable", "[views]") {
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

TEST_CASE("The desk's views put a duress or a locked cancel first, marked", "[views]") {
  const absl::Time now = absl::FromUnixSeconds(kNoon + 60);
  v1::ListCasesResponse cases;
  v1::Case* plain = cases.add_cases();
  plain->set_name("cases/a1");
  plain->set_kind(v1::CASE_KIND_ROAD);
  plain->set_state(v1::CASE_STATE_DISPATCHING);
  plain->mutable_create_time()->CopyFrom(At(kNoon));
  v1::Case* locked = cases.add_cases();
  *locked = *plain;
  locked->set_name("cases/b2");
  locked->set_failed_cancel_attempts(5);
  v1::Case* duress = cases.add_cases();
  *duress = *plain;
  duress->set_name("cases/c3");
  duress->set_state(v1::CASE_STATE_ASSIGNED);
  duress->mutable_duress()->mutable_time()->CopyFrom(At(kNoon + 30));
  CHECK(FormatCaseTable(cases, now) ==
        "NAME      KIND  STATE                                 MEMBER  RESPONDER  AGE\n"
        "cases/b2  road  !CANCEL ATTEMPTS FAILED! DISPATCHING  -       -          1 min\n"
        "cases/c3  road  !DURESS! ASSIGNED                     -       -          1 min\n"
        "cases/a1  road  DISPATCHING                           -       -          1 min\n");
  const std::string details = FormatCaseDetails(*duress, now, absl::UTCTimeZone());
  CHECK(details.rfind("!DURESS! the member cancelled with the duress PIN 2024-05-01 12:00:30 "
                      "(30 s ago): their phone shows the case cancelled.",
                      0) == 0);
  CHECK(FormatCaseDetails(*locked, now, absl::UTCTimeZone())
            .rfind("!CANCEL ATTEMPTS FAILED! 5 ", 0) == 0);
  CHECK(FormatCaseDetails(*plain, now, absl::UTCTimeZone()).rfind("name:", 0) == 0);
}

TEST_CASE("The desk's views mark a stalled crew first and a fix asked for", "[views]") {
  const absl::Time now = absl::FromUnixSeconds(kNoon + 60);
  v1::ListCasesResponse cases;
  v1::Case* asked = cases.add_cases();
  asked->set_name("cases/a1");
  asked->set_kind(v1::CASE_KIND_ROAD);
  asked->set_state(v1::CASE_STATE_DISPATCHING);
  asked->mutable_create_time()->CopyFrom(At(kNoon));
  asked->mutable_fix_request()->set_words("the fix is 800 m uncertain (more than 500 m)");
  asked->mutable_fix_request()->mutable_time()->CopyFrom(At(kNoon + 2));
  asked->mutable_fix_request()->set_count(1);
  asked->mutable_fix_request()->set_pending(true);
  v1::Case* stalled = cases.add_cases();
  *stalled = *asked;
  stalled->set_name("cases/b2");
  stalled->set_state(v1::CASE_STATE_EN_ROUTE);
  stalled->set_responder("responders/r-2");
  stalled->mutable_fix_request()->set_pending(false);
  stalled->mutable_stall()->set_responder("responders/r-2");
  stalled->mutable_stall()->set_reason(v1::CrewStall::REASON_NOT_CLOSER);
  stalled->mutable_stall()->set_words("r-2 came only 40 m closer in the last 3 min (2.1 km to go)");
  stalled->mutable_stall()->mutable_time()->CopyFrom(At(kNoon + 50));
  CHECK(FormatCaseTable(cases, now) ==
        "NAME      KIND  STATE                    MEMBER  RESPONDER       AGE\n"
        "cases/b2  road  !CREW STALLED! EN_ROUTE  -       responders/r-2  1 min\n"
        "cases/a1  road  DISPATCHING (fix asked)  -       -               1 min\n");
  CHECK(FormatCaseDetails(*stalled, now, absl::UTCTimeZone())
            .rfind("!CREW STALLED! r-2 came only 40 m closer in the last 3 min (2.1 km to go), "
                   "noticed 2024-05-01 12:00:50 (10 s ago). The crew stays assigned: call it, or "
                   "the member.\n",
                   0) == 0);
  const std::string details = FormatCaseDetails(*asked, now, absl::UTCTimeZone());
  CHECK_THAT(details, Catch::Contains("fix asked:      the fix is 800 m uncertain (more than 500 "
                                      "m), 2024-05-01 12:00:02 (58 s ago), no answer yet\n"));
}

TEST_CASE("FormatTimerTable shows running timers and marks a duress end", "[views]") {
  const absl::Time now = absl::FromUnixSeconds(kNoon + 60);
  v1::ListSafetyTimersResponse timers;
  v1::SafetyTimer* running = timers.add_timers();
  running->set_name("timers/t1");
  running->set_member("members/m-1");
  running->set_state(v1::SafetyTimer::STATE_RUNNING);
  running->set_kind(v1::CASE_KIND_MEDICAL);
  running->mutable_deadline()->CopyFrom(At(kNoon + 60 + 42 * 60));
  running->set_note("walking\nhome");
  v1::SafetyTimer* duress = timers.add_timers();
  duress->set_name("timers/t2");
  duress->set_member("members/m-2");
  duress->set_state(v1::SafetyTimer::STATE_FIRED);
  duress->set_kind(v1::CASE_KIND_ROAD);
  duress->mutable_deadline()->CopyFrom(At(kNoon));
  duress->set_case_("cases/ab12");
  duress->mutable_member_view()->set_state(v1::SafetyTimer::STATE_ENDED);
  CHECK(FormatTimerTable(timers, now) ==
        "NAME       MEMBER       STATE                               KIND     DEADLINE   CASE      "
        "  NOTE\n"
        "timers/t1  members/m-1  RUNNING                             medical  in 42 min  -         "
        "  walking home\n"
        "timers/t2  members/m-2  !DURESS! FIRED (member sees ENDED)  road     1 min ago  "
        "cases/ab12\n");
}

TEST_CASE("FormatCaseDetails lists the fields that are set", "[views]") {
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
  CHECK(FormatCaseDetails(c, absl::FromUnixSeconds(kNoon + 300), absl::UTCTimeZone()) ==
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

TEST_CASE("FormatCaseDetails shows the owning operator and the rating", "[views]") {
  v1::Case c;
  c.set_name("cases/ab12");
  c.set_member("members/m-1");
  c.set_kind(v1::CASE_KIND_ROAD);
  c.set_state(v1::CASE_STATE_RESOLVED);
  c.set_responder("responders/r-2");
  c.set_operator_("operators/desk");
  c.mutable_rating()->set_stars(5);
  c.mutable_rating()->set_comment("fast\nthanks");
  c.mutable_create_time()->CopyFrom(At(kNoon));
  CHECK(FormatCaseDetails(c, absl::FromUnixSeconds(kNoon + 60), absl::UTCTimeZone()) ==
        "name:           cases/ab12\n"
        "kind:           road\n"
        "state:          RESOLVED\n"
        "member:         members/m-1\n"
        "location:       -\n"
        "responder:      responders/r-2\n"
        "operator:       operators/desk\n"
        "rating:         5/5 \"fast thanks\"\n"
        "request id:     -\n"
        "created:        2024-05-01 12:00:00 (1 min ago)\n"
        "updated:        -\n"
        "last sequence:  0\n");
}

TEST_CASE("FormatNotes lists internal notes, oldest first", "[views]") {
  v1::ListCaseNotesResponse notes;
  CHECK(FormatNotes(notes, absl::UTCTimeZone()) == "(none)\n");
  v1::CaseNote* first = notes.add_notes();
  first->set_case_("cases/ab12");
  first->set_author("operators/desk");
  first->set_text("member calm,\ncalled back");
  first->mutable_create_time()->CopyFrom(At(kNoon + 180));
  v1::CaseNote* second = notes.add_notes();
  second->set_author("operators/ann");
  second->set_text("tow ordered");
  second->mutable_create_time()->CopyFrom(At(kNoon + 300));
  CHECK(FormatNotes(notes, absl::UTCTimeZone()) ==
        "2024-05-01 12:03:00  operators/desk  member calm, called back\n"
        "2024-05-01 12:05:00  operators/ann   tow ordered\n");
}

TEST_CASE("FormatTimeline describes messages, ratings and takes", "[views]") {
  v1::ListCaseEventsResponse events;
  *events.add_events() = Event("taken");
  v1::CaseEvent message = Event("message-member");
  message.set_sequence(4);
  *events.add_events() = message;
  v1::CaseEvent rated = Event("rated");
  rated.set_sequence(5);
  *events.add_events() = rated;
  CHECK(FormatTimeline(events, absl::UTCTimeZone()) ==
        "#3  2024-05-01 12:00:05  DISPATCHING  operators/desk  "
        "taken by operators/desk\n"
        "#4  2024-05-01 12:00:05  DISPATCHING  members/m-1     "
        "message from members/m-1: \"I am \"behind\" the truck\"\n"
        "#5  2024-05-01 12:00:05  RESOLVED     members/m-1     "
        "rated 4/5 \"quick and kind\"\n");
}

TEST_CASE("FormatTrack sums up where the crew went", "[views]") {
  v1::ListCaseTrackResponse track;
  CHECK(FormatTrack(track, absl::UTCTimeZone()) == "(none)\n");
  for (int i = 0; i < 3; ++i) {
    v1::TrackPoint* point = track.add_points();
    point->set_responder("responders/r-2");
    *point->mutable_location() = Loc(52.36 + i * 0.01, 4.89);
    *point->mutable_report_time() = At(kNoon + 60 * i);
  }
  CHECK(FormatTrack(track, absl::UTCTimeZone()) ==
        "3 positions of responders/r-2, 2024-05-01 12:00:00 to 12:02:00; last 52.38000, "
        "4.89000\n");
}

}  // namespace
}  // namespace mayday::tools
