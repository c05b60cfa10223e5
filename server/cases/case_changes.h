// Changes to a case that more than one service makes (a message, a closure,
// a rating), each checked against the committed case. Used as CaseLog
// changes: they fill in `next` and `event`, or return why not and change
// nothing.
#ifndef MAYDAY_SERVER_CASES_CASE_CHANGES_H_
#define MAYDAY_SERVER_CASES_CASE_CHANGES_H_

#include <string>

#include "absl/status/status.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::server {

// `author` writes `text` (already validated) on an open case.
// FAILED_PRECONDITION once the case is closed.
absl::Status PostMessage(const std::string& author, const std::string& text,
                         const mayday::v1::Case& current, mayday::v1::Case& next,
                         mayday::v1::CaseEvent& event);

// OK if the case is open; FAILED_PRECONDITION "the case is already
// RESOLVED" (or CANCELLED) otherwise, as CloseCase says it.
absl::Status CheckOpen(const mayday::v1::Case& current);

// Closes an open case as CANCELLED (with `reason`, and whether it was a
// false alarm) or RESOLVED (`reason` and `false_alarm` unused).
// FAILED_PRECONDITION if it is already closed.
absl::Status CloseCase(mayday::v1::CaseState state, const std::string& reason, bool false_alarm,
                       const mayday::v1::Case& current, mayday::v1::Case& next,
                       mayday::v1::CaseEvent& event);

// The member rates a closed case once. FAILED_PRECONDITION if the case is
// still open or already rated. `rating` is validated by the caller.
absl::Status Rate(const mayday::v1::Rating& rating, const mayday::v1::Case& current,
                  mayday::v1::Case& next, mayday::v1::CaseEvent& event);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_CASES_CASE_CHANGES_H_
