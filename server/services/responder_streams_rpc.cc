// ResponderService's streaming calls; see responder_streams_rpc.h.
#include "services/responder_streams_rpc.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "rpc/queued_writer.h"
#include "rpc/status.h"
#include "rpc/validation.h"
#include "services/position_upload.h"

namespace mayday::server {
namespace {

// A crew's stream carries few messages; falling this far behind means the
// connection is dead or hopeless, and the crew reconnects.
constexpr size_t kMaxQueuedUpdates = 256;

// Connect and Disconnect take the dispatcher's lock, which dispatch holds
// across its commits, so they run on the server's call threads
// (rpc/call_pool.h), never on gRPC's: Disconnect after Connect has run, and
// the reactor is deleted only after Disconnect, so that the dispatcher never
// holds a deleted channel.
class SubscribeReactor : public QueuedWriter<mayday::v1::ResponderUpdate>,
                         public ResponderChannel,
                         public CappedStream {
 public:
  SubscribeReactor(const ServiceContext& services, grpc::CallbackServerContext* context,
                   const absl::Status& here)
      : QueuedWriter(kMaxQueuedUpdates), dispatcher_(services.dispatcher), calls_(services.calls) {
    auto principal = services.auth->Require(*context, Role::kResponder);
    if (principal.ok() && !here.ok()) principal = here;
    if (!principal.ok()) {
      connected_.Notify();
      End(ToGrpcStatus(principal.status()));
      return;
    }
    responder_id_ = principal->subject;
    session_.Open(services.sessions, *principal, this);
    calls_->Run([this] {
      dispatcher_->Connect(responder_id_, this);
      SendHeaders();        // attached: offers made from now on reach this stream
      connected_.Notify();  // last: OnDone may delete this reactor after it
    });
  }

  void Send(mayday::v1::ResponderUpdate update) override { Push(std::move(update)); }

  void Evict(absl::Status status) override { EndNow(ToGrpcStatus(status)); }

  void Replace() override {
    End(grpc::Status(grpc::StatusCode::ABORTED,
                     "a newer Subscribe stream of this responder replaced this one"));
  }

 private:
  void OnDone() override {
    session_.Close();
    calls_->Run([this] {
      connected_.WaitForNotification();  // started before this, by the pool's order
      if (!responder_id_.empty()) dispatcher_->Disconnect(responder_id_, this);
      delete this;
    });
  }

  Dispatcher* const dispatcher_;
  CallPool* const calls_;
  std::string responder_id_;  // empty if the call was refused
  TokenSessions::Ticket session_;
  absl::Notification connected_;  // Connect has returned (or was never called)
};

// Reads a crew's reports one at a time. It may also be ended from another
// thread (StreamCaps::Open when the crew opens one stream too many), so
// finishing goes through mu_: Finish() is called once, and a read that
// completes after it is not acted on.
// A crew's positions, each checked, then reported to dispatch (held and
// coalesced there), its track and the members' crew watch.
class ReportLocationReactor
    : public PositionUpload<mayday::v1::ReportLocationRequest, mayday::v1::ReportLocationResponse> {
 public:
  ReportLocationReactor(const ServiceContext& services, grpc::CallbackServerContext* context,
                        mayday::v1::ReportLocationResponse* response, const absl::Status& here)
      : PositionUpload(services, context, response, here, Role::kResponder, "ReportLocation",
                       services.stream_caps.report_location_per_responder) {
    Start();
  }

 private:
  absl::Status Apply(const mayday::v1::ReportLocationRequest& request) override {
    absl::Status status = ValidateLocation("location", request.location(), request.has_location());
    if (!status.ok()) return status;
    return Take(principal().subject, request.location(), Now());
  }
};

}  // namespace

grpc::ServerWriteReactor<mayday::v1::ResponderUpdate>* StartSubscribe(
    const ServiceContext& services, grpc::CallbackServerContext* context,
    const absl::Status& here) {
  return new SubscribeReactor(services, context, here);
}

grpc::ServerReadReactor<mayday::v1::ReportLocationRequest>* StartReportLocation(
    const ServiceContext& services, grpc::CallbackServerContext* context,
    mayday::v1::ReportLocationResponse* response, const absl::Status& here) {
  return new ReportLocationReactor(services, context, response, here);
}

}  // namespace mayday::server
