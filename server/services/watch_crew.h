// The WatchCrew stream (a member's, or the desk's): where the crew coming to a case is, and
// how long it still needs, while the case is ASSIGNED or EN_ROUTE (see
// AlertService.WatchCrew). Not case events: nothing here is stored, and a
// reconnecting phone gets the latest position at once instead of a
// backlog. The rule of when a position goes out is CrewUpdates'
// (responders/crew_watch.h): at once, then every 100 m the crew moves, and
// at least every 10 s.
//
// The stream follows the case through the hub (subscribed before the case
// is read, as WatchCase does): an assignment starts it on that crew, a
// crew taken off the case stops it until the next, ON_SCENE or any end of
// the case (as the member reads it: a duress cancel is an end) ends it.
// Crews report to the replica that dispatches; a standby relays the stream
// there.
#ifndef MAYDAY_SERVER_SERVICES_WATCH_CREW_H_
#define MAYDAY_SERVER_SERVICES_WATCH_CREW_H_

#include "grpcpp/grpcpp.h"
#include "mayday/v1/alert_service.pb.h"
#include "mayday/v1/resources.pb.h"
#include "services/service_context.h"

namespace mayday::server {

// Who watches: the case's member (AlertService.WatchCrew: the case as the
// member reads it, a duress cancel an end) or the desk (OperatorService:
// any case, as stored).
enum class CrewWatcher { kMember, kDesk };

// Starts the stream for `request` here; gRPC owns the returned reactor.
// `here`: whether this replica dispatches (the caller is checked first;
// then a stream that cannot be served here ends with it).
grpc::ServerWriteReactor<mayday::v1::CrewPosition>* StartWatchCrew(
    const ServiceContext& services, grpc::CallbackServerContext* context,
    const mayday::v1::WatchCrewRequest& request, const absl::Status& here,
    CrewWatcher watcher = CrewWatcher::kMember);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_SERVICES_WATCH_CREW_H_
