// The server's side of dispatch: owns the dispatch engine, feeds it what
// happens (cases opened, moved, closed; responders on duty, moving, answering),
// commits every decision it makes through the CaseLog, and only then tells the
// responder on its push stream. A background thread wakes at the engine's next
// deadline so that unanswered offers lapse on time.
//
// Locking: mu_ guards the engine and is held while decisions are committed, so
// decisions reach storage in the order the engine made them. Lock order:
// Dispatcher::mu_, then CaseLog's, EventHub's and ResponderStreams' locks.
#ifndef MAYDAY_SERVER_DISPATCHER_DISPATCHER_H_
#define MAYDAY_SERVER_DISPATCHER_DISPATCHER_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cases/case_log.h"
#include "mayday/dispatch/engine.h"
#include "mayday/v1/resources.pb.h"
#include "mayday/v1/responder_service.pb.h"
#include "responders/responder_streams.h"
#include "store/store.h"

namespace mayday::server {

// Thread-safe.
class Dispatcher {
 public:
  // None of the pointers is owned; all must outlive the dispatcher.
  Dispatcher(std::unique_ptr<dispatch::Engine> engine, CaseLog* log, Store* store,
             ResponderStreams* streams, const dispatch::Clock* clock);
  ~Dispatcher();

  // Loads the open cases from the store into the engine (offers pending when
  // the server stopped are recorded as lapsed) and starts the deadline thread.
  // Call once, before serving. UNAVAILABLE if the store can't be read.
  absl::Status Start();
  // Stops the deadline thread. Idempotent.
  void Stop();

  // A case was opened: match it.
  void CaseOpened(const mayday::v1::Case& snapshot);
  // A change was committed outside dispatch (the member moved or cancelled,
  // the responder moved the case along): update the engine and tell the
  // responder involved.
  void CaseChanged(const CommittedChange& change);

  // Puts the responder on or off duty. INVALID_ARGUMENT / FAILED_PRECONDITION
  // from the engine's rules.
  absl::StatusOr<mayday::v1::Responder> SetDuty(
      const std::string& responder_id, bool on_duty,
      const std::vector<mayday::v1::Capability>& capabilities);
  // Records a position. FAILED_PRECONDITION if the responder never called
  // SetDuty.
  absl::Status ReportPosition(const std::string& responder_id,
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

 private:
  // Steps the engine until it has nothing more to decide, committing and
  // carrying out each decision.
  void RunLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ApplyLocked(const dispatch::Decision& decision) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ApplyOfferLocked(const dispatch::Decision& decision) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ApplyOfferEndedLocked(const dispatch::Decision& decision)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ForgetOfferLocked(const std::string& case_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Puts an open case back into matching after a failed commit left the
  // engine and the store disagreeing.
  void RequeueLocked(const std::string& case_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status RestoreLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  mayday::v1::Responder ToProto(const dispatch::ResponderView& view) const;
  void DeadlineLoop();

  CaseLog* const log_;
  Store* const store_;
  ResponderStreams* const streams_;
  const dispatch::Clock* const clock_;

  mutable absl::Mutex mu_;
  std::unique_ptr<dispatch::Engine> engine_ ABSL_GUARDED_BY(mu_);
  // Offers made and not yet answered: by responder id (what to resend on
  // reconnect) and by case id (who holds it).
  absl::flat_hash_map<std::string, mayday::v1::Offer> offers_by_responder_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::string> offer_holder_by_case_ ABSL_GUARDED_BY(mu_);
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread deadline_thread_;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_DISPATCHER_DISPATCHER_H_
