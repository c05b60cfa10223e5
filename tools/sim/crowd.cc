// Thousands of simulated crews on callback streams; see crowd.h.
#include "sim/crowd.h"

#include <atomic>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "mayday/v1/responder_service.grpc.pb.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;

// Deadline of SetDuty and AcceptOffer.
constexpr absl::Duration kCallTimeout = absl::Seconds(30);
// How often the pacing thread looks for reports that are due.
constexpr absl::Duration kTick = absl::Milliseconds(5);
// How far a crew wanders between reports (it patrols near its start).
constexpr double kWanderMeters = 200;

class CrowdImpl;

// One crew's ReportLocation stream. Writes start from the pacing thread (or,
// back to back, from OnWriteDone); a hold keeps the call open between them.
class Reporter final : public grpc::ClientWriteReactor<v1::ReportLocationRequest> {
 public:
  Reporter(v1::ResponderService::Stub* stub, const std::string& token, LatLng home, uint64_t seed,
           bool back_to_back)
      : home_(home), random_(seed), back_to_back_(back_to_back) {
    PrepareContext(&context_, token, absl::InfiniteDuration());
    stub->async()->ReportLocation(&context_, &response_, this);
    AddHold();
    StartCall();
  }

  // Starts one report unless the previous one is still being written.
  // false if the stream has ended.
  bool Report() {
    if (ended_) return false;
    if (writing_.exchange(true)) return true;
    Write();
    return true;
  }

  // The first report is written (or the stream failed).
  void WaitFirst() { first_written_.WaitForNotification(); }
  bool failed() const { return ended_; }

  // Ends the stream once the write in flight is done; waits for the server's
  // answer: reports it accepted, or the call's error.
  absl::StatusOr<int64_t> Finish() {
    stopping_ = true;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Reporter* r) { return !r->writing_.load() || r->ended_.load(); }, this));
      if (!ended_) {
        StartWritesDone();
      }
    }
    RemoveHold();
    done_.WaitForNotification();
    if (!status_.ok()) return FromGrpc(status_);
    return response_.accepted_count();
  }

  void OnWriteDone(bool ok) override {
    if (!first_written_.HasBeenNotified()) first_written_.Notify();
    if (!ok) {
      ended_ = true;
      absl::MutexLock lock(&mu_);
      writing_ = false;
      return;
    }
    if (back_to_back_ && !stopping_) {
      Write();
      return;
    }
    absl::MutexLock lock(&mu_);
    writing_ = false;
  }

  void OnDone(const grpc::Status& status) override {
    status_ = status;
    ended_ = true;
    if (!first_written_.HasBeenNotified()) first_written_.Notify();
    done_.Notify();
  }

 private:
  void Write() {
    const LatLng at = RandomPointWithin(home_, kWanderMeters, random_);
    v1::Location* location = request_.mutable_location();
    location->set_latitude(at.latitude);
    location->set_longitude(at.longitude);
    location->set_horizontal_accuracy_meters(8);
    StartWrite(&request_);
  }

  grpc::ClientContext context_;
  v1::ReportLocationRequest request_;
  v1::ReportLocationResponse response_;
  const LatLng home_;
  std::mt19937_64 random_;
  const bool back_to_back_;
  std::atomic<bool> writing_ = false, ended_ = false, stopping_ = false;
  absl::Mutex mu_;
  absl::Notification first_written_, done_;
  grpc::Status status_;
};

// One crew's Subscribe stream: hands every offer to the crowd.
class Listener final : public grpc::ClientReadReactor<v1::ResponderUpdate> {
 public:
  Listener(v1::ResponderService::Stub* stub, const std::string& token, CrowdImpl* crowd, int crew)
      : crowd_(crowd), crew_(crew) {
    PrepareContext(&context_, token, absl::InfiniteDuration());
    stub->async()->Subscribe(&context_, &request_, this);
    StartRead(&update_);
    StartCall();
  }

  void OnReadDone(bool ok) override;

  void OnDone(const grpc::Status&) override { done_.Notify(); }

  void Cancel() {
    context_.TryCancel();
    done_.WaitForNotification();
  }

 private:
  grpc::ClientContext context_;
  v1::SubscribeRequest request_;
  v1::ResponderUpdate update_;
  CrowdImpl* const crowd_;
  const int crew_;
  absl::Notification done_;
};

class CrowdImpl final : public Crowd {
 public:
  CrowdImpl(const CrowdOptions& options,
            const std::shared_ptr<grpc::ChannelCredentials>& credentials)
      : options_(options) {
    for (int i = 0; i < options.connections; ++i) {
      grpc::ChannelArguments args = ChannelArgumentsFor(options.server);
      args.SetInt("mayday.crowd.connection", i);  // one connection per stub
      stubs_.push_back(v1::ResponderService::NewStub(
          grpc::CreateCustomChannel(options.server.address, credentials, args)));
    }
  }

  ~CrowdImpl() override {
    if (!stopped_) (void)Stop();
  }

  absl::Status Begin() {
    const int n = static_cast<int>(options_.tokens.size());
    std::mt19937_64 random(options_.seed);
    for (int i = 0; i < n; ++i) {
      homes_.push_back(RandomPointWithin(options_.center, options_.radius_meters, random));
    }
    // On duty, all at once.
    {
      absl::BlockingCounter on_duty(n);
      for (int i = 0; i < n; ++i) {
        struct Call {
          grpc::ClientContext context;
          v1::SetDutyRequest request;
          v1::Responder reply;
        };
        auto* call = new Call;
        PrepareContext(&call->context, options_.tokens[i], kCallTimeout);
        call->request.set_on_duty(true);
        call->request.add_capabilities(i % 2 == 0 ? v1::CAPABILITY_TOW : v1::CAPABILITY_AMBULANCE);
        stub(i)->async()->SetDuty(&call->context, &call->request, &call->reply,
                                  [this, call, &on_duty](grpc::Status status) {
                                    if (!status.ok()) NoteError("SetDuty", status);
                                    delete call;
                                    on_duty.DecrementCount();
                                  });
      }
      on_duty.Wait();
    }
    if (auto s = FirstError(); !s.ok()) return s;
    for (int i = 0; i < n; ++i) {
      listeners_.push_back(std::make_unique<Listener>(stub(i), options_.tokens[i], this, i));
      reporters_.push_back(std::make_unique<Reporter>(
          stub(i), options_.tokens[i], homes_[i], options_.seed * 1'000'003 + i,
          options_.report_period == absl::ZeroDuration()));
    }
    // Everyone's first position, then the pace.
    for (auto& r : reporters_) r->Report();
    for (auto& r : reporters_) r->WaitFirst();
    for (auto& r : reporters_) {
      if (r->failed()) return absl::UnavailableError("a crew's ReportLocation stream failed");
    }
    if (options_.report_period > absl::ZeroDuration()) {
      pacer_ = std::thread([this] { Pace(); });
    }
    return absl::OkStatus();
  }

  std::vector<OfferArrival> TakeOffers() override {
    absl::MutexLock lock(&mu_);
    std::vector<OfferArrival> taken;
    taken.swap(offers_);
    return taken;
  }
  int64_t accepted() const override { return accepted_; }
  int64_t accept_failures() const override { return accept_failures_; }

  absl::StatusOr<int64_t> Stop() override {
    stopped_ = true;
    stop_pacing_.Notify();
    if (pacer_.joinable()) pacer_.join();
    int64_t accepted_reports = 0;
    absl::Status first_error;
    for (auto& r : reporters_) {
      absl::StatusOr<int64_t> count = r->Finish();
      if (count.ok()) {
        accepted_reports += *count;
      } else if (first_error.ok()) {
        first_error = count.status();
      }
    }
    for (auto& l : listeners_) l->Cancel();
    // Acceptances still in flight hold `this`.
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](CrowdImpl* c) ABSL_NO_THREAD_SAFETY_ANALYSIS { return c->accepts_in_flight_ == 0; },
        this));
    if (!first_error.ok()) return first_error;
    return accepted_reports;
  }

  void OfferArrived(int crew, const v1::Offer& offer) {
    const absl::Time now = absl::Now();
    {
      absl::MutexLock lock(&mu_);
      offers_.push_back(OfferArrival{offer.case_(), now});
      if (!options_.accept_offers || stopped_) return;
      ++accepts_in_flight_;
    }
    struct Call {
      grpc::ClientContext context;
      v1::AcceptOfferRequest request;
      v1::Case reply;
    };
    auto* call = new Call;
    PrepareContext(&call->context, options_.tokens[crew], kCallTimeout);
    call->request.set_case_(offer.case_());
    stub(crew)->async()->AcceptOffer(&call->context, &call->request, &call->reply,
                                     [this, call](grpc::Status status) {
                                       delete call;
                                       if (status.ok()) {
                                         ++accepted_;
                                       } else {
                                         ++accept_failures_;
                                       }
                                       absl::MutexLock lock(&mu_);
                                       --accepts_in_flight_;
                                     });
  }

 private:
  v1::ResponderService::Stub* stub(int crew) { return stubs_[crew % stubs_.size()].get(); }

  // Each crew reports once per period, the crews spread evenly over it.
  void Pace() {
    const int n = static_cast<int>(reporters_.size());
    const absl::Duration period = options_.report_period;
    const absl::Time start = absl::Now();
    int64_t next = 0;  // reports started so far, over all crews
    while (!stop_pacing_.WaitForNotificationWithTimeout(kTick)) {
      const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
      const int64_t due = static_cast<int64_t>(elapsed / absl::ToDoubleSeconds(period) * n);
      for (; next < due; ++next) reporters_[next % n]->Report();
    }
  }

  void NoteError(const char* what, const grpc::Status& status) {
    absl::MutexLock lock(&mu_);
    if (first_error_.ok()) {
      first_error_ =
          absl::UnavailableError(absl::StrCat(what, " failed: ", DescribeStatus(FromGrpc(status))));
    }
  }
  absl::Status FirstError() {
    absl::MutexLock lock(&mu_);
    return first_error_;
  }

  const CrowdOptions options_;
  std::vector<std::unique_ptr<v1::ResponderService::Stub>> stubs_;
  std::vector<LatLng> homes_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<std::unique_ptr<Reporter>> reporters_;
  std::thread pacer_;
  absl::Notification stop_pacing_;
  std::atomic<bool> stopped_ = false;
  std::atomic<int64_t> accepted_ = 0, accept_failures_ = 0;
  absl::Mutex mu_;
  std::vector<OfferArrival> offers_ ABSL_GUARDED_BY(mu_);
  int accepts_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status first_error_ ABSL_GUARDED_BY(mu_);
};

void Listener::OnReadDone(bool ok) {
  if (!ok) return;  // the stream ended; OnDone follows
  if (update_.has_offer()) crowd_->OfferArrived(crew_, update_.offer());
  StartRead(&update_);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Crowd>> Crowd::Start(const CrowdOptions& options) {
  if (options.tokens.empty()) return absl::InvalidArgumentError("no responder tokens");
  if (options.connections < 1) return absl::InvalidArgumentError("connections must be at least 1");
  if (options.report_period < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the report period must not be negative");
  }
  auto credentials = ChannelCredentialsFor(options.server);
  if (!credentials.ok()) return credentials.status();
  auto crowd = std::make_unique<CrowdImpl>(options, *credentials);
  if (auto s = crowd->Begin(); !s.ok()) return s;
  return crowd;
}

}  // namespace mayday::tools
