// Per-principal stream caps, newest wins; see stream_caps.h.
#include "rpc/stream_caps.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace mayday::server {

void StreamCaps::Open(const std::string& owner, size_t cap, CappedStream* stream,
                      absl::string_view call, absl::string_view principal) {
  absl::MutexLock lock(&mu_);
  std::deque<Entry>& streams = open_[owner];
  streams.push_back({stream, false});
  if (cap == 0) return;
  size_t live = 0;
  for (const Entry& e : streams) live += e.evicted ? 0 : 1;
  for (Entry& e : streams) {
    if (live <= cap) break;
    if (e.evicted) continue;
    e.evicted = true;
    --live;
    // Still counted until its OnDone closes it: the reactor exists until then.
    e.stream->Evict(absl::ResourceExhaustedError(absl::StrCat(
        "replaced by a newer ", call, " stream of ", principal, ": at most ", cap,
        " are kept open at once, and this was the oldest; reconnect only if this device "
        "still needs the stream")));
  }
}

void StreamCaps::Close(const std::string& owner, CappedStream* stream) {
  absl::MutexLock lock(&mu_);
  auto it = open_.find(owner);
  if (it == open_.end()) return;
  std::deque<Entry>& streams = it->second;
  streams.erase(std::remove_if(streams.begin(), streams.end(),
                               [&](const Entry& e) { return e.stream == stream; }),
                streams.end());
  if (streams.empty()) open_.erase(it);
}

size_t StreamCaps::OpenCount(const std::string& owner) const {
  absl::MutexLock lock(&mu_);
  auto it = open_.find(owner);
  if (it == open_.end()) return 0;
  return std::count_if(it->second.begin(), it->second.end(),
                       [](const Entry& e) { return !e.evicted; });
}

std::map<std::string, int64_t> StreamCaps::OpenByCall() const {
  std::map<std::string, int64_t> open;
  absl::MutexLock lock(&mu_);
  for (const auto& [owner, streams] : open_) {
    open[owner.substr(0, owner.find(' '))] += static_cast<int64_t>(streams.size());
  }
  return open;
}

}  // namespace mayday::server
