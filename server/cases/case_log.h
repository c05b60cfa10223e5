// The one way a case changes: CaseLog checks a change against the stored
// case, gives its event the next sequence number, commits snapshot and event
// durably, and only then publishes the event to watchers. Changes run as jobs
// of the store's group commit (Store::Submit), one after another on its
// writer thread, each seeing the ones before it: so each case's events are
// numbered 1, 2, 3 ... without gaps and published in that order, while many
// changes share one fsync.
#ifndef MAYDAY_SERVER_CASES_CASE_LOG_H_
#define MAYDAY_SERVER_CASES_CASE_LOG_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cases/event_hub.h"
#include "mayday/base/clock.h"
#include "mayday/v1/resources.pb.h"
#include "metrics/metrics.h"
#include "store/store.h"

namespace mayday::server {

// A committed change: the case after it and the event that made it.
struct CommittedChange {
  mayday::v1::Case snapshot;
  mayday::v1::CaseEvent event;
};

// Who hears of a case change that callers outside dispatch committed (a
// case opened, moved, cancelled, moved along, a message): dispatch, which
// updates its engine and tells the crew involved. With one maydayd it is
// told directly, after each commit; with replicas on PostgreSQL, dispatch's
// holder hears every replica's changes from the commit follower instead
// (dispatcher/dispatch_feed.h), and the services tell nobody.
class CaseObserver {
 public:
  virtual ~CaseObserver() = default;
  // A case was opened (committed). Must not block on dispatch.
  virtual void CaseOpened(const mayday::v1::Case& snapshot) = 0;
  // A change was committed outside dispatch.
  virtual void CaseChanged(const CommittedChange& change) = 0;
};

// A change to make. It gets the committed case (`current`), a copy to change
// (`next`) and the event to fill in (its change and the new state in
// next.state(); sequence, times and case name are set by CaseLog). Returning
// an error aborts the change: nothing is stored or published.
using CaseChange = absl::FunctionRef<absl::Status(
    const mayday::v1::Case& current, mayday::v1::Case& next, mayday::v1::CaseEvent& event)>;
// The same, owned: for changes that outlive the caller's stack (AppendAsync).
// Runs on the store's writer thread.
using OwnedCaseChange = absl::AnyInvocable<absl::Status(
    const mayday::v1::Case& current, mayday::v1::Case& next, mayday::v1::CaseEvent& event)>;

// What a member sends to open a case, already validated.
struct NewCase {
  std::string member;  // "members/{id}"
  std::string request_id;
  mayday::v1::CaseKind kind = mayday::v1::CASE_KIND_UNSPECIFIED;
  mayday::v1::Location location;
  std::string note;
  // Raised because the member used the duress PIN (a safety timer ended
  // with it): the case is the desk's and the crew's only, never the
  // member's to read (Case.duress without a member view: member_view.h),
  // and it never joins a case the member has open.
  bool duress = false;
};

// What OpenAsync also does in the case's transaction, once the case is
// opened (or joined): an error undoes both. Runs on the writer thread, and
// perhaps more than once (WriteJob).
using AlsoInOpening = absl::AnyInvocable<absl::Status(WriteTxn&, const CreatedCase&)>;

// How a change is made to an existing case: CaseLog's part that dispatch and
// the watchdog use, as an interface so that a decorator can stand in between
// (tests make dispatch's commits fail with one). Thread-safe.
class CaseWriter {
 public:
  virtual ~CaseWriter() = default;

  // Applies `change` to the case with id `case_id`, on behalf of `actor`
  // ("members/x", "dispatch", ...), without blocking: `done` gets the
  // outcome once it is on disk, on the store's completer thread (after the
  // event was published); it must not block. NOT_FOUND for an unknown case;
  // the change's own error; UNAVAILABLE if storage failed (nothing stored).
  // `change` runs on the store's writer thread. Changes queued from one
  // thread are applied in the order queued. `audit` (a care agent's action),
  // if set, is appended to the audit trail in the same transaction as the
  // event, with the case as its target and the event's sequence prefixed to
  // its detail: both are stored, or neither.
  virtual void AppendAsync(std::string case_id, std::string actor, OwnedCaseChange change,
                           absl::AnyInvocable<void(absl::StatusOr<CommittedChange>)> done,
                           std::optional<AuditEntry> audit) = 0;

  // AppendAsync, blocking until the change is committed or refused.
  absl::StatusOr<CommittedChange> Append(std::string_view case_id, std::string_view actor,
                                         CaseChange change);
  // The same, with `audit` written in the same transaction.
  absl::StatusOr<CommittedChange> Append(std::string_view case_id, std::string_view actor,
                                         CaseChange change, const AuditEntry& audit);

 private:
  absl::StatusOr<CommittedChange> AppendAudited(std::string_view case_id, std::string_view actor,
                                                CaseChange change, std::optional<AuditEntry> audit);
};

// Run first in every job of a CaseLog that has one: an error refuses the
// change, nothing stored (dispatch's fencing on a shared database,
// store/dispatch_lease.h).
using WriteFence = std::function<absl::Status(WriteTxn&)>;

// Thread-safe.
class CaseLog final : public CaseWriter {
 public:
  // `store`, `hub`, `clock` and `metrics` are not owned and must outlive
  // the log. `hub` null: the log publishes nothing (on a shared database
  // the commit follower publishes every replica's events,
  // cases/commit_follower.h). `metrics`, if set, counts every event the log
  // commits (each is committed by one replica only).
  CaseLog(Store* store, EventHub* hub, const base::Clock* clock, WriteFence fence = nullptr,
          Metrics* metrics = nullptr)
      : store_(store), hub_(hub), clock_(clock), fence_(std::move(fence)), metrics_(metrics) {}

  // Opens a case in DISPATCHING with its Raised event (sequence 1), durably,
  // then publishes the event. If the member already opened or joined a case
  // with this request_id, returns that case (created == false) and changes
  // nothing; if the member has a case of this kind open, the alert joins it
  // (joined == true): pressing again never opens a second case (WriteTxn::OpenCase).
  // UNAVAILABLE if storage failed (nothing stored). Blocks until committed.
  absl::StatusOr<CreatedCase> Open(const NewCase& request);
  // The same without blocking: `done` gets the outcome once it is on disk,
  // on the store's completer thread (after the event was published); it must
  // not block.
  void OpenAsync(NewCase request, absl::AnyInvocable<void(absl::StatusOr<CreatedCase>)> done);
  // The same, with `also` in the same transaction.
  void OpenAsync(NewCase request, AlsoInOpening also,
                 absl::AnyInvocable<void(absl::StatusOr<CreatedCase>)> done);

  void AppendAsync(std::string case_id, std::string actor, OwnedCaseChange change,
                   absl::AnyInvocable<void(absl::StatusOr<CommittedChange>)> done,
                   std::optional<AuditEntry> audit = std::nullopt) override;

 private:
  Store* const store_;
  EventHub* const hub_;
  const base::Clock* const clock_;
  const WriteFence fence_;
  Metrics* const metrics_;
};

// A new case id: 46 lowercase hex digits, the case's creation time in
// microseconds (14 digits, so that ids sort by age) and 128 random bits (32
// digits, so that ids cannot be guessed).
std::string NewCaseId(absl::Time created);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_CASES_CASE_LOG_H_
