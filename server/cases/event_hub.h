// Live fan-out of committed case events to the streams watching them: a
// member's WatchCase (one case) and operators' WatchCases (every case).
// The hub knows nothing of storage: CaseLog publishes an event here only after
// it is committed, in sequence order.
#ifndef MAYDAY_SERVER_CASES_EVENT_HUB_H_
#define MAYDAY_SERVER_CASES_EVENT_HUB_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::server {

// Receives events. Deliver() runs with the hub's lock held: it must be quick,
// must not block, and must not call back into the hub.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void Deliver(const mayday::v1::CaseEvent& event) = 0;
};

// Thread-safe. Sinks are not owned; a sink must unsubscribe before it is
// destroyed, and after Unsubscribe*() returns it receives nothing more.
class EventHub {
 public:
  // `sink` receives every event of case `case_name` ("cases/{id}").
  void SubscribeCase(const std::string& case_name, EventSink* sink);
  void UnsubscribeCase(const std::string& case_name, EventSink* sink);
  // `sink` receives every event of every case.
  void SubscribeAll(EventSink* sink);
  void UnsubscribeAll(EventSink* sink);

  // Delivers `event` to the sinks of its case and to every all-cases sink.
  void Publish(const mayday::v1::CaseEvent& event);

  // Number of sinks subscribed, all kinds together (for tests and metrics).
  size_t SinkCount() const;

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::vector<EventSink*>> by_case_ ABSL_GUARDED_BY(mu_);
  std::vector<EventSink*> all_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_CASES_EVENT_HUB_H_
