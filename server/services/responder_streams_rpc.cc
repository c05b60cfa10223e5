// ResponderService's streaming calls; see responder_streams_rpc.h.
#include "services/responder_streams_rpc.h"

#include <string>

#include "rpc/queued_writer.h"
#include "rpc/status.h"
#include "rpc/validation.h"

namespace mayday::server {
namespace {

// A crew's stream carries few messages; falling this far behind means the
// connection is dead or hopeless, and the crew reconnects.
constexpr size_t kMaxQueuedUpdates = 256;

class SubscribeReactor : public QueuedWriter<mayday::v1::ResponderUpdate>,
                         public ResponderChannel {
 public:
  SubscribeReactor(const ServiceContext& services, grpc::CallbackServerContext* context)
      : QueuedWriter(kMaxQueuedUpdates), dispatcher_(services.dispatcher) {
    auto principal = services.auth->Require(*context, Role::kResponder);
    if (!principal.ok()) {
      End(ToGrpcStatus(principal.status()));
      return;
    }
    responder_id_ = principal->subject;
    dispatcher_->Connect(responder_id_, this);
  }

  void Send(mayday::v1::ResponderUpdate update) override { Push(std::move(update)); }

  void Replace() override {
    End(grpc::Status(grpc::StatusCode::ABORTED,
                     "a newer Subscribe stream of this responder replaced this one"));
  }

 private:
  void OnStreamDone() override {
    if (!responder_id_.empty()) dispatcher_->Disconnect(responder_id_, this);
  }

  Dispatcher* const dispatcher_;
  std::string responder_id_;  // empty if the call was refused
};

class ReportLocationReactor : public grpc::ServerReadReactor<mayday::v1::ReportLocationRequest> {
 public:
  ReportLocationReactor(const ServiceContext& services, grpc::CallbackServerContext* context,
                        mayday::v1::ReportLocationResponse* response)
      : dispatcher_(services.dispatcher), positions_(services.positions), response_(response) {
    auto principal = services.auth->Require(*context, Role::kResponder);
    if (!principal.ok()) {
      Finish(ToGrpcStatus(principal.status()));
      return;
    }
    responder_id_ = principal->subject;
    StartRead(&request_);
  }

 private:
  void OnReadDone(bool ok) override {
    if (!ok) {  // the client closed its side (or the call broke)
      response_->set_accepted_count(accepted_);
      Finish(grpc::Status::OK);
      return;
    }
    absl::Status status =
        ValidateLocation("location", request_.location(), request_.has_location());
    if (!status.ok()) {
      Finish(ToGrpcStatus(status));
      return;
    }
    absl::StatusOr<std::string> on_case =
        dispatcher_->ReportPosition(responder_id_, request_.location());
    if (!on_case.ok()) {
      Finish(ToGrpcStatus(on_case.status()));
      return;
    }
    positions_->Record(responder_id_, request_.location(), *on_case);
    ++accepted_;
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

  Dispatcher* const dispatcher_;
  PositionLog* const positions_;
  mayday::v1::ReportLocationResponse* const response_;
  std::string responder_id_;
  mayday::v1::ReportLocationRequest request_;
  int64_t accepted_ = 0;
};

}  // namespace

grpc::ServerWriteReactor<mayday::v1::ResponderUpdate>* StartSubscribe(
    const ServiceContext& services, grpc::CallbackServerContext* context) {
  return new SubscribeReactor(services, context);
}

grpc::ServerReadReactor<mayday::v1::ReportLocationRequest>* StartReportLocation(
    const ServiceContext& services, grpc::CallbackServerContext* context,
    mayday::v1::ReportLocationResponse* response) {
  return new ReportLocationReactor(services, context, response);
}

}  // namespace mayday::server
