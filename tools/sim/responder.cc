// The state machine of one simulated responder: Idle -> Offered (waiting
// accept_delay) -> Driving (drive_time) -> OnScene (on_scene_time) -> Idle.
#include "sim/responder.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "maydayctl/format.h"
#include "maydayctl/rpc.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;

constexpr absl::Duration kInitialBackoff = absl::Seconds(1);
// As the SDK's default: a crew whose server was away for a while (a
// database failover takes about 10 s) is back within 5 s of its return.
// With 30 s, the chaos test (tools/chaos.sh) measured up to 39 s from a
// PostgreSQL primary's loss to the next offer.
constexpr absl::Duration kMaxBackoff = absl::Seconds(5);
// When a call fails with a transient error, try again this much later.
constexpr absl::Duration kRetryDelay = absl::Seconds(1);
constexpr absl::Duration kOffDutyTimeout = absl::Seconds(2);

bool IsTransient(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

bool IsClosed(v1::CaseState state) {
  return state == v1::CASE_STATE_RESOLVED || state == v1::CASE_STATE_CANCELLED;
}

}  // namespace

void SimLog::Line(absl::string_view who, absl::string_view what) {
  absl::MutexLock lock(&mu_);
  *out_ << who << ": " << what << std::endl;
}

SimResponder::SimResponder(const std::shared_ptr<grpc::Channel>& channel, SimResponderSpec spec,
                           LatLng start, SimBehavior behavior, std::string label, SimLog* log)
    : stub_(v1::ResponderService::NewStub(channel)),
      spec_(std::move(spec)),
      behavior_(behavior),
      log_(log),
      label_(std::move(label)),
      position_(start) {}

absl::Status SimResponder::Run() {
  if (absl::Status status = GoOnDuty(/*again=*/false); !status.ok()) return status;
  std::thread reader([this] { ReadUpdates(); });
  Simulate();
  reader.join();
  if (location_writer_ != nullptr) {
    location_context_->TryCancel();
    location_writer_->Finish();
  }
  GoOffDuty();
  return absl::OkStatus();
}

void SimResponder::Stop() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  if (subscribe_context_ != nullptr) subscribe_context_->TryCancel();
}

std::unique_ptr<grpc::ClientContext> SimResponder::UnaryContext() const {
  auto context = std::make_unique<grpc::ClientContext>();
  PrepareContext(context.get(), spec_.token, behavior_.call_timeout);
  return context;
}

bool SimResponder::SleepUnlessStopped(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopping_), timeout);
  return stopping_;
}

absl::Status SimResponder::GoOnDuty(bool again) {
  v1::SetDutyRequest request;
  request.set_on_duty(true);
  request.add_capabilities(spec_.capability);
  absl::Duration backoff = kInitialBackoff;
  while (true) {
    v1::Responder responder;
    const absl::Status status = FromGrpc(stub_->SetDuty(UnaryContext().get(), request, &responder));
    if (status.ok() && again) {
      log_->Line(label_, absl::StrCat("back on duty (", CapabilityName(spec_.capability), ")"));
      return absl::OkStatus();
    }
    if (status.ok()) {
      label_ = std::string(absl::StripPrefix(responder.name(), "responders/"));
      log_->Line(label_, absl::StrCat("on duty (", CapabilityName(spec_.capability), ") at ",
                                      FormatLocation(ToLocation(position_))));
      return absl::OkStatus();
    }
    if (!IsTransient(status)) {
      log_->Line(label_, absl::StrCat("cannot go on duty: ", DescribeStatus(status)));
      return status;
    }
    log_->Line(label_, absl::StrCat("server not reachable (", DescribeStatus(status),
                                    "); retrying in ", HumanDuration(backoff)));
    if (SleepUnlessStopped(backoff)) return absl::OkStatus();
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

void SimResponder::ReadUpdates() {
  absl::Duration backoff = kInitialBackoff;
  while (true) {
    std::unique_ptr<grpc::ClientReader<v1::ResponderUpdate>> reader;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      subscribe_context_ = std::make_unique<grpc::ClientContext>();
      PrepareContext(subscribe_context_.get(), spec_.token, absl::ZeroDuration());
      reader = stub_->Subscribe(subscribe_context_.get(), v1::SubscribeRequest());
    }
    v1::ResponderUpdate update;
    while (reader->Read(&update)) {
      backoff = kInitialBackoff;
      absl::MutexLock lock(&mu_);
      updates_.push_back(std::move(update));
      update = v1::ResponderUpdate();
    }
    const absl::Status status = FromGrpc(reader->Finish());
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    log_->Line(label_, absl::StrCat("offer stream ended (", DescribeStatus(status),
                                    "); reconnecting in ", HumanDuration(backoff)));
    if (SleepUnlessStopped(backoff)) return;
    backoff = std::min(backoff * 2, kMaxBackoff);
    // A restarted server knows no duty and no position: without them the
    // crew would be subscribed but never offered anything.
    Rejoin();
  }
}

void SimResponder::Rejoin() {
  const absl::Status status = GoOnDuty(/*again=*/true);
  if (!status.ok()) return;  // logged; the next broken stream tries again
  absl::MutexLock lock(&mu_);
  rejoined_ = true;
}

void SimResponder::Simulate() {
  absl::Time next_report = absl::Now();
  while (true) {
    std::deque<v1::ResponderUpdate> updates;
    bool rejoin = false;
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithDeadline(absl::Condition(this, &SimResponder::HasWork),
                            std::min(next_report, phase_deadline_));
      if (stopping_) return;
      updates.swap(updates_);
      if (rejoined_) {
        rejoined_ = false;
        next_report = absl::Now();  // report now
        rejoin = true;
      }
    }
    if (rejoin) RestartReports();
    for (const v1::ResponderUpdate& update : updates) Handle(update);
    const absl::Time now = absl::Now();
    Advance(now);
    if (now >= next_report) {
      ReportPosition(now);
      next_report = std::max(next_report + behavior_.report_period, now);
    }
  }
}

void SimResponder::Handle(const v1::ResponderUpdate& update) {
  switch (update.update_case()) {
    case v1::ResponderUpdate::kOffer:
      HandleOffer(update.offer());
      break;
    case v1::ResponderUpdate::kOfferWithdrawn:
      if (phase_ == Phase::kOffered && case_ == update.offer_withdrawn()) {
        Free(absl::StrCat("offer for ", case_, " withdrawn"));
      }
      break;
    case v1::ResponderUpdate::kAssignment:
      HandleAssignment(update.assignment());
      break;
    case v1::ResponderUpdate::kCaseEvent:
      HandleCaseEvent(update.case_event());
      break;
    case v1::ResponderUpdate::UPDATE_NOT_SET:
      break;
  }
}

void SimResponder::HandleOffer(const v1::Offer& offer) {
  if (phase_ != Phase::kIdle && offer.case_() == case_) return;  // Re-sent.
  const std::string what =
      absl::StrCat("offered ", offer.case_(), " (", FormatDistance(offer.distance_meters()), ")");
  ++offers_seen_;
  const bool decline = phase_ != Phase::kIdle ||
                       (behavior_.decline_every > 0 && offers_seen_ % behavior_.decline_every == 0);
  if (decline) {
    log_->Line(label_, absl::StrCat(what, " -> declining"));
    v1::DeclineOfferRequest request;
    request.set_case_(offer.case_());
    v1::DeclineOfferResponse response;
    const absl::Status status =
        FromGrpc(stub_->DeclineOffer(UnaryContext().get(), request, &response));
    if (!status.ok()) {
      log_->Line(label_,
                 absl::StrCat("decline ", offer.case_(), " failed: ", DescribeStatus(status)));
    }
    return;
  }
  log_->Line(label_, absl::StrCat(what, " -> accepting"));
  phase_ = Phase::kOffered;
  case_ = offer.case_();
  target_ = FromLocation(offer.location());
  phase_deadline_ = absl::Now() + behavior_.accept_delay;
}

void SimResponder::HandleAssignment(const v1::Case& assigned) {
  // Sent on acceptance (we already act on AcceptOffer's answer) and on
  // reconnect; only an assignment we do not know about needs resuming.
  if (phase_ != Phase::kIdle && assigned.name() == case_) return;
  if (phase_ != Phase::kIdle || IsClosed(assigned.state())) return;
  log_->Line(label_,
             absl::StrCat("resuming ", assigned.name(), " (", StateName(assigned.state()), ")"));
  case_ = assigned.name();
  target_ = FromLocation(assigned.location());
  const absl::Time now = absl::Now();
  if (assigned.state() == v1::CASE_STATE_ON_SCENE) {
    position_ = target_;
    phase_ = Phase::kOnScene;
    phase_deadline_ = now + behavior_.on_scene_time;
  } else if (assigned.state() == v1::CASE_STATE_EN_ROUTE) {
    StartDrive(now);
  } else {
    phase_ = Phase::kAccepted;
    phase_deadline_ = now;
  }
}

void SimResponder::HandleCaseEvent(const v1::CaseEvent& event) {
  if (phase_ == Phase::kIdle || event.case_() != case_) return;
  if (event.has_cancelled() || IsClosed(event.state())) {
    Free(absl::StrCat(case_, " ", StateName(event.state())));
    return;
  }
  if (event.has_location_updated()) {
    const absl::Time now = absl::Now();
    if (phase_ == Phase::kDriving) {
      drive_from_ = PositionAt(now);
      drive_start_ = now;
    }
    target_ = FromLocation(event.location_updated().location());
    log_->Line(label_, absl::StrCat(case_, ": member moved, heading to ",
                                    FormatLocation(ToLocation(target_))));
  }
}

void SimResponder::Advance(absl::Time now) {
  // Each pass either moves the deadline into the future or changes phase.
  while (phase_ != Phase::kIdle && now >= phase_deadline_) {
    switch (phase_) {
      case Phase::kOffered: {
        v1::AcceptOfferRequest request;
        request.set_case_(case_);
        v1::Case accepted;
        const absl::Status status =
            FromGrpc(stub_->AcceptOffer(UnaryContext().get(), request, &accepted));
        if (IsTransient(status)) {
          phase_deadline_ = now + kRetryDelay;
        } else if (!status.ok()) {
          Free(absl::StrCat("accept ", case_, " failed: ", DescribeStatus(status)));
        } else {
          log_->Line(label_, absl::StrCat("accepted ", case_));
          if (accepted.has_location()) {
            target_ = FromLocation(accepted.location());
          }
          phase_ = Phase::kAccepted;
          phase_deadline_ = now;
        }
        break;
      }
      case Phase::kAccepted:
        if (Step(v1::CASE_STATE_EN_ROUTE, now)) {
          log_->Line(label_, absl::StrCat("EN_ROUTE ", case_, " (",
                                          FormatDistance(DistanceMeters(position_, target_)), ")"));
          StartDrive(now);
        }
        break;
      case Phase::kDriving:
        if (Step(v1::CASE_STATE_ON_SCENE, now)) {
          log_->Line(label_, absl::StrCat("ON_SCENE ", case_));
          position_ = target_;
          phase_ = Phase::kOnScene;
          phase_deadline_ = now + behavior_.on_scene_time;
        }
        break;
      case Phase::kOnScene:
        if (Step(v1::CASE_STATE_RESOLVED, now)) {
          log_->Line(label_, absl::StrCat("RESOLVED ", case_));
          Free("available");
        }
        break;
      case Phase::kIdle:
        break;
    }
  }
}

void SimResponder::StartDrive(absl::Time now) {
  phase_ = Phase::kDriving;
  drive_from_ = position_;
  drive_start_ = now;
  drive_end_ = now + behavior_.drive_time;
  phase_deadline_ = drive_end_;
}

bool SimResponder::Step(v1::CaseState state, absl::Time now) {
  v1::UpdateProgressRequest request;
  request.set_case_(case_);
  request.set_state(state);
  v1::Case updated;
  const absl::Status status =
      FromGrpc(stub_->UpdateProgress(UnaryContext().get(), request, &updated));
  if (status.ok()) return true;
  const std::string what =
      absl::StrCat(StateName(state), " ", case_, " failed: ", DescribeStatus(status));
  if (IsTransient(status)) {
    log_->Line(label_, absl::StrCat(what, "; retrying"));
    phase_deadline_ = now + kRetryDelay;
  } else {
    Free(what);
  }
  return false;
}

void SimResponder::Free(absl::string_view why) {
  if (phase_ == Phase::kDriving) position_ = PositionAt(absl::Now());
  if (why == "available") {
    log_->Line(label_, "available again");
  } else {
    log_->Line(label_, absl::StrCat(why, " -> available again"));
  }
  phase_ = Phase::kIdle;
  case_.clear();
  phase_deadline_ = absl::InfiniteFuture();
}

LatLng SimResponder::PositionAt(absl::Time now) const {
  if (phase_ != Phase::kDriving) return position_;
  const absl::Duration total = drive_end_ - drive_start_;
  if (total <= absl::ZeroDuration()) return target_;
  return Interpolate(drive_from_, target_, absl::FDivDuration(now - drive_start_, total));
}

void SimResponder::ReportPosition(absl::Time now) {
  const LatLng position = PositionAt(now);
  if (now < next_location_try_) return;
  if (location_writer_ == nullptr) {
    location_context_ = std::make_unique<grpc::ClientContext>();
    PrepareContext(location_context_.get(), spec_.token, absl::ZeroDuration());
    location_writer_ = stub_->ReportLocation(location_context_.get(), &location_response_);
  }
  v1::ReportLocationRequest request;
  *request.mutable_location() = ToLocation(position);
  if (location_writer_->Write(request)) {
    location_backoff_ = kInitialBackoff;
    return;
  }
  const absl::Status status = FromGrpc(location_writer_->Finish());
  location_writer_.reset();
  log_->Line(label_, absl::StrCat("location stream ended (", DescribeStatus(status),
                                  "); reopening in ", HumanDuration(location_backoff_)));
  next_location_try_ = now + location_backoff_;
  location_backoff_ = std::min(location_backoff_ * 2, kMaxBackoff);
}

void SimResponder::RestartReports() {
  // The old stream died with the server, or was refused before the duty was
  // back ("call SetDuty before reporting positions").
  if (location_writer_ != nullptr) {
    location_context_->TryCancel();
    location_writer_->Finish();
    location_writer_.reset();
  }
  next_location_try_ = absl::InfinitePast();
  location_backoff_ = kInitialBackoff;
}

void SimResponder::GoOffDuty() {
  v1::SetDutyRequest request;
  request.set_on_duty(false);
  v1::Responder responder;
  grpc::ClientContext context;
  PrepareContext(&context, spec_.token, kOffDutyTimeout);
  const absl::Status status = FromGrpc(stub_->SetDuty(&context, request, &responder));
  log_->Line(label_, status.ok() ? std::string("off duty")
                                 : absl::StrCat("off duty failed: ", DescribeStatus(status)));
}

}  // namespace mayday::tools
