// Dispatch beyond matching: the crews on their way watched for stalls, and
// fixes asked again; see dispatcher.h.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/names.h"
#include "api/proto_time.h"
#include "cases/case_rules.h"
#include "dispatcher/decision_events.h"
#include "dispatcher/dispatcher.h"
#include "dispatcher/mapping.h"
#include "log/log.h"

namespace mayday::server {
namespace {

// How often the stall rules are checked: their spans are minutes.
constexpr absl::Duration kStallCheckInterval = absl::Seconds(1);

}  // namespace

void Dispatcher::WatchAssignmentLocked(const dispatch::Assignment& assignment,
                                       const mayday::v1::Case& snapshot) {
  const std::optional<dispatch::ResponderView> view =
      engine_->GetResponder(assignment.responder_id);
  std::optional<dispatch::GeoPoint> from;
  if (view.has_value()) from = view->position;
  // An assignment without an ETA (a care agent's, to a crew without a
  // position) is judged by its reports alone.
  const absl::Duration eta =
      assignment.eta == absl::InfiniteDuration() ? absl::ZeroDuration() : assignment.eta;
  stalls_.Assigned(assignment.case_id, assignment.responder_id, ToGeoPoint(snapshot.location()),
                   from, eta, clock_->Now());
}

void Dispatcher::WatchRestoredLocked(const std::vector<RestoredAssignment>& assigned) {
  const absl::Time now = clock_->Now();
  for (const RestoredAssignment& a : assigned) {
    // Where the crew was is not known until it reports again.
    stalls_.Assigned(a.case_id, a.responder_id, a.where, std::nullopt, a.eta, a.assigned_at, now);
  }
}

void Dispatcher::StallsHearLocked(const CommittedChange& change) {
  const mayday::v1::Case& c = change.snapshot;
  const std::string id = CaseIdFromName(c.name());
  if (IsTerminal(c.state()) || c.state() == mayday::v1::CASE_STATE_ON_SCENE) {
    stalls_.Ended(id);
  } else if (change.event.has_location_updated() && IsAssigned(c.state())) {
    stalls_.MemberMoved(id, ToGeoPoint(c.location()), clock_->Now());
  }
}

void Dispatcher::CheckStallsLocked() {
  const absl::Time now = clock_->Now();
  if (now < next_stall_check_ || stalls_.watched() == 0) return;
  next_stall_check_ = now + kStallCheckInterval;
  for (const dispatch::Stall& stall : stalls_.Check(now)) {
    LogWarning("crew_stalled", "cases/%s: %s (%s)", stall.case_id.c_str(), stall.words.c_str(),
               dispatch::StallReasonName(stall.reason));
    // Queued, not awaited: the stall is news for the desk, and nothing in
    // dispatch waits for it. A case that moved on meanwhile refuses it.
    writer_->AppendAsync(
        stall.case_id, kDispatchActor, StalledEvent(stall, now),
        [case_id = stall.case_id](absl::StatusOr<CommittedChange> committed) {
          if (!committed.ok() && !absl::IsFailedPrecondition(committed.status())) {
            LogWarning("decision_not_committed", "the stall of cases/%s was not recorded: %s",
                       case_id.c_str(), committed.status().ToString().c_str());
          }
        },
        std::nullopt);
  }
}

void Dispatcher::AskForFixLocked(const std::string& case_id, mayday::v1::FixRequest request) {
  writer_->AppendAsync(
      case_id, kDispatchActor, FixRequestedEvent(std::move(request), clock_->Now(), fix_limits_),
      [case_id](absl::StatusOr<CommittedChange> committed) {
        // Refused when asked too often or too lately: that is the rule.
        if (!committed.ok() && !absl::IsFailedPrecondition(committed.status()) &&
            !absl::IsNotFound(committed.status())) {
          LogWarning("decision_not_committed", "the fix request on cases/%s was not recorded: %s",
                     case_id.c_str(), committed.status().ToString().c_str());
        }
      },
      std::nullopt);
}

}  // namespace mayday::server
