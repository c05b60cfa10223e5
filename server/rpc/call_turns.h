// Calls of one principal take turns: at most `per_principal` of them are in
// progress at once, and each starts at least `spacing` after the one before
// it; the others wait, in the order they came. Nothing is ever refused: a
// member's app that presses in a loop gets every answer, only no faster than
// one per `spacing`, so that its flood cannot take the writer and the CPU
// from everybody else's alerts. Other principals never wait for it, and a
// principal's first call never waits.
#ifndef MAYDAY_SERVER_RPC_CALL_TURNS_H_
#define MAYDAY_SERVER_RPC_CALL_TURNS_H_

#include <cstdint>
#include <functional>
#include <list>
#include <queue>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mayday/base/clock.h"

namespace mayday::server {

// Thread-safe. Waiting calls whose time has come are started by one thread
// of the object's own ("mayday-turns"), not a thread per principal.
class CallTurns {
 public:
  // What a call does when its turn comes. It must end with Done(principal),
  // exactly once, on any thread (typically when its answer is sent).
  using Start = absl::AnyInvocable<void()>;

  // `clock` is not owned and must outlive the object.
  CallTurns(int per_principal, absl::Duration spacing, const base::Clock* clock);
  // Starts the calls still waiting, then stops the thread. Every call that
  // Begin took has then been started.
  ~CallTurns();
  CallTurns(const CallTurns&) = delete;
  CallTurns& operator=(const CallTurns&) = delete;

  // Runs `start` now, on this thread, if `principal` has fewer than
  // per_principal calls in progress, none waiting and none started within
  // `spacing`; otherwise queues it, to be started when its turn comes.
  void Begin(const std::string& principal, Start start);
  // Ends one of `principal`'s calls.
  void Done(const std::string& principal);

  // Calls of `principal` waiting for a turn (for tests and metrics).
  int64_t Waiting(const std::string& principal) const;
  // Principals remembered: those with calls in progress or waiting, or that
  // started one within the last `spacing` (plus at most a second until they
  // are swept), not everyone who ever called.
  int64_t Principals() const;

 private:
  struct Turns {
    int running = 0;
    // A list, not a deque: an empty std::deque allocates ~600 bytes, and
    // every principal's first call makes a Turns (almost none ever waits).
    std::list<Start> waiting;
    absl::Time last_start = absl::InfinitePast();
    bool scheduled = false;  // a wake-up for it is in due_
  };
  using Due = std::pair<absl::Time, std::string>;

  // If the oldest waiting call of `principal` may start now: takes it (and
  // the turn) and returns it; otherwise schedules a wake-up for when it may,
  // if it needs one, and returns an empty Start.
  Start TakeTurn(const std::string& principal, Turns& turns, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The next waiting call whose turn has come, waiting for one; empty once
  // stopping and nothing waits.
  Start NextToStart() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Run();
  void Sweep(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int per_principal_;
  const absl::Duration spacing_;
  const base::Clock* const clock_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Turns> turns_ ABSL_GUARDED_BY(mu_);
  std::priority_queue<Due, std::vector<Due>, std::greater<Due>> due_ ABSL_GUARDED_BY(mu_);
  absl::Time next_sweep_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_RPC_CALL_TURNS_H_
