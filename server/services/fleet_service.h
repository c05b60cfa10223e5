// FleetService: an organisation's vehicle tracking feed reports many of its
// crews' positions at once (ReportPositions), each taken as the crew's own
// report would be (services/responder_streams_rpc.cc), a batch at a time,
// whole or not at all (services/fleet_batch.h). Crews report where dispatch
// runs: a standby relays the stream there (services/dispatch_relay.h).
#ifndef MAYDAY_SERVER_SERVICES_FLEET_SERVICE_H_
#define MAYDAY_SERVER_SERVICES_FLEET_SERVICE_H_

#include "mayday/v1/fleet_service.grpc.pb.h"
#include "services/service_context.h"

namespace mayday::server {

// Thread-safe; handlers run on gRPC's callback threads.
class FleetServiceImpl final : public mayday::v1::FleetService::CallbackService {
 public:
  explicit FleetServiceImpl(const ServiceContext& services) : services_(services) {}

  grpc::ServerReadReactor<mayday::v1::ReportPositionsRequest>* ReportPositions(
      grpc::CallbackServerContext* context, mayday::v1::ReportPositionsResponse* response) override;

 private:
  ServiceContext services_;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_SERVICES_FLEET_SERVICE_H_
