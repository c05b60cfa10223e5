// What a member reads of its cases; see member_view.h.
#include "cases/member_view.h"

#include "api/proto_time.h"
#include "cases/case_changes.h"

namespace mayday::server {
namespace {

using mayday::v1::Case;
using mayday::v1::CaseEvent;

// Gives a change made to the member view the stamps CaseLog gives a stored
// change: the view's next sequence and `now`.
void StampViewChange(absl::Time now, const Case& view, Case& view_next, CaseEvent& view_event) {
  const int64_t sequence = view.last_sequence() + 1;
  view_next.set_last_sequence(sequence);
  *view_next.mutable_update_time() = ToProtoTime(now);
  view_event.set_case_(view.name());
  view_event.set_sequence(sequence);
  *view_event.mutable_event_time() = ToProtoTime(now);
  view_event.set_state(view_next.state());
}

}  // namespace

Case MemberView(const Case& stored) {
  if (stored.has_duress()) return stored.duress().member_view();
  Case view = stored;
  view.clear_duress();
  return view;
}

bool MemberReads(const Case& stored, std::string_view member) {
  const bool hidden = stored.has_duress() && !stored.duress().has_member_view();
  return stored.member() == member && !hidden;
}

mayday::v1::SafetyTimer MemberView(const mayday::v1::SafetyTimer& stored) {
  if (stored.has_member_view()) return stored.member_view();
  return stored;
}

int64_t LastSharedSequence(const Case& stored) {
  if (!stored.has_duress() || stored.duress().member_events().empty()) {
    return stored.last_sequence();
  }
  return stored.duress().member_events(0).sequence() - 1;
}

const CaseEvent& MemberEvent(const CaseEvent& stored) {
  if (stored.has_duress_cancelled()) return stored.duress_cancelled().member_event();
  return stored;
}

absl::Status CancelUnderDuress(const std::string& actor, absl::Time now, const std::string& reason,
                               bool false_alarm, const Case& current, Case& next,
                               CaseEvent& event) {
  const Case view = MemberView(current);
  Case view_next = view;
  CaseEvent view_event;
  view_event.set_actor(actor);
  if (absl::Status s = CloseCase(mayday::v1::CASE_STATE_CANCELLED, reason, false_alarm, view,
                                 view_next, view_event);
      !s.ok()) {
    return s;
  }
  StampViewChange(now, view, view_next, view_event);
  auto* duress = next.mutable_duress();
  *duress->mutable_time() = ToProtoTime(now);
  *duress->mutable_member_view() = view_next;
  *duress->add_member_events() = view_event;
  auto* signalled = event.mutable_duress_cancelled();
  signalled->set_reason(reason);
  signalled->set_false_alarm(false_alarm);
  *signalled->mutable_member_event() = std::move(view_event);
  return absl::OkStatus();
}

absl::Status ChangeAsMemberReads(absl::Time now, MemberChange change, const Case& current,
                                 Case& next, CaseEvent& event) {
  if (!current.has_duress()) return change(current, next, event);
  const Case& view = current.duress().member_view();
  Case view_next = view;
  CaseEvent view_event;
  view_event.set_actor(event.actor());
  if (absl::Status s = change(view, view_next, view_event); !s.ok()) return s;
  StampViewChange(now, view, view_next, view_event);
  // The same change on the stored case, for the desk; its state stays.
  event = view_event;
  auto* duress = next.mutable_duress();
  *duress->mutable_member_view() = std::move(view_next);
  *duress->add_member_events() = std::move(view_event);
  return absl::OkStatus();
}

}  // namespace mayday::server
