// How each of the engine's decisions is written down: the case change (for
// CaseWriter) that records an offer, an offer's end, an escalation or a
// redispatch as the case's next event, checked against the case as stored.
#ifndef MAYDAY_SERVER_DISPATCHER_DECISION_EVENTS_H_
#define MAYDAY_SERVER_DISPATCHER_DECISION_EVENTS_H_

#include "cases/case_log.h"
#include "mayday/dispatch/engine.h"

namespace mayday::server {

// The change that records `decision` (it holds a copy of what it needs: it
// runs later, on the store's writer thread). An offer or an escalation of a
// case that is no longer DISPATCHING is FAILED_PRECONDITION; escalating an
// escalated case, or redispatching a dispatching one, is ALREADY_EXISTS
// (nothing to record).
OwnedCaseChange DecisionEvent(const dispatch::Decision& decision);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_DISPATCHER_DECISION_EVENTS_H_
