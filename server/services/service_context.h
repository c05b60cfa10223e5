// What every service needs from the rest of the server. Nothing is owned.
#ifndef MAYDAY_SERVER_SERVICES_SERVICE_CONTEXT_H_
#define MAYDAY_SERVER_SERVICES_SERVICE_CONTEXT_H_

#include <functional>

#include "auth/authenticator.h"
#include "auth/token_sessions.h"
#include "cases/case_log.h"
#include "cases/event_hub.h"
#include "dispatcher/dispatcher.h"
#include "responders/position_log.h"
#include "rpc/call_pool.h"
#include "rpc/rate_limits.h"
#include "rpc/stream_caps.h"
#include "store/store.h"

namespace mayday::server {

struct ServiceContext {
  Store* store = nullptr;
  Authenticator* auth = nullptr;
  CaseLog* log = nullptr;
  EventHub* hub = nullptr;
  Dispatcher* dispatcher = nullptr;
  // Who hears of the case changes the services commit (CaseObserver): the
  // dispatcher, or, on a shared database, nobody here (dispatch's holder
  // hears them from the store, dispatcher/dispatch_feed.h).
  CaseObserver* changes = nullptr;
  // Null, or whether this replica runs dispatch now: UNAVAILABLE naming the
  // one that does while it stands by. The calls that need the dispatch
  // engine (a crew's duty, positions, offers and stream; a care agent's
  // hold, assignment and view of crews) check it first.
  std::function<absl::Status()> dispatch_here;
  const base::Clock* clock = nullptr;
  PositionLog* positions = nullptr;
  // Per-principal budgets of the chatty calls (services/admit.h).
  RateLimiter* limits = nullptr;
  // Open streams per principal, and how many each may hold.
  StreamCaps* streams = nullptr;
  // The streams open under each token, ended when it is revoked or expires.
  TokenSessions* sessions = nullptr;
  StreamCapOptions stream_caps;
  // Where the unary calls that may wait run (rpc/unary.h).
  CallPool* calls = nullptr;

  absl::Status DispatchHere() const { return dispatch_here ? dispatch_here() : absl::OkStatus(); }
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_SERVICES_SERVICE_CONTEXT_H_
