// Runs a unary callback-API handler whose work is quick and synchronous, and
// finishes the call with its status.
#ifndef MAYDAY_SERVER_RPC_UNARY_H_
#define MAYDAY_SERVER_RPC_UNARY_H_

#include "grpcpp/grpcpp.h"
#include "rpc/status.h"

namespace mayday::server {

// Calls `work()` (returning absl::Status) and finishes the call with it.
template <typename Work>
grpc::ServerUnaryReactor* FinishUnary(grpc::CallbackServerContext* context, Work&& work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(work()));
  return reactor;
}

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_RPC_UNARY_H_
