// CallTurns; see call_turns.h.
#include "rpc/call_turns.h"

#include <pthread.h>

#include <algorithm>
#include <functional>
#include <utility>

namespace mayday::server {

CallTurns::CallTurns(int per_principal, absl::Duration spacing, const base::Clock* clock)
    : per_principal_(std::max(per_principal, 1)),
      spacing_(std::max(spacing, absl::ZeroDuration())),
      clock_(clock),
      next_sweep_(clock->Now() + absl::Seconds(1)) {
  thread_ = std::thread([this] { Run(); });
  pthread_setname_np(thread_.native_handle(), "mayday-turns");
}

CallTurns::~CallTurns() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

CallTurns::Start CallTurns::TakeTurn(const std::string& principal, Turns& turns, absl::Time now) {
  if (turns.waiting.empty() || turns.running >= per_principal_) return nullptr;
  const absl::Time may_start = turns.last_start + spacing_;
  if (now >= may_start || stopping_) {
    Start start = std::move(turns.waiting.front());
    turns.waiting.pop_front();
    ++turns.running;
    turns.last_start = now;
    return start;
  }
  if (!turns.scheduled) {
    turns.scheduled = true;
    due_.emplace(may_start, principal);
  }
  return nullptr;
}

void CallTurns::Begin(const std::string& principal, Start start) {
  {
    absl::MutexLock lock(&mu_);
    Turns& turns = turns_[principal];
    const absl::Time now = clock_->Now();
    if (turns.waiting.empty() && turns.running < per_principal_ &&
        now >= turns.last_start + spacing_) {
      // Its turn now (every principal's first call): not queued at all.
      ++turns.running;
      turns.last_start = now;
    } else {
      turns.waiting.push_back(std::move(start));
      start = TakeTurn(principal, turns, now);
    }
  }
  if (start) start();
}

void CallTurns::Done(const std::string& principal) {
  Start next;
  {
    absl::MutexLock lock(&mu_);
    auto it = turns_.find(principal);
    if (it == turns_.end() || it->second.running == 0) return;  // more Done than Begin
    --it->second.running;
    next = TakeTurn(principal, it->second, clock_->Now());
  }
  if (next) next();
}

void CallTurns::Sweep(absl::Time now) {
  absl::erase_if(turns_, [&](const auto& entry) {
    const Turns& turns = entry.second;
    return turns.running == 0 && turns.waiting.empty() && !turns.scheduled &&
           now >= turns.last_start + spacing_;
  });
  next_sweep_ = now + absl::Seconds(1);
}

CallTurns::Start CallTurns::NextToStart() {
  while (true) {
    const absl::Time now = clock_->Now();
    if (now >= next_sweep_) Sweep(now);
    if (stopping_) {
      // Whatever still waits starts now: its call must be answered.
      for (auto& [principal, turns] : turns_) {
        if (turns.waiting.empty()) continue;
        Start start = std::move(turns.waiting.front());
        turns.waiting.pop_front();
        return start;
      }
      return nullptr;
    }
    if (!due_.empty() && due_.top().first <= now) {
      const std::string principal = due_.top().second;
      due_.pop();
      auto it = turns_.find(principal);
      if (it == turns_.end()) continue;
      it->second.scheduled = false;
      if (Start start = TakeTurn(principal, it->second, now)) return start;
      continue;
    }
    absl::Time wake = next_sweep_;
    if (!due_.empty()) wake = std::min(wake, due_.top().first);
    auto woken = [this, wake]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ || (!due_.empty() && due_.top().first < wake);
    };
    clock_->AwaitWithDeadline(&mu_, absl::Condition(&woken), wake);
  }
}

void CallTurns::Run() {
  while (true) {
    Start start;
    {
      absl::MutexLock lock(&mu_);
      start = NextToStart();
    }
    if (!start) return;  // stopping, and nothing waits
    start();
  }
}

int64_t CallTurns::Waiting(const std::string& principal) const {
  absl::MutexLock lock(&mu_);
  auto it = turns_.find(principal);
  return it == turns_.end() ? 0 : static_cast<int64_t>(it->second.waiting.size());
}

int64_t CallTurns::Principals() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(turns_.size());
}

}  // namespace mayday::server
