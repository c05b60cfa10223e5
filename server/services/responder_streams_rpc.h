// The two streaming calls of ResponderService: Subscribe (the crew's push
// stream of offers and updates) and ReportLocation (the crew's positions).
#ifndef MAYDAY_SERVER_SERVICES_RESPONDER_STREAMS_RPC_H_
#define MAYDAY_SERVER_SERVICES_RESPONDER_STREAMS_RPC_H_

#include "grpcpp/grpcpp.h"
#include "mayday/v1/responder_service.pb.h"
#include "services/service_context.h"

namespace mayday::server {

// Starts a Subscribe stream on this replica's dispatch; gRPC owns the
// returned reactor. `here` is ServiceContext::WhereDispatch's status: an
// error ends the stream with it once the caller is checked.
grpc::ServerWriteReactor<mayday::v1::ResponderUpdate>* StartSubscribe(
    const ServiceContext& services, grpc::CallbackServerContext* context, const absl::Status& here);

// Starts a ReportLocation stream on this replica's dispatch, as
// StartSubscribe does.
grpc::ServerReadReactor<mayday::v1::ReportLocationRequest>* StartReportLocation(
    const ServiceContext& services, grpc::CallbackServerContext* context,
    mayday::v1::ReportLocationResponse* response, const absl::Status& here);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_SERVICES_RESPONDER_STREAMS_RPC_H_
