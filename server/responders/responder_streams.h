// The responders' push streams (ResponderService.Subscribe), by responder id:
// where the dispatcher sends offers, assignments and case updates.
#ifndef MAYDAY_SERVER_RESPONDERS_RESPONDER_STREAMS_H_
#define MAYDAY_SERVER_RESPONDERS_RESPONDER_STREAMS_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "mayday/v1/responder_service.pb.h"

namespace mayday::server {

// One responder's open push stream. Methods are called with the registry's
// lock held: they must be quick and must not call back into the registry.
class ResponderChannel {
 public:
  virtual ~ResponderChannel() = default;
  // Queues `update` for the responder.
  virtual void Send(mayday::v1::ResponderUpdate update) = 0;
  // A newer stream of the same responder took over: end this one.
  virtual void Replace() = 0;
};

// Thread-safe. Channels are not owned; a channel must Detach() before it is
// destroyed, after which it receives nothing more.
class ResponderStreams {
 public:
  // Makes `channel` the responder's stream; a previous one is Replace()d.
  void Attach(const std::string& responder_id, ResponderChannel* channel);
  // Removes `channel` if it is still the responder's stream; returns whether
  // it was (false: a newer stream had replaced it).
  bool Detach(const std::string& responder_id, ResponderChannel* channel);
  // Sends `update` to the responder's stream. False if it has none.
  bool Send(const std::string& responder_id, mayday::v1::ResponderUpdate update);
  // Responders with a stream now.
  size_t Count() const;

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, ResponderChannel*> channels_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_RESPONDERS_RESPONDER_STREAMS_H_
