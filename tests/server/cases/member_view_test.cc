// What a member reads of a case cancelled under duress: the view a real
// cancel would have left, built by CancelUnderDuress, and changes made to it
// by ChangeAsMemberReads.
#include "cases/member_view.h"

#include <catch2/catch.hpp>

#include "api/proto_time.h"
#include "cases/case_changes.h"

namespace mayday::server {
namespace {

using mayday::v1::Case;
using mayday::v1::CaseEvent;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

Case Assigned() {
  Case c;
  c.set_name("cases/ab12");
  c.set_member("members/ann");
  c.set_state(mayday::v1::CASE_STATE_ASSIGNED);
  c.set_responder("responders/tow-1");
  c.set_last_sequence(3);
  return c;
}

// As CaseLog stamps a change to the stored case.
void Stamp(const Case& current, Case& next, CaseEvent& event) {
  next.set_last_sequence(current.last_sequence() + 1);
  *next.mutable_update_time() = ToProtoTime(kNow);
  event.set_case_(current.name());
  event.set_sequence(next.last_sequence());
  *event.mutable_event_time() = ToProtoTime(kNow);
  event.set_state(next.state());
}

TEST_CASE("A duress cancel keeps the case and gives the member a real cancel's view", "[member]") {
  const Case current = Assigned();

  // A real cancel, as the member would read it.
  Case real = current;
  CaseEvent real_event;
  real_event.set_actor("members/ann");
  REQUIRE(
      CloseCase(mayday::v1::CASE_STATE_CANCELLED, "fine", true, current, real, real_event).ok());
  Stamp(current, real, real_event);

  Case next = current;
  CaseEvent event;
  event.set_actor("members/ann");
  REQUIRE(CancelUnderDuress("members/ann", kNow, "fine", true, current, next, event).ok());
  Stamp(current, next, event);

  CHECK(next.state() == mayday::v1::CASE_STATE_ASSIGNED);
  CHECK(next.responder() == "responders/tow-1");
  REQUIRE(event.has_duress_cancelled());
  CHECK(event.state() == mayday::v1::CASE_STATE_ASSIGNED);
  CHECK(MemberView(next).SerializeAsString() == real.SerializeAsString());
  CHECK(MemberEvent(event).SerializeAsString() == real_event.SerializeAsString());
  CHECK(LastSharedSequence(next) == 3);
  CHECK_FALSE(MemberView(next).has_duress());

  // Cancelling again reads as on a cancelled case.
  Case again = next;
  CaseEvent again_event;
  const absl::Status twice =
      CancelUnderDuress("members/ann", kNow, "x", false, next, again, again_event);
  CHECK(twice.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(twice.message() == "the case is already CANCELLED");
}

TEST_CASE("A member's change to a duress-cancelled case is made to the view", "[member]") {
  const Case current = Assigned();
  Case cancelled = current;
  CaseEvent cancel_event;
  REQUIRE(
      CancelUnderDuress("members/ann", kNow, "fine", false, current, cancelled, cancel_event).ok());
  Stamp(current, cancelled, cancel_event);
  // The crew moves on: the stored case goes ahead, the view does not.
  cancelled.set_state(mayday::v1::CASE_STATE_EN_ROUTE);
  cancelled.set_last_sequence(6);

  mayday::v1::Rating rating;
  rating.set_stars(4);
  Case next = cancelled;
  CaseEvent event;
  event.set_actor("members/ann");
  REQUIRE(ChangeAsMemberReads(
              kNow + absl::Minutes(1),
              [&](const Case& c, Case& n, CaseEvent& e) { return Rate(rating, c, n, e); },
              cancelled, next, event)
              .ok());
  CHECK(next.state() == mayday::v1::CASE_STATE_EN_ROUTE);
  CHECK_FALSE(next.has_rating());
  CHECK(event.has_rated());
  const Case view = MemberView(next);
  CHECK(view.rating().stars() == 4);
  CHECK(view.last_sequence() == 5);
  REQUIRE(next.duress().member_events_size() == 2);
  CHECK(next.duress().member_events(1).sequence() == 5);
  CHECK(next.duress().member_events(1).state() == mayday::v1::CASE_STATE_CANCELLED);

  // What a cancelled case refuses, it refuses.
  Case refused = next;
  CaseEvent refused_event;
  const absl::Status message = ChangeAsMemberReads(
      kNow,
      [](const Case& c, Case& n, CaseEvent& e) {
        return PostMessage("members/ann", "hi", c, n, e);
      },
      next, refused, refused_event);
  CHECK(message.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(message.message() == "the case is CANCELLED; messages can no longer be posted");

  // Without a duress cancel the change is made to the case itself.
  Case plain = current;
  CaseEvent plain_event;
  REQUIRE(ChangeAsMemberReads(
              kNow,
              [](const Case& c, Case& n, CaseEvent& e) {
                return PostMessage("members/ann", "hi", c, n, e);
              },
              current, plain, plain_event)
              .ok());
  CHECK(plain_event.message_posted().text() == "hi");
  CHECK_FALSE(plain.has_duress());
}

}  // namespace
}  // namespace mayday::server
