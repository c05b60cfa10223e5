// gRPC method handlers that read requests with ParseRequest (request_text.h)
// instead of protobuf's plain parse, and RepairsText, the service base that
// installs them: a generated CallbackService registers handlers that refuse
// a request with invalid UTF-8 as UNIMPLEMENTED, with no message, before
// our code runs, and gRPC 1.51 offers no hook to see such a request. The
// handlers below read the request themselves and hand it on to gRPC's own
// (for the call's life cycle), so only the parse changes.
#ifndef MAYDAY_SERVER_RPC_TEXT_HANDLERS_H_
#define MAYDAY_SERVER_RPC_TEXT_HANDLERS_H_

#include <functional>
#include <string>
#include <utility>

#include "google/protobuf/descriptor.h"
#include "grpcpp/impl/codegen/rpc_service_method.h"
#include "grpcpp/impl/codegen/server_callback_handlers.h"
#include "grpcpp/support/server_callback.h"
#include "rpc/request_text.h"

namespace mayday::server {
namespace text_internal {

// A unary method: gRPC's CallbackUnaryHandler, but for the parse.
template <class Request, class Response>
class UnaryHandler final : public grpc::internal::MethodHandler {
 public:
  using Inner = grpc::internal::CallbackUnaryHandler<Request, Response>;
  using Holder = grpc::internal::DefaultMessageHolder<Request, Response>;
  explicit UnaryHandler(std::function<grpc::ServerUnaryReactor*(grpc::CallbackServerContext*,
                                                                const Request*, Response*)>
                            get_reactor)
      : inner_(std::move(get_reactor)) {}

  void RunHandler(const HandlerParameter& param) override { inner_.RunHandler(param); }

  // As Inner's, which keeps the request and response in the call's arena.
  void* Deserialize(grpc_call* call, grpc_byte_buffer* req, grpc::Status* status,
                    void** handler_data) override {
    auto* holder =
        new (grpc::g_core_codegen_interface->grpc_call_arena_alloc(call, sizeof(Holder))) Holder();
    *handler_data = holder;
    *status = ParseRequest(req, *holder->request(), plan_);
    return status->ok() ? holder->request() : nullptr;
  }

 private:
  Inner inner_;
  const TextPlan& plan_ = TextPlanFor(*Request::descriptor());
};

// A server-streaming method: gRPC's CallbackServerStreamingHandler, but for
// the parse.
template <class Request, class Response>
class ServerStreamingHandler final : public grpc::internal::MethodHandler {
 public:
  using Inner = grpc::internal::CallbackServerStreamingHandler<Request, Response>;
  explicit ServerStreamingHandler(std::function<grpc::ServerWriteReactor<Response>*(
                                      grpc::CallbackServerContext*, const Request*)>
                                      get_reactor)
      : inner_(std::move(get_reactor)) {}

  void RunHandler(const HandlerParameter& param) override { inner_.RunHandler(param); }

  void* Deserialize(grpc_call* call, grpc_byte_buffer* req, grpc::Status* status,
                    void** /*handler_data*/) override {
    auto* request =
        new (grpc::g_core_codegen_interface->grpc_call_arena_alloc(call, sizeof(Request)))
            Request();
    *status = ParseRequest(req, *request, plan_);
    if (status->ok()) return request;
    request->~Request();
    return nullptr;
  }

 private:
  Inner inner_;
  const TextPlan& plan_ = TextPlanFor(*Request::descriptor());
};

// The index gRPC gives `method` of `service` (its place in the .proto).
int MethodIndex(const std::string& service, const std::string& method,
                const google::protobuf::Descriptor& request);

}  // namespace text_internal

// The base of a service implementation: `Service` is the generated outer
// class (mayday::v1::AlertService). Its constructor calls Repair for each
// unary and server-streaming method; a client-streaming method's messages
// are read by gRPC's stream and are not covered.
template <class Service>
class RepairsText : public Service::CallbackService {
 protected:
  template <class Self, class Request, class Response>
  void Repair(const std::string& method,
              grpc::ServerUnaryReactor* (Self::*handler)(grpc::CallbackServerContext*,
                                                         const Request*, Response*)) {
    Self* self = static_cast<Self*>(this);
    this->MarkMethodCallback(
        text_internal::MethodIndex(Service::service_full_name(), method, *Request::descriptor()),
        new text_internal::UnaryHandler<Request, Response>(
            [self, handler](grpc::CallbackServerContext* context, const Request* request,
                            Response* response) {
              return (self->*handler)(context, request, response);
            }));
  }

  template <class Self, class Request, class Response>
  void Repair(const std::string& method,
              grpc::ServerWriteReactor<Response>* (Self::*handler)(grpc::CallbackServerContext*,
                                                                   const Request*)) {
    Self* self = static_cast<Self*>(this);
    this->MarkMethodCallback(
        text_internal::MethodIndex(Service::service_full_name(), method, *Request::descriptor()),
        new text_internal::ServerStreamingHandler<Request, Response>(
            [self, handler](grpc::CallbackServerContext* context, const Request* request) {
              return (self->*handler)(context, request);
            }));
  }
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_RPC_TEXT_HANDLERS_H_
