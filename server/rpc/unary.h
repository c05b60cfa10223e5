// Runs a unary callback-API handler's work on the server's CallPool (its
// work may wait for a commit or for dispatch, which gRPC's own threads must
// never do: rpc/call_pool.h) and finishes the call with its status.
#ifndef MAYDAY_SERVER_RPC_UNARY_H_
#define MAYDAY_SERVER_RPC_UNARY_H_

#include <utility>

#include "grpcpp/grpcpp.h"
#include "rpc/call_pool.h"
#include "rpc/status.h"

namespace mayday::server {

// Queues `work()` (returning absl::Status) on `pool` and finishes the call
// with it there. `work` runs after the handler has returned: it must hold
// what it uses by value (the call's context, request and response stay
// valid until the call is finished).
template <typename Work>
grpc::ServerUnaryReactor* FinishUnary(CallPool* pool, grpc::CallbackServerContext* context,
                                      Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  pool->Run([reactor, work = std::move(work)]() mutable { reactor->Finish(ToGrpcStatus(work())); });
  return reactor;
}

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_RPC_UNARY_H_
