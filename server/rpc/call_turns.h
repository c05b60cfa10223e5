// Calls of one principal take turns: at most `per_principal` of them are in
// progress at once, the others wait, in the order they came, until one of
// that principal's calls ends. Nothing is ever refused: a member's app that
// presses in a loop gets every answer, only no faster than the server
// finishes its earlier presses, so that its flood cannot take the writer and
// the CPU from everybody else's alerts. Other principals never wait for it.
#ifndef MAYDAY_SERVER_RPC_CALL_TURNS_H_
#define MAYDAY_SERVER_RPC_CALL_TURNS_H_

#include <cstdint>
#include <deque>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace mayday::server {

// Thread-safe.
class CallTurns {
 public:
  // What a call does when its turn comes. It must end with Done(principal),
  // exactly once, on any thread (typically when its answer is sent).
  using Start = absl::AnyInvocable<void()>;

  explicit CallTurns(int per_principal) : per_principal_(per_principal < 1 ? 1 : per_principal) {}

  // Runs `start` now, on this thread, if `principal` has fewer than
  // per_principal calls in progress; otherwise queues it, to be run by the
  // Done that frees a turn.
  void Begin(const std::string& principal, Start start);
  // Ends one of `principal`'s calls: the oldest waiting one, if any, starts
  // (on this thread).
  void Done(const std::string& principal);

  // Calls of `principal` waiting for a turn (for tests and metrics).
  int64_t Waiting(const std::string& principal) const;
  // Principals with a call in progress (the table's size: bounded by the
  // calls in progress, not by everyone who ever called).
  int64_t Principals() const;

 private:
  struct Turns {
    int running = 0;
    std::deque<Start> waiting;
  };
  const int per_principal_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Turns> turns_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_RPC_CALL_TURNS_H_
