// The responders' push streams; see responder_streams.h.
#include "responders/responder_streams.h"

#include <utility>

namespace mayday::server {

void ResponderStreams::Attach(const std::string& responder_id, ResponderChannel* channel) {
  absl::MutexLock lock(&mu_);
  ResponderChannel*& slot = channels_[responder_id];
  if (slot != nullptr && slot != channel) slot->Replace();
  slot = channel;
}

bool ResponderStreams::Detach(const std::string& responder_id, ResponderChannel* channel) {
  absl::MutexLock lock(&mu_);
  auto it = channels_.find(responder_id);
  if (it == channels_.end() || it->second != channel) return false;
  channels_.erase(it);
  return true;
}

bool ResponderStreams::Send(const std::string& responder_id, mayday::v1::ResponderUpdate update) {
  absl::MutexLock lock(&mu_);
  auto it = channels_.find(responder_id);
  if (it == channels_.end()) return false;
  it->second->Send(std::move(update));
  return true;
}

size_t ResponderStreams::Count() const {
  absl::MutexLock lock(&mu_);
  return channels_.size();
}

}  // namespace mayday::server
