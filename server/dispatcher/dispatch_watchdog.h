// Degraded mode: alerts reach care agents even when dispatch does not.
// RaiseAlert is answered from the store's commit and only queues the case for
// the dispatch thread, so a dispatch thread that is blocked (an engine or a
// commit that never returns) or whose decisions fail to commit would leave
// acknowledged cases DISPATCHING with nobody looking at them. The watchdog,
// on its own thread, escalates every case that dispatch has not placed (an
// offer or an escalation queued) nor deliberately left waiting within
// `patience` of its acknowledgement, or whose dispatch decision failed to
// commit, through the CaseLog like any change: operators see it ESCALATED
// ("dispatch is not responding: handle it by hand") on ListCases and
// WatchCases.
//
// When dispatch recovers it treats such a case as the escalated case it is
// (DESIGN.md): it goes back to matching, with a Redispatched event before
// its next Offered event (BeforeRound), unless a care agent has taken it.
//
// Ordering: the watchdog queues an escalation while holding mu_, and the
// dispatcher passes each round through BeforeRound (under mu_) before
// queuing it, so an escalation is either queued before the round that
// mentions the case (which then redispatches it first) or not at all (the
// round took the case off the watchdog's list).
//
// Lock order: Dispatcher::mu_, then DispatchWatchdog::mu_, then the store's
// queue lock. The watchdog never takes Dispatcher::mu_, so it works while
// the dispatch thread holds it forever.
#ifndef MAYDAY_SERVER_DISPATCHER_DISPATCH_WATCHDOG_H_
#define MAYDAY_SERVER_DISPATCHER_DISPATCH_WATCHDOG_H_

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cases/case_log.h"
#include "mayday/base/clock.h"
#include "mayday/dispatch/engine.h"

namespace mayday::server {

struct WatchdogOptions {
  // How long after its acknowledgement dispatch has to place a case.
  absl::Duration patience = absl::Milliseconds(500);
  // How soon an escalation that failed to commit (storage failing) is tried
  // again.
  absl::Duration retry = absl::Milliseconds(50);
  // Told when dispatch stalls (true: a case went undecided past `patience`
  // and the watchdog escalated it) and when it is back (false: dispatch
  // decided a round or settled since). On changes only, with the
  // watchdog's lock held: must be quick and must not call the watchdog.
  std::function<void(bool stalled)> on_stalled;
};

// Thread-safe.
class DispatchWatchdog {
 public:
  // `log` (where escalations are written) and `clock` are not owned and
  // must outlive the watchdog.
  DispatchWatchdog(CaseWriter* log, const base::Clock* clock, WatchdogOptions options);
  ~DispatchWatchdog();  // Stop()

  // Starts the watchdog thread ("mayday-watchdog"). Call once.
  void Start();
  // Stops the thread and waits for the escalations it queued to be answered.
  // Idempotent.
  void Stop();

  // The case was committed and queued for dispatch, now. Never blocks on
  // dispatch (called on the store's completer thread).
  void Acknowledged(const std::string& case_id);
  // The dispatcher added the case to its engine.
  void Taken(const std::string& case_id);
  // The dispatcher ran its engine until it had nothing more to decide: every
  // case it took is placed or deliberately waiting (for a responder another
  // case holds) and is no longer watched.
  void Settled();
  // A dispatch decision about the case failed to commit (not because the
  // case had moved on): the case is escalated at the next look, unless a
  // later decision about it is queued first.
  void DecisionFailed(const std::string& case_id);
  // The case is closed: nothing more to do for it.
  void Forget(const std::string& case_id);
  // Called by the dispatcher with each round of decisions before it queues
  // them: their cases are no longer watched, and an offer of a case the
  // watchdog escalated is preceded by a kRedispatch (a case the engine still
  // took for waiting is ESCALATED in the store).
  void BeforeRound(std::vector<dispatch::Decision>& decisions);
  // Whether dispatch is stalled now (WatchdogOptions::on_stalled).
  bool stalled();

 private:
  struct Watched {
    absl::Time due;       // escalate at this time
    bool taken = false;   // in the engine; Settled() ends the watch
    bool failed = false;  // DecisionFailed: storage, not dispatch, is at fault
  };

  void Loop();
  // Queues the escalation of every watched case that is due; returns when
  // the next one will be (InfiniteFuture if none is watched).
  absl::Time EscalateDueLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Watches `case_id` until `due`, waking the watchdog's thread if that is
  // earlier than anything it waits for.
  void WatchLocked(const std::string& case_id, absl::Time due, bool failed = false)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Notes whether dispatch is stalled, telling on_stalled of a change.
  void SetStalledLocked(bool stalled) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  CaseWriter* const log_;
  const base::Clock* const clock_;
  const WatchdogOptions options_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Watched> watched_ ABSL_GUARDED_BY(mu_);
  // Escalated by the watchdog, not yet matched again by dispatch.
  absl::flat_hash_set<std::string> escalated_ ABSL_GUARDED_BY(mu_);
  int escalations_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  // When the thread will next look; a watch due earlier wakes it.
  absl::Time next_look_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stalled_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_DISPATCHER_DISPATCH_WATCHDOG_H_
