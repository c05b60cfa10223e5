// ResponderService's streaming calls; see responder_streams_rpc.h.
#include "services/responder_streams_rpc.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "rpc/queued_writer.h"
#include "rpc/status.h"
#include "rpc/validation.h"

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
class ReportLocationReactor : public grpc::ServerReadReactor<mayday::v1::ReportLocationRequest>,
                              public CappedStream {
 public:
  ReportLocationReactor(const ServiceContext& services, grpc::CallbackServerContext* context,
                        mayday::v1::ReportLocationResponse* response, const absl::Status& here)
      : dispatcher_(services.dispatcher),
        positions_(services.positions),
        crews_(services.crews),
        clock_(services.clock),
        streams_(services.streams),
        response_(response) {
    auto principal = services.auth->Require(*context, Role::kResponder);
    if (principal.ok() && !here.ok()) principal = here;
    if (!principal.ok()) {
      FinishOnce(ToGrpcStatus(principal.status()));
      return;
    }
    responder_id_ = principal->subject;
    stream_owner_ = absl::StrCat("ReportLocation ", principal->Name());
    streams_->Open(stream_owner_, services.stream_caps.report_location_per_responder, this,
                   "ReportLocation", principal->Name());
    session_.Open(services.sessions, *principal, this);
    absl::MutexLock lock(&mu_);
    if (!finished_) StartRead(&request_);
  }

  void Evict(absl::Status status) override { FinishOnce(ToGrpcStatus(status)); }

 private:
  void OnReadDone(bool ok) override {
    if (!ok) {  // the client closed its side (or the call broke)
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      response_->set_accepted_count(accepted_);
      response_->set_clock_off_count(clock_off_);
      if (clock_off_ > 0) {
        absl::Duration rest;
        const int64_t seconds = absl::IDivDuration(clock_offset_, absl::Seconds(1), &rest);
        response_->mutable_device_clock_offset()->set_seconds(seconds);
        response_->mutable_device_clock_offset()->set_nanos(
            static_cast<int32_t>(absl::ToInt64Nanoseconds(rest)));
      }
      FinishLocked(grpc::Status::OK);
      return;
    }
    if (absl::Status s = Apply(); !s.ok()) {
      FinishOnce(ToGrpcStatus(s));
      return;
    }
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    ++accepted_;
    StartRead(&request_);
  }

  // Validates and records the report just read.
  absl::Status Apply() {
    absl::Status status =
        ValidateLocation("location", request_.location(), request_.has_location());
    if (!status.ok()) return status;
    absl::StatusOr<Dispatcher::PositionReceipt> receipt =
        dispatcher_->ReportPosition(responder_id_, request_.location());
    if (!receipt.ok()) return receipt.status();
    positions_->Record(responder_id_, request_.location(), receipt->on_case);
    crews_->Reported(responder_id_, request_.location(), clock_->Now());
    if (receipt->device_clock_offset.has_value()) {
      absl::MutexLock lock(&mu_);
      ++clock_off_;
      clock_offset_ = *receipt->device_clock_offset;
    }
    return absl::OkStatus();
  }

  void FinishOnce(grpc::Status status) {
    absl::MutexLock lock(&mu_);
    FinishLocked(std::move(status));
  }

  void FinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(std::move(status));
  }

  void OnDone() override {
    if (!stream_owner_.empty()) streams_->Close(stream_owner_, this);
    session_.Close();
    delete this;
  }

  Dispatcher* const dispatcher_;
  PositionLog* const positions_;
  CrewWatch* const crews_;
  const base::Clock* const clock_;
  StreamCaps* const streams_;
  mayday::v1::ReportLocationResponse* const response_;
  std::string responder_id_;
  std::string stream_owner_;  // set once, in the constructor; empty if not counted
  TokenSessions::Ticket session_;
  mayday::v1::ReportLocationRequest request_;  // written by the one read in flight
  absl::Mutex mu_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  int64_t accepted_ ABSL_GUARDED_BY(mu_) = 0;
  // Reports whose fix time was off, and the last one's offset.
  int64_t clock_off_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Duration clock_offset_ ABSL_GUARDED_BY(mu_);
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
