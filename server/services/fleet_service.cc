// A fleet's feed of positions; see fleet_service.h.
#include "services/fleet_service.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/names.h"
#include "dispatcher/dispatcher.h"
#include "responders/crew_watch.h"
#include "responders/position_log.h"
#include "rpc/status.h"
#include "rpc/stream_caps.h"
#include "services/dispatch_relay.h"
#include "services/fleet_batch.h"

namespace mayday::server {
namespace {

class ReportPositionsReactor : public grpc::ServerReadReactor<mayday::v1::ReportPositionsRequest>,
                               public CappedStream {
 public:
  ReportPositionsReactor(const ServiceContext& services, grpc::CallbackServerContext* context,
                         mayday::v1::ReportPositionsResponse* response, const absl::Status& here)
      : dispatcher_(services.dispatcher),
        positions_(services.positions),
        crews_(services.crews),
        clock_(services.clock),
        streams_(services.streams),
        response_(response) {
    auto principal = services.auth->Require(*context, Role::kFleet);
    if (principal.ok() && !here.ok()) principal = here;
    if (!principal.ok()) {
      FinishOnce(ToGrpcStatus(principal.status()));
      return;
    }
    fleet_ = principal->subject;
    stream_owner_ = absl::StrCat("ReportPositions ", principal->Name());
    streams_->Open(stream_owner_, services.stream_caps.report_positions_per_fleet, this,
                   "ReportPositions", principal->Name());
    session_.Open(services.sessions, *principal, this);
    absl::MutexLock lock(&mu_);
    if (!finished_) StartRead(&request_);
  }

  void Evict(absl::Status status) override { FinishOnce(ToGrpcStatus(status)); }

 private:
  void OnReadDone(bool ok) override {
    if (!ok) {  // the feed closed its side (or the call broke)
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      response_->set_accepted_count(accepted_);
      response_->set_skipped_count(skipped_);
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
    StartRead(&request_);
  }

  // Checks the batch just read whole, then takes each position as a
  // crew's own report.
  absl::Status Apply() {
    if (absl::Status s = CheckFleetBatch(fleet_, request_); !s.ok()) return s;
    int64_t accepted = 0, skipped = 0, clock_off = 0;
    std::optional<absl::Duration> offset;
    const absl::Time now = clock_->Now();
    for (const mayday::v1::FleetPosition& position : request_.positions()) {
      const std::string id = ResponderIdFromName(position.responder());
      absl::StatusOr<Dispatcher::PositionReceipt> receipt =
          dispatcher_->ReportPosition(id, position.location());
      if (!receipt.ok()) {
        // Only a crew dispatch does not know (never on duty) is refused
        // here: a feed reports every vehicle.
        if (!absl::IsFailedPrecondition(receipt.status())) return receipt.status();
        ++skipped;
        continue;
      }
      positions_->Record(id, position.location(), receipt->on_case);
      crews_->Reported(id, position.location(), now);
      ++accepted;
      if (receipt->device_clock_offset.has_value()) {
        ++clock_off;
        offset = receipt->device_clock_offset;
      }
    }
    absl::MutexLock lock(&mu_);
    accepted_ += accepted;
    skipped_ += skipped;
    clock_off_ += clock_off;
    if (offset.has_value()) clock_offset_ = *offset;
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
  mayday::v1::ReportPositionsResponse* const response_;
  std::string fleet_;
  std::string stream_owner_;  // set once, in the constructor; empty if not counted
  TokenSessions::Ticket session_;
  mayday::v1::ReportPositionsRequest request_;  // written by the one read in flight
  absl::Mutex mu_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  int64_t accepted_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t skipped_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t clock_off_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Duration clock_offset_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

grpc::ServerReadReactor<mayday::v1::ReportPositionsRequest>* FleetServiceImpl::ReportPositions(
    grpc::CallbackServerContext* context, mayday::v1::ReportPositionsResponse* response) {
  absl::StatusOr<DispatchSite> site = services_.WhereDispatch(*context);
  if (site.ok() && *site == DispatchSite::kRelay) {
    return RelayReportPositions(services_, context, response);
  }
  return new ReportPositionsReactor(services_, context, response, site.status());
}

}  // namespace mayday::server
