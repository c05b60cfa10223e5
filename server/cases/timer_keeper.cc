// Safety timers firing; see timer_keeper.h.
#include "cases/timer_keeper.h"

#include <pthread.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "api/names.h"
#include "api/proto_time.h"
#include "log/log.h"

namespace mayday::server {
namespace {

using mayday::v1::SafetyTimer;

// How many running timers one look fires at most (the rest at the next).
constexpr int kBatch = 100;

// The alert's note: why the server raised it, then the member's words.
std::string AlertNote(const SafetyTimer& timer, FireCause cause) {
  std::string why;
  switch (cause) {
    case FireCause::kDeadline:
      why = absl::StrCat("Safety timer ran out at ",
                         absl::FormatTime("%Y-%m-%d %H:%M UTC", FromProtoTime(timer.deadline()),
                                          absl::UTCTimeZone()),
                         " without a check-in.");
      break;
    case FireCause::kWrongPins:
      why = "Safety timer: too many wrong PINs were given to end it.";
      break;
    case FireCause::kDuress:
      why = "DURESS: the member ended the safety timer with the duress PIN.";
      break;
  }
  if (timer.note().empty()) return why;
  return absl::StrCat(why, " Note: ", timer.note());
}

}  // namespace

std::string TimerRequestId(const std::string& timer_id) {
  return absl::StrCat("safety timer ", timer_id);
}

TimerKeeper::TimerKeeper(Store* store, CaseLog* log, CaseObserver* changes,
                         const base::Clock* clock, absl::Duration poll)
    : store_(store), log_(log), changes_(changes), clock_(clock), poll_(poll) {}

TimerKeeper::~TimerKeeper() { Stop(); }

void TimerKeeper::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void TimerKeeper::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void TimerKeeper::Poke() {
  absl::MutexLock lock(&mu_);
  poked_ = true;
}

void TimerKeeper::Loop() {
  pthread_setname_np(pthread_self(), "mayday-timers");
  while (true) {
    const absl::Time next = FireDue();
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    clock_->AwaitWithDeadline(&mu_, absl::Condition(this, &TimerKeeper::Woken), next);
    if (stopping_) return;
    poked_ = false;
  }
}

absl::Time TimerKeeper::FireDue() {
  const absl::Time now = clock_->Now();
  absl::Time next = now + poll_;
  absl::StatusOr<std::vector<SafetyTimer>> running = store_->ListTimers(true, kBatch);
  if (!running.ok()) {
    LogWarning("timers_unreadable", "safety timers could not be read (%s); trying again in %s",
               running.status().ToString(), absl::FormatDuration(poll_));
    return next;
  }
  for (const SafetyTimer& timer : *running) {
    const absl::Time deadline = FromProtoTime(timer.deadline());
    if (deadline > now) {
      next = std::min(next, deadline);
      break;
    }
    const std::string id(TimerIdOf(timer.name()).value_or(""));
    absl::StatusOr<SafetyTimer> fired = Fire(id, FireCause::kDeadline);
    if (!fired.ok() && !absl::IsFailedPrecondition(fired.status())) {
      LogWarning("timer_fire_failed", "%s could not fire (%s); trying again in %s", timer.name(),
                 fired.status().ToString(), absl::FormatDuration(poll_));
    }
  }
  return next;
}

absl::StatusOr<SafetyTimer> TimerKeeper::Fire(const std::string& timer_id, FireCause cause,
                                              std::optional<SafetyTimer> shown) {
  absl::StatusOr<SafetyTimer> timer = store_->GetTimer(timer_id);
  if (!timer.ok()) return timer.status();
  if (timer->state() != SafetyTimer::STATE_RUNNING) {
    return absl::FailedPreconditionError(absl::StrCat(timer->name(), " no longer runs"));
  }
  const absl::Time now = clock_->Now();
  NewCase alert{timer->member(), TimerRequestId(timer_id), timer->kind(), timer->location(),
                AlertNote(*timer, cause)};
  alert.duress = cause == FireCause::kDuress;

  struct Outcome {
    absl::StatusOr<CreatedCase> created = absl::UnknownError("not run");
    SafetyTimer fired;
    absl::Notification done;
  };
  auto outcome = std::make_shared<Outcome>();
  log_->OpenAsync(
      std::move(alert),
      [timer_id, cause, now, shown = std::move(shown), outcome](
          WriteTxn& txn, const CreatedCase& created) -> absl::Status {
        absl::StatusOr<SafetyTimer> stored = txn.GetTimer(timer_id);
        if (!stored.ok()) return stored.status();
        if (stored->state() != SafetyTimer::STATE_RUNNING) {
          return absl::FailedPreconditionError(
              absl::StrCat(stored->name(), " no longer runs: it was ended or fired meanwhile"));
        }
        if (cause == FireCause::kDeadline && FromProtoTime(stored->deadline()) > now) {
          return absl::FailedPreconditionError(
              absl::StrCat(stored->name(), "'s deadline was moved meanwhile"));
        }
        stored->set_state(SafetyTimer::STATE_FIRED);
        stored->set_case_(created.snapshot.name());
        *stored->mutable_update_time() = ToProtoTime(now);
        if (shown.has_value()) *stored->mutable_member_view() = *shown;
        outcome->fired = *stored;
        return txn.PutTimer(*stored);
      },
      [outcome](absl::StatusOr<CreatedCase> created) {
        outcome->created = std::move(created);
        outcome->done.Notify();
      });
  outcome->done.WaitForNotification();
  if (!outcome->created.ok()) return outcome->created.status();
  if (outcome->created->created) changes_->CaseOpened(outcome->created->snapshot);
  LogWarning("timer_fired", "%s of %s fired (%s): %s", outcome->fired.name(),
             outcome->fired.member(),
             cause == FireCause::kDeadline    ? "deadline passed"
             : cause == FireCause::kWrongPins ? "wrong PINs"
                                              : "duress PIN",
             outcome->fired.case_());
  return outcome->fired;
}

}  // namespace mayday::server
