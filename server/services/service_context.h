// What every service needs from the rest of the server. Nothing is owned.
#ifndef MAYDAY_SERVER_SERVICES_SERVICE_CONTEXT_H_
#define MAYDAY_SERVER_SERVICES_SERVICE_CONTEXT_H_

#include <functional>

#include "auth/authenticator.h"
#include "auth/token_sessions.h"
#include "cases/case_log.h"
#include "cases/event_hub.h"
#include "cases/timer_keeper.h"
#include "dispatcher/dispatcher.h"
#include "medical/profile_keys.h"
#include "responders/crew_watch.h"
#include "responders/position_log.h"
#include "rpc/call_pool.h"
#include "rpc/rate_limits.h"
#include "rpc/stream_caps.h"
#include "services/dispatch_relay.h"
#include "store/store.h"
#include "webhooks/deliverer.h"

namespace mayday::server {

// Where a call that needs the dispatch engine runs.
enum class DispatchSite {
  kHere,   // this replica dispatches (or is the only one)
  kRelay,  // another replica does: relay the call to it (DispatchRelay)
};

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
  // hold, assignment and view of crews) ask WhereDispatch first.
  std::function<absl::Status()> dispatch_here;
  // With dispatch_here: how a standby reaches the replica that dispatches.
  DispatchRelay* relay = nullptr;
  const base::Clock* clock = nullptr;
  PositionLog* positions = nullptr;
  // Crews' positions for the members waiting for them (WatchCrew).
  CrewWatch* crews = nullptr;
  // Per-principal budgets of the chatty calls (services/admit.h).
  RateLimiter* limits = nullptr;
  // Open streams per principal, and how many each may hold.
  StreamCaps* streams = nullptr;
  // The streams open under each token, ended when it is revoked or expires.
  TokenSessions* sessions = nullptr;
  StreamCapOptions stream_caps;
  // Where the unary calls that may wait run (rpc/unary.h).
  CallPool* calls = nullptr;
  // Counts what the services see (metrics/metrics.h); null: nothing counted.
  Metrics* metrics = nullptr;
  // Fires members' safety timers (cases/timer_keeper.h).
  TimerKeeper* timers = nullptr;
  // The keys members' medical profiles are sealed with; null: the server
  // keeps none (started without a medical key file).
  const ProfileKeys* medical_keys = nullptr;
  // Delivers webhooks (woken when an endpoint is added or redelivered);
  // null: none. Running only on the replica that dispatches.
  webhooks::Deliverer* webhooks = nullptr;
  // Whether endpoints may be plain http:// (maydayd --webhook-allow-http).
  bool webhook_allow_http = false;

  // Where a call that needs dispatch runs: here, or relayed to the holder.
  // A call that another replica relayed here is never relayed on: a
  // standby refuses it (UNAVAILABLE; dispatch is changing hands).
  absl::StatusOr<DispatchSite> WhereDispatch(const grpc::ServerContextBase& context) const {
    if (!dispatch_here) return DispatchSite::kHere;
    absl::Status here = dispatch_here();
    if (here.ok()) return DispatchSite::kHere;
    if (relay == nullptr || DispatchRelay::Relayed(context)) return here;
    return DispatchSite::kRelay;
  }

  // A unary call that needs dispatch: `here()` (returning absl::Status) if
  // this replica dispatches, else `method` (a generated Stub's, such as
  // &mayday::v1::ResponderService::Stub::SetDuty) relayed to the holder
  // with `request`, answering into `response`.
  template <typename Stub, typename Request, typename Response, typename Here>
  absl::Status Dispatch(const grpc::ServerContextBase& context,
                        grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                     Response*),
                        const Request& request, Response* response, Here here) const {
    absl::StatusOr<DispatchSite> site = WhereDispatch(context);
    if (!site.ok()) return site.status();
    if (*site == DispatchSite::kRelay) return relay->Unary(context, method, request, response);
    return here();
  }
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_SERVICES_SERVICE_CONTEXT_H_
