// How each of the engine's decisions is written down: the case change (for
// CaseWriter) that records an offer, an offer's end, an escalation or a
// redispatch as the case's next event, checked against the case as stored.
#ifndef MAYDAY_SERVER_DISPATCHER_DECISION_EVENTS_H_
#define MAYDAY_SERVER_DISPATCHER_DECISION_EVENTS_H_

#include "absl/time/time.h"
#include "cases/case_log.h"
#include "dispatcher/fix_rule.h"
#include "mayday/dispatch/engine.h"
#include "mayday/dispatch/stall_watch.h"

namespace mayday::server {

// The actor of every event dispatch records.
inline constexpr char kDispatchActor[] = "dispatch";

// The change that records `decision` (it holds a copy of what it needs: it
// runs later, on the store's writer thread). An offer or an escalation of a
// case that is no longer DISPATCHING (an offer for a second crew: of a case
// no longer seeking one) is FAILED_PRECONDITION; escalating an
// escalated case, or redispatching a dispatching one, is ALREADY_EXISTS
// (nothing to record).
OwnedCaseChange DecisionEvent(const dispatch::Decision& decision);

// The change that records `stall`, noticed at `now`: a `stalled` event and
// the case's stall mark (saying whether dispatch seeks a second crew).
// FAILED_PRECONDITION if the case is no longer ASSIGNED or EN_ROUTE with
// that crew (it moved on meanwhile).
OwnedCaseChange StalledEvent(const dispatch::Stall& stall, absl::Time now, bool second_crew_sought);

// The change that records `request` (FixRequestFor of the location
// `about`), made at `now`: a `fix_requested` event and the case's
// fix_request mark, pending. MayRequestFix's refusal on the case as stored
// (FAILED_PRECONDITION: never again; RESOURCE_EXHAUSTED: not yet), or
// ABORTED if the case's location is no longer `about` (a newer one came).
OwnedCaseChange FixRequestedEvent(mayday::v1::FixRequest request, mayday::v1::Location about,
                                  absl::Time now, const FixLimits& limits);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_DISPATCHER_DECISION_EVENTS_H_
