// What a member's token reads of its own cases. A case the member cancelled
// with the duress PIN (Case.duress) goes on for the care desk and the crew,
// and reads, for the member, exactly as a cancel with the cancel PIN would
// have left it: the snapshot and events recorded at the time
// (DuressCancel.member_view, member_events) stand in for the stored ones,
// and nothing the member reads mentions the duress.
#ifndef MAYDAY_SERVER_CASES_MEMBER_VIEW_H_
#define MAYDAY_SERVER_CASES_MEMBER_VIEW_H_

#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::server {

// Wrong PINs a member may give on one case before it can no longer cancel
// it from the app (Case.failed_cancel_attempts), and on one safety timer
// before it fires (SafetyTimer.failed_end_attempts).
inline constexpr int kMaxCancelAttempts = 5;

// The case as its member reads it: the duress view if there is one, else
// the stored case less what only staff read.
mayday::v1::Case MemberView(const mayday::v1::Case& stored);

// Whether `member` ("members/{id}") may read the case at all: it is theirs,
// and not one raised because they used the duress PIN (a safety timer ended
// with it), which they never saw. A case they may not read is NOT_FOUND to
// them and left out of their lists, whoever's it is.
bool MemberReads(const mayday::v1::Case& stored, std::string_view member);

// The safety timer as its member reads it: after an end with the duress
// PIN, the ENDED timer the member was shown.
mayday::v1::SafetyTimer MemberView(const mayday::v1::SafetyTimer& stored);

// The last sequence of the stored timeline the member reads as stored:
// everything after it reads as DuressCancel.member_events. The case's
// last_sequence when there was no duress cancel.
int64_t LastSharedSequence(const mayday::v1::Case& stored);

// The event a member's stream shows for a stored one: a duress cancel shows
// the CANCELLED event the member was given; every other event as it is.
const mayday::v1::CaseEvent& MemberEvent(const mayday::v1::CaseEvent& stored);

// A CaseChange for the member's cancel with the duress PIN, at `now`, by
// `actor`: the case keeps its state (dispatch, the crew and the desk go on)
// and gets a DuressCancelled event, while `next.duress` records the view
// the member is given from now on: CloseCase's CANCELLED case and event,
// stamped as CaseLog stamps a change. FAILED_PRECONDITION (as CloseCase) if
// the case is closed, or reads closed to the member already.
absl::Status CancelUnderDuress(const std::string& actor, absl::Time now, const std::string& reason,
                               bool false_alarm, const mayday::v1::Case& current,
                               mayday::v1::Case& next, mayday::v1::CaseEvent& event);

// A member's change to one of its cases, as a CaseChange (case_log.h).
using MemberChange = absl::FunctionRef<absl::Status(
    const mayday::v1::Case& current, mayday::v1::Case& next, mayday::v1::CaseEvent& event)>;

// Runs a member's `change` on the case as the member reads it. Without a
// duress cancel, on the case itself. With one, on the member view, as on a
// cancelled case: an error is returned as it is; a change it makes goes
// into the view and its events (stamped at `now`), and `event` records the
// same change on the stored case for the desk, whose state stays.
absl::Status ChangeAsMemberReads(absl::Time now, MemberChange change,
                                 const mayday::v1::Case& current, mayday::v1::Case& next,
                                 mayday::v1::CaseEvent& event);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_CASES_MEMBER_VIEW_H_
