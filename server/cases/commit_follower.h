// How a replica hears what every replica stored, when several maydayd share
// one PostgreSQL database. The store's commit chain numbers every commit
// that wrote case events 1, 2, 3 ... in commit order (store/case_chain.h),
// and the follower reads them in that order, each once, and publishes their
// events to this replica's EventHub: a WatchCase or WatchCases on any
// replica sees every replica's events, each case's in sequence order,
// without gaps or repeats. Its own commits come the same way, so that one
// order holds for all (a case's event 6, written here, can never overtake
// its event 5, written on another replica).
//
// The events table is the truth; the commit announcement (CommitSignal,
// LISTEN/NOTIFY) is only the wake-up. Whenever it wakes, and at the
// latest every `poll`, the follower reads the commits after the last it
// published: a lost announcement or a reconnect delays, never loses.
//
// On the replica that holds dispatch, each commit is also handed to
// `on_commit` (dispatch learns of cases raised, moved and closed through
// any replica; dispatcher/dispatch_feed.h).
#ifndef MAYDAY_SERVER_CASES_COMMIT_FOLLOWER_H_
#define MAYDAY_SERVER_CASES_COMMIT_FOLLOWER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cases/event_hub.h"
#include "store/commit_signal.h"
#include "store/store.h"

namespace mayday::server {

struct CommitFollowerOptions {
  // The longest the follower waits without an announcement before it
  // reads anyway.
  absl::Duration poll = absl::Seconds(1);
  // Commits read per query.
  int max_commits = 256;
};

// Thread-safe.
class CommitFollower {
 public:
  // `store` and `hub` are not owned and must outlive the follower.
  CommitFollower(Store* store, EventHub* hub, std::unique_ptr<CommitSignal> signal,
                 CommitFollowerOptions options = {});
  ~CommitFollower();

  // Starts after the last commit stored now (what came before is read from
  // the store by whoever needs it: WatchCase replays, dispatch restores).
  // UNAVAILABLE if the store cannot be read.
  absl::Status Start();
  // Stops the thread. Idempotent.
  void Stop();

  // Each commit, once its events were published, on the follower's thread,
  // in commit order; replaces the one set before. Must not call back into
  // the follower.
  void OnCommit(std::function<void(const CommitRecord&)> consumer);

  // The last commit published.
  int64_t position() const;
  // Waits up to `timeout` (real time) until commit `sequence` is published;
  // whether it was. For tests and tools.
  bool AwaitPosition(int64_t sequence, absl::Duration timeout) const;

 private:
  void Run();
  // Reads and publishes what is new; false if the store could not be read.
  bool CatchUp();

  Store* const store_;
  EventHub* const hub_;
  const std::unique_ptr<CommitSignal> signal_;
  const CommitFollowerOptions options_;
  mutable absl::Mutex mu_;
  int64_t position_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void(const CommitRecord&)> consumer_ ABSL_GUARDED_BY(mu_);
  // Follower thread only: it calls the consumer without mu_.
  std::thread thread_;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_CASES_COMMIT_FOLLOWER_H_
