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
#include "google/protobuf/util/message_differencer.h"
#include "log/log.h"

namespace mayday::server {
namespace {

// How often the stall rules and the fixes to ask again are checked: their
// spans are minutes.
constexpr absl::Duration kWatchCheckInterval = absl::Seconds(1);

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

void Dispatcher::CheckWatchesLocked() {
  const absl::Time now = clock_->Now();
  if (now < next_watch_check_) return;
  next_watch_check_ = now + kWatchCheckInterval;
  bool seeking = false;
  for (const dispatch::Stall& stall : stalls_.Check(now)) {
    LogWarning("crew_stalled", "cases/%s: %s (%s)", stall.case_id.c_str(), stall.words.c_str(),
               dispatch::StallReasonName(stall.reason));
    // By policy a second crew is sought: offered below, once the stall is
    // queued, so recorded after it.
    const bool second = SeekSecondCrewLocked(stall.case_id);
    seeking = seeking || second;
    // Queued, not awaited: the stall is news for the desk, and nothing in
    // dispatch waits for it. A case that moved on meanwhile refuses it.
    writer_->AppendAsync(
        stall.case_id, kDispatchActor, StalledEvent(stall, now, second),
        [case_id = stall.case_id](absl::StatusOr<CommittedChange> committed) {
          if (!committed.ok() && !absl::IsFailedPrecondition(committed.status())) {
            LogWarning("decision_not_committed", "the stall of cases/%s was not recorded: %s",
                       case_id.c_str(), committed.status().ToString().c_str());
          }
        },
        std::nullopt);
  }
  // The second crews' offers, queued after the stalls they follow.
  if (seeking) RunLocked();
  if (pending_fixes_.empty()) return;
  {
    absl::MutexLock lock(&fixes_done_->mu);
    for (const auto& [case_id, about] : fixes_done_->cases) {
      auto it = pending_fixes_.find(case_id);
      if (it != pending_fixes_.end() &&
          google::protobuf::util::MessageDifferencer::Equals(it->second.about, about)) {
        pending_fixes_.erase(it);
      }
    }
    fixes_done_->cases.clear();
  }
  std::vector<std::string> due;
  for (const auto& [case_id, pending] : pending_fixes_) {
    if (pending.next_try <= now) due.push_back(case_id);
  }
  for (const std::string& case_id : due) AskForFixLocked(case_id);
}

void Dispatcher::FixArrivedLocked(const std::string& case_id, const mayday::v1::Location& location,
                                  absl::Time received) {
  std::optional<mayday::v1::FixRequest> request = FixRequestFor(location, received, fix_limits_);
  if (!request.has_value()) {
    pending_fixes_.erase(case_id);
    return;
  }
  pending_fixes_[case_id] = PendingFix{location, *std::move(request), absl::InfinitePast()};
  AskForFixLocked(case_id);
}

void Dispatcher::AskForFixLocked(const std::string& case_id) {
  PendingFix& pending = pending_fixes_.at(case_id);
  const absl::Time now = clock_->Now();
  pending.next_try = now + fix_limits_.min_interval;
  writer_->AppendAsync(
      case_id, kDispatchActor, FixRequestedEvent(pending.request, pending.about, now, fix_limits_),
      [case_id, about = pending.about, done = fixes_done_,
       max = fix_limits_.max_requests](absl::StatusOr<CommittedChange> committed) {
        // Never again: all were made, or the case is past needing one.
        // (Not yet, RESOURCE_EXHAUSTED, or a newer location, ABORTED: the
        // next try or the newer location's own request decides.)
        const bool last = committed.ok() && committed->snapshot.fix_request().count() >= max;
        const absl::Status& status = committed.status();
        if (last || absl::IsFailedPrecondition(status) || absl::IsNotFound(status)) {
          absl::MutexLock lock(&done->mu);
          done->cases.emplace_back(case_id, about);
        } else if (!committed.ok() && !absl::IsResourceExhausted(status) &&
                   !absl::IsAborted(status)) {
          LogWarning("decision_not_committed", "the fix request on cases/%s was not recorded: %s",
                     case_id.c_str(), status.ToString().c_str());
        }
      },
      std::nullopt);
}

}  // namespace mayday::server
