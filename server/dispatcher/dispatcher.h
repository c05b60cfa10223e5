// The server's side of dispatch: owns the dispatch engine, feeds it what
// happens (cases opened, moved, closed; responders on duty, moving, answering),
// commits every decision it makes through the CaseLog, and only then tells the
// responder on its push stream. A dispatch thread matches newly opened cases
// (CaseOpened only queues them, so that RaiseAlert never waits for dispatch)
// and wakes at the engine's next deadline so that unanswered offers lapse on
// time.
//
// Locking: mu_ guards the engine and is held while decisions are committed, so
// decisions reach storage in the order the engine made them. Lock order:
// Dispatcher::mu_, then inbox_mu_, then CaseLog's, EventHub's and
// ResponderStreams' locks (DispatchWatchdog's between mu_ and the CaseLog's).
// CaseOpened takes only inbox_mu_ and the watchdog's: it is called on the
// store's completer thread, which mu_'s holder may be waiting for.
//
// Position reports: a PositionCoalescer (responders/position_coalescer.h)
// holds every report, without mu_, and the dispatch thread applies them
// together at the start of its next round: at once if one of them is urgent
// (a crew's first report, or a jump), at the latest when the oldest is due.
// A report never waits for mu_, so that the gRPC threads, which also take
// the alerts, never wait behind dispatch's commits for a crew's position.
//
// Degraded mode: a DispatchWatchdog (dispatch_watchdog.h) escalates, on its
// own thread, the acknowledged cases dispatch does not place in time.
//
// Beyond matching (stalls_and_fixes.cc): a StallWatch follows each assigned
// crew's reports and the dispatch thread records, at most once a second, a
// `stalled` event for a crew not getting closer, and (by policy) seeks a
// second crew for the case (second_crew.cc); a case raised or moved with
// a fix too uncertain or too old gets a `fix_requested` event, which the
// member's SDK answers with a fresh fix (fix_rule.h).
//
// Files: dispatcher.cc (start, the dispatch thread, cases and crews),
// rounds.cc (committing each round of decisions, then carrying them out),
// dispatcher_desk.cc (care agents' actions), second_crew.cc; the pieces it
// uses:
// restore.h (the engine rebuilt from the store), offer_book.h (unanswered
// offers), decision_events.h (a decision as a case event), mapping.h (engine
// <-> API).
#ifndef MAYDAY_SERVER_DISPATCHER_DISPATCHER_H_
#define MAYDAY_SERVER_DISPATCHER_DISPATCHER_H_

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cases/case_log.h"
#include "dispatcher/dispatch_watchdog.h"
#include "dispatcher/fix_rule.h"
#include "dispatcher/offer_book.h"
#include "dispatcher/restore.h"
#include "dispatcher/second_crew.h"
#include "mayday/dispatch/engine.h"
#include "mayday/dispatch/stall_watch.h"
#include "mayday/v1/resources.pb.h"
#include "mayday/v1/responder_service.pb.h"
#include "metrics/metrics.h"
#include "responders/position_coalescer.h"
#include "responders/responder_streams.h"
#include "store/store.h"

namespace mayday::server {

// What dispatch watches besides matching.
struct DispatchWatchOptions {
  // When an assigned crew counts as stalled (mayday/dispatch/stall_watch.h).
  dispatch::StallOptions stalls;
  // When the member's phone is asked for a fresher fix (fix_rule.h).
  FixLimits fixes;
  // Which stalled cases dispatch seeks a second crew for.
  SecondCrewPolicy second_crew = SecondCrewPolicy::kMedical;
};

// Thread-safe.
class Dispatcher final : public CaseObserver {
 public:
  // Decisions are committed through `writer` (the CaseLog, or a decorator of
  // it); `watchdog` is told what dispatch took and placed. None of the
  // pointers is owned; all must outlive the dispatcher.
  // A responder's fix time older than `max_fix_age` (the engine's
  // max_position_age) or ahead of the clock is not trusted (api/device_time.h).
  Dispatcher(std::unique_ptr<dispatch::Engine> engine, CaseWriter* writer, Store* store,
             ResponderStreams* streams, DispatchWatchdog* watchdog, const base::Clock* clock,
             CoalescingOptions coalescing = {}, absl::Duration max_fix_age = absl::Minutes(2),
             Metrics* metrics = nullptr, DispatchWatchOptions watch = {});
  ~Dispatcher() override;

  // Loads the open cases from the store into the engine (restore.h; offers
  // pending when the server stopped are recorded as lapsed) and starts the
  // dispatch thread. Call once, before serving. UNAVAILABLE if the store
  // can't be read.
  absl::Status Start();
  // Stops the dispatch thread. Idempotent.
  void Stop();
  // Adds the queued opened cases and the held position reports to the
  // engine and steps it now, committing its decisions before returning.
  void Settle();

  // A case was opened (committed): queue it for matching on the dispatch
  // thread. Never blocks on dispatch.
  // A case dispatch already has (a replica's dispatch restored it and then
  // heard of it again, dispatch_feed.h) is taken as it is.
  void CaseOpened(const mayday::v1::Case& snapshot) override;
  // A change was committed outside dispatch (the member moved or cancelled,
  // the responder moved the case along): update the engine and tell the
  // responder involved.
  void CaseChanged(const CommittedChange& change) override;

  // Puts the responder on or off duty. INVALID_ARGUMENT / FAILED_PRECONDITION
  // from the engine's rules.
  absl::StatusOr<mayday::v1::Responder> SetDuty(
      const std::string& responder_id, bool on_duty,
      const std::vector<mayday::v1::Capability>& capabilities);
  // The responder's credentials ended (its token was revoked or expired):
  // it goes off duty, so an offer it holds ends and the case is offered on
  // at once. A responder assigned to a case keeps it (the desk sees the case
  // and may reassign it). Unknown or off-duty responders: nothing happens.
  void Withdraw(const std::string& responder_id);

  // What ReportPosition tells the caller.
  struct PositionReceipt {
    std::string on_case;  // the case the responder is assigned to, "" if none
    // Set when the report's fix time was not trusted (the device's clock is
    // off by this much: ahead if positive) and its arrival was used instead.
    std::optional<absl::Duration> device_clock_offset;
  };
  // Records a position, ordered and aged by the server's clock: its fix time
  // is bounded by api/device_time.h's rule (at most the arrival; outside
  // [arrival - max_fix_age, arrival + kMaxFixAhead], the arrival). Returns
  // the case the responder is assigned to, for its track, and whether its
  // clock is off. FAILED_PRECONDITION if the responder never called SetDuty. Never waits for mu_:
  // the report is held (PositionCoalescer) and the dispatch thread applies it: an urgent one before
  // any round begun after it, the others within CoalescingOptions::interval; both before a read of
  // responders or Settle().
  absl::StatusOr<PositionReceipt> ReportPosition(const std::string& responder_id,
                                                 const mayday::v1::Location& location);

  // The responder's push stream opened: it becomes the responder's channel
  // and receives the current offer or assignment first.
  void Connect(const std::string& responder_id, ResponderChannel* channel);
  // The push stream closed: an offer the responder holds lapses.
  void Disconnect(const std::string& responder_id, ResponderChannel* channel);

  // The responder takes the case it was offered. FAILED_PRECONDITION if it
  // holds no offer for it or the case closed meanwhile.
  absl::StatusOr<mayday::v1::Case> Accept(const std::string& responder_id,
                                          const std::string& case_id);
  // The responder turns the offer down. FAILED_PRECONDITION if no such offer.
  absl::Status Decline(const std::string& responder_id, const std::string& case_id);

  // True if the responder holds the case's offer or is assigned to it.
  bool Holds(const std::string& responder_id, const std::string& case_id) const;

  // Every responder known since start, by name.
  std::vector<mayday::v1::Responder> ListResponders() const;
  // One responder; nullopt if it never called SetDuty since start.
  std::optional<mayday::v1::Responder> GetResponder(const std::string& responder_id) const;
  // The responder's last reported position (with its fix time); nullopt if
  // unknown or never reported. Held reports count.
  std::optional<mayday::v1::Location> ResponderLocation(const std::string& responder_id) const;

  // Position reports held for the next round (tests and metrics).
  size_t HeldPositionCount() const { return coalescer_.HeldCount(); }

  // --- Care agents (dispatcher_desk.cc). `agent` is "operators/{id}";
  // `audit` is the agent's action for the audit trail, written with the
  // change it records (CaseLog::Append). Each
  // checks the committed case, changes the engine, commits the change, then
  // lets the engine act on it (a withdrawn offer, a new match); if the
  // commit fails the engine change is undone. NOT_FOUND for an unknown case;
  // FAILED_PRECONDITION, with the reason, when the case or the responder is
  // not in a state that allows the action; UNAVAILABLE if storage failed.

  // The agent owns the case; the engine stops matching it (OperatorService
  // TakeCase).
  absl::StatusOr<mayday::v1::Case> Take(const std::string& agent, const std::string& case_id,
                                        const AuditEntry& audit);
  // The case goes back to the engine, DISPATCHING (ReleaseCase).
  absl::StatusOr<mayday::v1::Case> Release(const std::string& agent, const std::string& case_id,
                                           const AuditEntry& audit);
  // The case becomes ESCALATED with `reason`, owned by the agent
  // (EscalateCase).
  absl::StatusOr<mayday::v1::Case> Escalate(const std::string& agent, const std::string& case_id,
                                            const std::string& reason, const AuditEntry& audit);
  // Manual dispatch to `responder_id` (AssignCase); the responder is told on
  // its stream.
  absl::StatusOr<mayday::v1::Case> AssignManually(const std::string& agent,
                                                  const std::string& case_id,
                                                  const std::string& responder_id,
                                                  const AuditEntry& audit);
  // The agent keeps `responder_id` on a case with a second crew, or a search
  // for one (KeepCrew, second_crew.cc): the other crew is released (a
  // CrewKept event; both crews are told), or the search ends.
  absl::StatusOr<mayday::v1::Case> KeepCrew(const std::string& agent, const std::string& case_id,
                                            const std::string& responder_id,
                                            const AuditEntry& audit);

 private:
  // Steps the engine until it has nothing more to decide, committing each
  // round's decisions together and then carrying them out (decisions.cc).
  // Applies the held position reports first if they are due.
  void RunLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Gives the engine every held position report; with `only_if_due`, only
  // once the oldest is due (PositionCoalescer::NextDue), so that a busy
  // fleet's reports cost one batch per interval.
  void ApplyHeldPositionsLocked(bool only_if_due = false) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // One position to the engine; remembers it in the coalescer. NOT_FOUND
  // if the responder is not registered.
  absl::Status ApplyPositionLocked(const std::string& responder_id,
                                   const mayday::v1::Location& location, absl::Time fix_time) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // What follows a decision's commit (or its failure): tell the responder,
  // or undo the decision in the engine.
  void AfterCommitLocked(const dispatch::Decision& decision,
                         const absl::StatusOr<CommittedChange>& committed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Puts an open case back into matching after a failed commit left the
  // engine and the store disagreeing.
  void RequeueLocked(const std::string& case_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status RestoreLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The committed case, for a care agent's action: NOT_FOUND with the case's
  // name, FAILED_PRECONDITION if it is closed or already assigned.
  absl::StatusOr<mayday::v1::Case> OpenUnassignedCaseLocked(const std::string& case_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Commits the assignment of a case to a responder (by the responder's
  // Accept or an agent's AssignManually), then pushes it to the responder.
  // On failure the engine forgets the case's assignment and, if the case is
  // still open, matches it again. `audit`, if not null, is written with it.
  absl::StatusOr<mayday::v1::Case> CommitAssignmentLocked(const dispatch::Assignment& assignment,
                                                          const std::string& actor,
                                                          const AuditEntry* audit = nullptr)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Adds the queued opened cases to the engine. Every entry point that acts
  // on cases calls it first, so that the engine knows a case before anything
  // else happens to it.
  void DrainInboxLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // --- Stalled crews and fixes asked again (stalls_and_fixes.cc).
  // The crew of the committed `assignment` is watched from now on.
  void WatchAssignmentLocked(const dispatch::Assignment& assignment,
                             const mayday::v1::Case& snapshot) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The stall watch hears of a change committed outside dispatch (the member
  // moved, the crew got there, the case closed).
  void StallsHearLocked(const CommittedChange& change) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Once a second at most: records the stalls noticed since the last
  // check, and asks again for the fixes still poor a minute after the last
  // request (the phone's next fix may be better: its GNSS warms up).
  void CheckWatchesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The case's location arrived (opened with it, or moved) at `received`:
  // a poor one is asked about now and, until a better one comes, each
  // min_interval after (the store's MayRequestFix bounds them); a good one
  // ends that.
  void FixArrivedLocked(const std::string& case_id, const mayday::v1::Location& location,
                        absl::Time received) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Records the request of pending_fixes_[case_id] (queued: never waits for
  // the commit).
  void AskForFixLocked(const std::string& case_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Watches the crews of the assigned cases the store holds (at Start).
  void WatchRestoredLocked(const std::vector<RestoredAssignment>& assigned)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // --- Second crews (second_crew.cc).
  // Whether the stalled case `case_id` gets a second crew by policy; if so
  // the engine starts seeking one (offered in the next round, after the
  // stall's event).
  bool SeekSecondCrewLocked(const std::string& case_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The case no longer needs a second crew (its crew got there, or the offer
  // could not be recorded because of that): the search ends, a pending offer
  // is withdrawn. A case with two crews keeps both.
  void EndSecondSearchLocked(const std::string& case_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // CommitAssignmentLocked for a second crew's acceptance: the case keeps
  // its crew and state and records the second (Case.second_responder). On
  // failure the engine lets the second crew go and, if the case still
  // seeks one, seeks again.
  absl::StatusOr<mayday::v1::Case> CommitSecondCrewLocked(const dispatch::Assignment& assignment,
                                                          const std::string& actor)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Makes the dispatch thread run now.
  void Poke();
  void DispatchLoop();

  CaseWriter* const writer_;
  Store* const store_;
  ResponderStreams* const streams_;
  const base::Clock* const clock_;
  // Its own lock, a leaf: ReportPosition consults it without mu_.
  mutable PositionCoalescer coalescer_;
  const absl::Duration coalescing_interval_;
  const absl::Duration max_fix_age_;

  mutable absl::Mutex mu_;
  std::unique_ptr<dispatch::Engine> engine_ ABSL_GUARDED_BY(mu_);
  OfferBook offers_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // An opened case as the engine takes it: what AddCase needs and no more
  // (a copy of the whole Case cost the completer and the dispatch thread a
  // copy and a destruction per alert).
  struct OpenedCase {
    std::string id;
    dispatch::CaseKind kind;
    dispatch::GeoPoint where;
    absl::Time created;
    std::optional<mayday::v1::Location> poor_fix;  // its fix, if FixRequestFor says so
  };
  absl::Mutex inbox_mu_;
  std::vector<OpenedCase> inbox_ ABSL_GUARDED_BY(inbox_mu_);
  bool poked_ ABSL_GUARDED_BY(inbox_mu_) = false;
  std::thread dispatch_thread_;
  DispatchWatchdog* const watchdog_;
  Metrics* const metrics_;  // null: nothing counted
  const FixLimits fix_limits_;
  const SecondCrewPolicy second_crew_;
  // Fed by ApplyPositionLocked (const: applying held reports is part of a read).
  mutable dispatch::StallWatch stalls_ ABSL_GUARDED_BY(mu_);
  absl::Time next_watch_check_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // The cases whose latest fix is poor, until a request is no longer
  // possible or a good fix comes: the location asked about, the request,
  // when to ask again.
  struct PendingFix {
    mayday::v1::Location about;
    mayday::v1::FixRequest request;
    absl::Time next_try;
  };
  absl::flat_hash_map<std::string, PendingFix> pending_fixes_ ABSL_GUARDED_BY(mu_);
  // The cases, with the location asked about, that will never be asked
  // again (all made, on scene, closed), as the commits said: written on the
  // store's writer thread (shared: a commit may end after the dispatcher),
  // drained into pending_fixes_ by CheckWatchesLocked.
  struct FixesDone {
    absl::Mutex mu;
    std::vector<std::pair<std::string, mayday::v1::Location>> cases ABSL_GUARDED_BY(mu);
  };
  const std::shared_ptr<FixesDone> fixes_done_ = std::make_shared<FixesDone>();
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_DISPATCHER_DISPATCHER_H_
