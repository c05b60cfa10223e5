// Caps on the streams one principal holds open at once (a member's
// WatchCase, an operator's WatchCases, a crew's ReportLocation), so that a
// client that leaks streams cannot hold the server's memory.
//
// Policy: the newest stream wins. A phone's dead stream can linger for about
// 80 s before keepalive notices it (60 s ping + 20 s timeout), and the phone
// that reconnects meanwhile is the one that works: refusing it would leave
// the person without updates, so the oldest stream of that principal is
// ended instead, with RESOURCE_EXHAUSTED saying why. (A crew's Subscribe is
// capped at one the same way by ResponderStreams: a newer one replaces it.)
#ifndef MAYDAY_SERVER_RPC_STREAM_CAPS_H_
#define MAYDAY_SERVER_RPC_STREAM_CAPS_H_

#include <cstddef>
#include <deque>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace mayday::server {

// How many streams of each kind one principal may hold open at once; 0 is
// no cap. The defaults are far above what an honest client holds (see
// docs/RELIABILITY.md §7).
struct StreamCapOptions {
  // A member's WatchCase streams, over all its cases. A phone watches its
  // open case; a few devices, reconnects and the fan-out benchmark's 10
  // watchers per case stay well inside.
  size_t watch_case_per_member = 32;
  // An operator's WatchCases feeds. Each may queue up to 10,000 events, so
  // this is the cap that bounds memory most; the fan-out benchmark opens
  // 100 with one operator token.
  size_t watch_cases_per_operator = 128;
  // A crew's ReportLocation streams. A crew app holds one.
  size_t report_location_per_responder = 4;
  // A fleet's ReportPositions streams. A tracking feed holds one, or a few
  // to spread its batches.
  size_t report_positions_per_fleet = 8;
};

// An open stream that can be told to end: because a newer one took its place
// (StreamCaps) or its token stopped being valid (auth/token_sessions.h).
class CappedStream {
 public:
  virtual ~CappedStream() = default;
  // End the stream now with `status` (RESOURCE_EXHAUSTED, UNAUTHENTICATED),
  // sending nothing more. Called with a registry's lock held: must be quick,
  // must not block, must not call back into the registry. May be called
  // more than once (by both registries): later calls do nothing.
  virtual void Evict(absl::Status status) = 0;
};

// Thread-safe. Streams are not owned; a stream must Close() before it is
// destroyed, and after Close() returns it is never called again.
class StreamCaps {
 public:
  // Counts `stream` as open for `owner` (a key such as "WatchCase
  // members/alice"). If `owner` then has more than `cap` streams not yet
  // evicted, its oldest ones are Evict()ed, with a message naming `call` and
  // `principal` ("members/alice") and the cap. cap 0 means no cap.
  void Open(const std::string& owner, size_t cap, CappedStream* stream, absl::string_view call,
            absl::string_view principal);
  // Forgets `stream` (from its OnDone). No-op if it was never opened.
  void Close(const std::string& owner, CappedStream* stream);

  // Streams of `owner` open and not evicted (for tests).
  size_t OpenCount(const std::string& owner) const;
  // Streams open, by the first word of their owner ("WatchCase
  // members/alice" counts as "WatchCase"), evicted ones until they close.
  std::map<std::string, int64_t> OpenByCall() const;

 private:
  struct Entry {
    CappedStream* stream;
    bool evicted;
  };
  mutable absl::Mutex mu_;
  // Oldest first.
  absl::flat_hash_map<std::string, std::deque<Entry>> open_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_RPC_STREAM_CAPS_H_
