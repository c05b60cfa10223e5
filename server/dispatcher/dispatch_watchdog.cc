// Escalating what dispatch does not place; see dispatch_watchdog.h.
#include "dispatcher/dispatch_watchdog.h"

#include <pthread.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cases/case_rules.h"

namespace mayday::server {
namespace {

using mayday::v1::CaseEvent;
using Decision = dispatch::Decision;

constexpr char kActor[] = "dispatch";

// What the care agents read on the escalated case.
std::string Reason(absl::Duration patience) {
  return absl::StrCat("dispatch is not responding (no decision within ",
                      absl::ToInt64Milliseconds(patience),
                      " ms): handle it by hand; dispatch will match it again when it recovers "
                      "unless you take it");
}

}  // namespace

DispatchWatchdog::DispatchWatchdog(CaseWriter* log, const base::Clock* clock,
                                   WatchdogOptions options)
    : log_(log), clock_(clock), options_(options) {}

DispatchWatchdog::~DispatchWatchdog() { Stop(); }

void DispatchWatchdog::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void DispatchWatchdog::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](DispatchWatchdog* self)
           ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) { return self->escalations_in_flight_ == 0; },
      this));
}

void DispatchWatchdog::Acknowledged(const std::string& case_id) {
  absl::MutexLock lock(&mu_);
  WatchLocked(case_id, clock_->Now() + options_.patience);
}

void DispatchWatchdog::WatchLocked(const std::string& case_id, absl::Time due, bool failed) {
  watched_[case_id] = Watched{due, false, failed};
  if (due < next_look_) {
    next_look_ = due;
    woken_ = true;
  }
}

void DispatchWatchdog::Taken(const std::string& case_id) {
  absl::MutexLock lock(&mu_);
  if (auto it = watched_.find(case_id); it != watched_.end()) it->second.taken = true;
}

void DispatchWatchdog::Settled() {
  absl::MutexLock lock(&mu_);
  absl::erase_if(watched_, [](const auto& entry) { return entry.second.taken; });
  SetStalledLocked(false);
}

bool DispatchWatchdog::stalled() {
  absl::MutexLock lock(&mu_);
  return stalled_;
}

void DispatchWatchdog::SetStalledLocked(bool stalled) {
  if (stalled == stalled_) return;
  stalled_ = stalled;
  if (options_.on_stalled) options_.on_stalled(stalled);
}

void DispatchWatchdog::DecisionFailed(const std::string& case_id) {
  absl::MutexLock lock(&mu_);
  WatchLocked(case_id, clock_->Now(), /*failed=*/true);
}

void DispatchWatchdog::Forget(const std::string& case_id) {
  absl::MutexLock lock(&mu_);
  watched_.erase(case_id);
  escalated_.erase(case_id);
}

void DispatchWatchdog::BeforeRound(std::vector<Decision>& decisions) {
  absl::MutexLock lock(&mu_);
  SetStalledLocked(false);  // dispatch decides again
  std::vector<Decision> round;
  round.reserve(decisions.size());
  for (Decision& d : decisions) {
    watched_.erase(d.case_id);
    // An offer, or the engine's own escalation or redispatch, settles the
    // difference between engine and store; an ended offer does not.
    if (d.type != Decision::Type::kOfferEnded && escalated_.erase(d.case_id) > 0 &&
        d.type == Decision::Type::kOffer) {
      Decision redispatch;
      redispatch.type = Decision::Type::kRedispatch;
      redispatch.case_id = d.case_id;
      round.push_back(std::move(redispatch));
    }
    round.push_back(std::move(d));
  }
  decisions = std::move(round);
}

void DispatchWatchdog::Loop() {
  pthread_setname_np(pthread_self(), "mayday-watchdog");
  absl::MutexLock lock(&mu_);
  // It sleeps until the earliest watch is due, or until a watch due earlier
  // than that comes (the first after none, or a failed decision). Watches
  // that end early (dispatch placed the case) leave the time it wakes at: it
  // then finds nothing due and sleeps again.
  const auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return woken_ || stopping_; };
  while (!stopping_) {
    clock_->AwaitWithDeadline(&mu_, absl::Condition(&woken), next_look_);
    woken_ = false;
    if (stopping_) return;
    next_look_ = EscalateDueLocked(clock_->Now());
  }
}

absl::Time DispatchWatchdog::EscalateDueLocked(absl::Time now) {
  std::vector<std::string> due;
  absl::Time next = absl::InfiniteFuture();
  for (const auto& [case_id, watched] : watched_) {
    if (watched.due <= now) {
      due.push_back(case_id);
      if (!watched.failed) SetStalledLocked(true);
    } else {
      next = std::min(next, watched.due);
    }
  }
  for (const std::string& case_id : due) {
    watched_.erase(case_id);
    escalated_.insert(case_id);
    ++escalations_in_flight_;
    log_->AppendAsync(
        case_id, kActor,
        [reason = Reason(options_.patience)](const mayday::v1::Case& current,
                                             mayday::v1::Case& next, CaseEvent& e) {
          // Only a case still waiting for its first decision, that no care
          // agent owns: anything else was acted on meanwhile.
          if (current.state() != mayday::v1::CASE_STATE_DISPATCHING ||
              !current.operator_().empty()) {
            return absl::FailedPreconditionError(
                absl::StrCat(current.name(), " is ", StateName(current.state()),
                             current.operator_().empty() ? "" : ", taken by a care agent"));
          }
          next.set_state(mayday::v1::CASE_STATE_ESCALATED);
          e.mutable_escalated()->set_reason(reason);
          e.mutable_escalated()->set_cause(CaseEvent::Escalated::CAUSE_DISPATCH_STALLED);
          return absl::OkStatus();
        },
        [this, case_id](absl::StatusOr<CommittedChange> committed) {
          absl::MutexLock lock(&mu_);
          --escalations_in_flight_;
          if (committed.ok()) return;  // the case log says it (event "escalation")
          escalated_.erase(case_id);
          // Storage failed: try again shortly. Any other refusal
          // means the case moved on and needs no escalation.
          if (!absl::IsFailedPrecondition(committed.status()) &&
              !absl::IsNotFound(committed.status()) && !stopping_) {
            WatchLocked(case_id, clock_->Now() + options_.retry);
          }
        },
        std::nullopt);
  }
  return next;
}

}  // namespace mayday::server
