// Live fan-out of committed case events; see event_hub.h.
#include "cases/event_hub.h"

#include <algorithm>

namespace mayday::server {
namespace {

void Remove(std::vector<EventSink*>& sinks, EventSink* sink) {
  sinks.erase(std::remove(sinks.begin(), sinks.end(), sink), sinks.end());
}

}  // namespace

void EventHub::SubscribeCase(const std::string& case_name, EventSink* sink) {
  absl::MutexLock lock(&mu_);
  by_case_[case_name].push_back(sink);
}

void EventHub::UnsubscribeCase(const std::string& case_name, EventSink* sink) {
  absl::MutexLock lock(&mu_);
  auto it = by_case_.find(case_name);
  if (it == by_case_.end()) return;
  Remove(it->second, sink);
  if (it->second.empty()) by_case_.erase(it);
}

void EventHub::SubscribeAll(EventSink* sink) {
  absl::MutexLock lock(&mu_);
  all_.push_back(sink);
}

void EventHub::UnsubscribeAll(EventSink* sink) {
  absl::MutexLock lock(&mu_);
  Remove(all_, sink);
}

void EventHub::Publish(const mayday::v1::CaseEvent& event) {
  absl::MutexLock lock(&mu_);
  if (auto it = by_case_.find(event.case_()); it != by_case_.end()) {
    for (EventSink* sink : it->second) sink->Deliver(event);
  }
  for (EventSink* sink : all_) sink->Deliver(event);
}

size_t EventHub::SinkCount() const {
  absl::MutexLock lock(&mu_);
  size_t n = all_.size();
  for (const auto& [name, sinks] : by_case_) n += sinks.size();
  return n;
}

}  // namespace mayday::server
