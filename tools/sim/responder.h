// One simulated responder of mayday-sim: goes on duty, reports its position
// every second on a ReportLocation stream, listens for offers on Subscribe,
// accepts them (or declines every Nth), drives to the member along the
// geodesic, goes ON_SCENE, RESOLVED, and is available again. A cancelled case
// or withdrawn offer frees it at once. When its Subscribe stream breaks (the
// network, or a restarted server, which keeps no duty), it goes on duty again
// and reports its position before it resubscribes, as a crew's app must.
// Real time: this is a demo and load tool, not a test double.
#ifndef MAYDAY_TOOLS_SIM_RESPONDER_H_
#define MAYDAY_TOOLS_SIM_RESPONDER_H_

#include <deque>
#include <memory>
#include <ostream>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "mayday/v1/responder_service.grpc.pb.h"
#include "sim/fleet.h"
#include "sim/geo.h"

namespace mayday::tools {

// How every simulated responder behaves.
struct SimBehavior {
  absl::Duration accept_delay = absl::Milliseconds(500);
  absl::Duration drive_time = absl::Seconds(3);
  absl::Duration on_scene_time = absl::Seconds(2);
  // Decline every Nth offer this responder receives; 0 never declines.
  int decline_every = 0;
  absl::Duration report_period = absl::Seconds(1);
  // Deadline of each unary call.
  absl::Duration call_timeout = absl::Seconds(10);
};

// Whole lines to a stream, from any thread, flushed at once (the demo tails
// them).
class SimLog {
 public:
  explicit SimLog(std::ostream* out) : out_(out) {}
  // Writes "<who>: <what>\n".
  void Line(absl::string_view who, absl::string_view what);

 private:
  absl::Mutex mu_;
  std::ostream* const out_ ABSL_GUARDED_BY(mu_);
};

// A simulated responder. Run() on its own thread; Stop() from any thread.
class SimResponder {
 public:
  // `label` names it in the log until the server tells its name. `log` must
  // outlive this object.
  SimResponder(const std::shared_ptr<grpc::Channel>& channel, SimResponderSpec spec, LatLng start,
               SimBehavior behavior, std::string label, SimLog* log);
  SimResponder(const SimResponder&) = delete;
  SimResponder& operator=(const SimResponder&) = delete;

  // Goes on duty (retrying while the server is UNAVAILABLE) and simulates
  // until Stop(), then goes off duty best-effort and returns OK. Returns the
  // error if going on duty fails otherwise (bad token, ...). Starts and joins
  // one extra thread for the Subscribe stream, which also puts the responder
  // back on duty whenever that stream broke.
  absl::Status Run();

  // Makes Run() wind down promptly. Idempotent.
  void Stop();

 private:
  // kOffered: AcceptOffer at the deadline. kAccepted: report EN_ROUTE.
  // kDriving: report ON_SCENE at the deadline. kOnScene: report RESOLVED.
  enum class Phase { kIdle, kOffered, kAccepted, kDriving, kOnScene };

  // SetDuty(on, capability), retrying transient errors with backoff until it
  // succeeds or Stop(); OK when stopped. `again`: the responder was on duty
  // before (the Subscribe thread calls it, so label_ is left alone).
  absl::Status GoOnDuty(bool again);
  // Subscribe thread, after its stream broke: back on duty, then asks the
  // simulation thread to report the position at once.
  void Rejoin();
  void ReadUpdates();
  void Simulate();
  void Handle(const mayday::v1::ResponderUpdate& update);
  void HandleOffer(const mayday::v1::Offer& offer);
  void HandleAssignment(const mayday::v1::Case& assigned);
  void HandleCaseEvent(const mayday::v1::CaseEvent& event);
  void Advance(absl::Time now);
  // Sends UpdateProgress for the current case. True on success; otherwise
  // schedules a retry (transient error) or frees the responder, and false.
  bool Step(mayday::v1::CaseState state, absl::Time now);
  void StartDrive(absl::Time now);
  void Free(absl::string_view why);
  LatLng PositionAt(absl::Time now) const;
  void ReportPosition(absl::Time now);
  void GoOffDuty();
  std::unique_ptr<grpc::ClientContext> UnaryContext() const;
  // Waits `timeout` or until Stop(); true if stopping.
  bool SleepUnlessStopped(absl::Duration timeout);
  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || !updates_.empty() || rejoined_;
  }
  // Simulation thread, after Rejoin: a fresh ReportLocation stream, now.
  void RestartReports();

  const std::unique_ptr<mayday::v1::ResponderService::Stub> stub_;
  const SimResponderSpec spec_;
  const SimBehavior behavior_;
  SimLog* const log_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<mayday::v1::ResponderUpdate> updates_ ABSL_GUARDED_BY(mu_);
  // Set by Rejoin, cleared by the simulation thread when it has reported.
  bool rejoined_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<grpc::ClientContext> subscribe_context_ ABSL_GUARDED_BY(mu_);

  // Set before the Subscribe thread starts, read-only afterwards.
  std::string label_;

  // Owned by the thread in Run().
  Phase phase_ = Phase::kIdle;
  std::string case_;
  LatLng position_;
  LatLng drive_from_;
  LatLng target_;
  absl::Time drive_start_;
  absl::Time drive_end_;
  absl::Time phase_deadline_ = absl::InfiniteFuture();
  int offers_seen_ = 0;
  std::unique_ptr<grpc::ClientContext> location_context_;
  mayday::v1::ReportLocationResponse location_response_;
  std::unique_ptr<grpc::ClientWriter<mayday::v1::ReportLocationRequest>> location_writer_;
  absl::Time next_location_try_ = absl::InfinitePast();
  absl::Duration location_backoff_ = absl::Seconds(1);
};

}  // namespace mayday::tools

#endif  // MAYDAY_TOOLS_SIM_RESPONDER_H_
