// The case life cycle as rules: which state changes are allowed, checked
// before anything is stored. Pure functions, table-tested.
//
//   DISPATCHING -> ASSIGNED -> EN_ROUTE -> ON_SCENE -> RESOLVED
//   DISPATCHING <-> ESCALATED;  any open state -> CANCELLED
#ifndef MAYDAY_SERVER_CASES_CASE_RULES_H_
#define MAYDAY_SERVER_CASES_CASE_RULES_H_

#include "absl/status/status.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::server {

// RESOLVED or CANCELLED: nothing changes the case any more.
bool IsTerminal(mayday::v1::CaseState state);

// ASSIGNED, EN_ROUTE or ON_SCENE: a responder has the case.
bool IsAssigned(mayday::v1::CaseState state);

// OK if a case in `state` may be cancelled; FAILED_PRECONDITION otherwise.
absl::Status CheckCancel(mayday::v1::CaseState state);

// OK if the assigned responder may move a case from `from` to `to` (forward
// only, steps may be skipped); INVALID_ARGUMENT if `to` is not EN_ROUTE,
// ON_SCENE or RESOLVED; FAILED_PRECONDITION if the case is not assigned or
// `to` is not ahead of `from`.
absl::Status CheckProgress(mayday::v1::CaseState from, mayday::v1::CaseState to);

// OK if the case's location may still change (the case is open).
absl::Status CheckMove(mayday::v1::CaseState state);

// Short upper-case name without the prefix: "EN_ROUTE".
const char* StateName(mayday::v1::CaseState state);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_CASES_CASE_RULES_H_
