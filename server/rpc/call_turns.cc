// CallTurns; see call_turns.h.
#include "rpc/call_turns.h"

#include <utility>

namespace mayday::server {

void CallTurns::Begin(const std::string& principal, Start start) {
  {
    absl::MutexLock lock(&mu_);
    Turns& turns = turns_[principal];
    if (turns.running >= per_principal_) {
      turns.waiting.push_back(std::move(start));
      return;
    }
    ++turns.running;
  }
  start();
}

void CallTurns::Done(const std::string& principal) {
  Start next;
  {
    absl::MutexLock lock(&mu_);
    auto it = turns_.find(principal);
    if (it == turns_.end()) return;  // more Done than Begin: nothing to end
    Turns& turns = it->second;
    if (turns.waiting.empty()) {
      if (--turns.running <= 0) turns_.erase(it);
      return;
    }
    // The turn passes to the oldest waiting call; `running` stays.
    next = std::move(turns.waiting.front());
    turns.waiting.pop_front();
  }
  next();
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
