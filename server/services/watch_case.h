// The member's WatchCase stream: stored events after `after_sequence`, then
// live ones, each once and in order, ending after the case's terminal event.
//
// Gap-free hand-over from stored to live: the reactor subscribes to the hub
// before it reads the store, holds live events back while it replays, then
// sends the held-back ones it has not sent yet. Any event committed during the
// replay is in the store or in the held-back list (or both: duplicates are
// dropped by sequence).
#ifndef MAYDAY_SERVER_SERVICES_WATCH_CASE_H_
#define MAYDAY_SERVER_SERVICES_WATCH_CASE_H_

#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "mayday/v1/alert_service.pb.h"
#include "mayday/v1/resources.pb.h"
#include "rpc/queued_writer.h"
#include "services/service_context.h"

namespace mayday::server {

// Starts the stream for `request`; gRPC owns the returned reactor.
grpc::ServerWriteReactor<mayday::v1::CaseEvent>* StartWatchCase(
    const ServiceContext& services, grpc::CallbackServerContext* context,
    const mayday::v1::WatchCaseRequest& request);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_SERVICES_WATCH_CASE_H_
