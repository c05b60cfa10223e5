// Conversion between the server's internal errors (absl::Status) and the
// status a gRPC client receives. absl::StatusCode and grpc::StatusCode use the
// same numbers, so the conversion keeps code and message as they are.
#ifndef MAYDAY_SERVER_RPC_STATUS_H_
#define MAYDAY_SERVER_RPC_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace mayday::server {

// The gRPC status a client sees for `status`.
inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_RPC_STATUS_H_
