// A client stream of position reports taken where dispatch runs: a crew's
// ReportLocation (services/responder_streams_rpc.cc) and a fleet's
// ReportPositions (services/fleet_service.cc). The caller is checked for its
// role, counted against its stream cap and its token's session (a revoked
// token ends the stream); each message is applied in turn by Apply, whose
// error ends the stream with it; when the caller closes its side, the
// summary (how many were taken, how many had a fix time the server did not
// trust) is its answer. Take() is how either takes one position: as the
// crew's own report, to dispatch (held and coalesced there), its track and
// the members' crew watch.
#ifndef MAYDAY_SERVER_SERVICES_POSITION_UPLOAD_H_
#define MAYDAY_SERVER_SERVICES_POSITION_UPLOAD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dispatcher/dispatcher.h"
#include "grpcpp/grpcpp.h"
#include "responders/crew_watch.h"
#include "responders/position_log.h"
#include "rpc/status.h"
#include "rpc/stream_caps.h"
#include "services/service_context.h"

namespace mayday::server {

// Response has accepted_count, clock_off_count and device_clock_offset.
template <typename Request, typename Response>
class PositionUpload : public grpc::ServerReadReactor<Request>, public CappedStream {
 public:
  void Evict(absl::Status status) override { FinishOnce(ToGrpcStatus(status)); }

 protected:
  // Checks the caller (`role`; then `here`, WhereDispatch's status). The
  // derived class calls Start() last in its constructor: reads must not
  // reach Apply before it is constructed.
  PositionUpload(const ServiceContext& services, grpc::CallbackServerContext* context,
                 Response* response, const absl::Status& here, Role role, const char* call,
                 size_t cap)
      : dispatcher_(services.dispatcher),
        positions_(services.positions),
        crews_(services.crews),
        clock_(services.clock),
        streams_(services.streams),
        response_(response) {
    auto principal = services.auth->Require(*context, role);
    if (principal.ok() && !here.ok()) principal = here;
    if (!principal.ok()) {
      FinishOnce(ToGrpcStatus(principal.status()));
      return;
    }
    principal_ = *principal;
    stream_owner_ = absl::StrCat(call, " ", principal->Name());
    streams_->Open(stream_owner_, cap, this, call, principal->Name());
    session_.Open(services.sessions, *principal, this);
  }

  void Start() {
    absl::MutexLock lock(&mu_);
    if (!finished_) this->StartRead(&request_);
  }

  // Takes `request`; an error ends the stream with it.
  virtual absl::Status Apply(const Request& request) = 0;
  // Fills what the derived class adds to the summary (under the lock).
  virtual void Summarize(Response&) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {}

  // Takes `location` (checked already) as a report of `responder_id`
  // received at `now`, and counts it in the summary. Dispatch's refusal
  // otherwise (FAILED_PRECONDITION: the crew never went on duty).
  absl::Status Take(const std::string& responder_id, const mayday::v1::Location& location,
                    absl::Time now) {
    absl::StatusOr<Dispatcher::PositionReceipt> receipt =
        dispatcher_->ReportPosition(responder_id, location);
    if (!receipt.ok()) return receipt.status();
    positions_->Record(responder_id, location, receipt->on_case);
    crews_->Reported(responder_id, location, now);
    absl::MutexLock lock(&mu_);
    ++accepted_;
    if (receipt->device_clock_offset.has_value()) {
      ++clock_off_;
      clock_offset_ = *receipt->device_clock_offset;
    }
    return absl::OkStatus();
  }

  absl::Time Now() const { return clock_->Now(); }

  const Principal& principal() const { return principal_; }

 private:
  void OnReadDone(bool ok) override {
    if (!ok) {  // the caller closed its side (or the call broke)
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
      Summarize(*response_);
      FinishLocked(grpc::Status::OK);
      return;
    }
    if (absl::Status s = Apply(request_); !s.ok()) {
      FinishOnce(ToGrpcStatus(s));
      return;
    }
    absl::MutexLock lock(&mu_);
    if (!finished_) this->StartRead(&request_);
  }

  void FinishOnce(grpc::Status status) {
    absl::MutexLock lock(&mu_);
    FinishLocked(std::move(status));
  }

  void FinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    this->Finish(std::move(status));
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
  Response* const response_;
  Principal principal_;       // set once, in the constructor
  std::string stream_owner_;  // set once, in the constructor; empty if not counted
  TokenSessions::Ticket session_;
  Request request_;  // written by the one read in flight

 protected:
  absl::Mutex mu_;  // the summary's figures and the stream's end

 private:
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  int64_t accepted_ ABSL_GUARDED_BY(mu_) = 0;
  // Reports whose fix time was off, and the last one's offset.
  int64_t clock_off_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Duration clock_offset_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_SERVICES_POSITION_UPLOAD_H_
