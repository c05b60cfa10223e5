// The one way a case changes; see case_log.h.
#include "cases/case_log.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "api/device_time.h"
#include "api/proto_time.h"
#include "log/log.h"

namespace mayday::server {

namespace {

// 16 bytes from OpenSSL's CSPRNG, drawn 4 KiB at a time into a buffer of
// the calling thread's (RAND_bytes's cost is mostly per call: it was 4% of
// a gRPC thread's time at peak intake); every byte is handed out once.
std::array<unsigned char, 16> RandomId128() {
  struct Pool {
    std::array<unsigned char, 4096> bytes;
    size_t used = sizeof(bytes);
  };
  thread_local Pool pool;
  std::array<unsigned char, 16> out;
  if (pool.used + out.size() > pool.bytes.size()) {
    if (RAND_bytes(pool.bytes.data(), pool.bytes.size()) != 1) {
      // The CSPRNG failing is a broken invariant of the host: ids could
      // collide or be guessed. Refuse to continue rather than weaken them.
      std::abort();
    }
    pool.used = 0;
  }
  std::memcpy(out.data(), pool.bytes.data() + pool.used, out.size());
  pool.used += out.size();
  return out;
}

}  // namespace

std::string NewCaseId(absl::Time created) {
  const std::array<unsigned char, 16> bytes = RandomId128();
  // 14 hex digits of the creation time (microseconds since 1970, enough
  // until the year 4253) first, so that new cases land at the end of every
  // index keyed by id instead of on a random page; then the 128 random bits
  // that make the id unguessable.
  // (A clock before 1970 or past 4253 gives the nearest of the two, so
  // that the id always has its 46 digits.)
  const int64_t micros = std::clamp<int64_t>(absl::ToUnixMicros(created), 0, (1LL << 56) - 1);
  return absl::StrCat(absl::Hex(static_cast<uint64_t>(micros), absl::kZeroPad14),
                      absl::BytesToHexString(absl::string_view(
                          reinterpret_cast<const char*>(bytes.data()), bytes.size())));
}

void CaseLog::OpenAsync(NewCase request,
                        absl::AnyInvocable<void(absl::StatusOr<CreatedCase>)> done) {
  OpenAsync(std::move(request), nullptr, std::move(done));
}

void CaseLog::OpenAsync(NewCase request, AlsoInOpening also,
                        absl::AnyInvocable<void(absl::StatusOr<CreatedCase>)> done) {
  // Built here, on the caller's thread: the writer thread only stores.
  struct Opening {
    mayday::v1::Case snapshot;
    mayday::v1::CaseEvent first;
    absl::StatusOr<CreatedCase> created = absl::UnknownError("not run");
  };
  auto opening = std::make_shared<Opening>();
  const absl::Time now = clock_->Now();
  mayday::v1::Case& snapshot = opening->snapshot;
  snapshot.set_name(absl::StrCat("cases/", NewCaseId(now)));
  snapshot.set_member(request.member);
  snapshot.set_kind(request.kind);
  snapshot.set_state(mayday::v1::CASE_STATE_DISPATCHING);
  *snapshot.mutable_location() = std::move(request.location);
  BoundMemberFixTime(*snapshot.mutable_location(), now);
  snapshot.set_note(std::move(request.note));
  snapshot.set_request_id(std::move(request.request_id));
  *snapshot.mutable_create_time() = ToProtoTime(now);
  *snapshot.mutable_update_time() = ToProtoTime(now);
  snapshot.set_last_sequence(1);
  if (request.duress) *snapshot.mutable_duress()->mutable_time() = ToProtoTime(now);

  mayday::v1::CaseEvent& event = opening->first;
  event.set_case_(snapshot.name());
  event.set_sequence(1);
  *event.mutable_event_time() = ToProtoTime(now);
  event.set_state(snapshot.state());
  event.set_actor(std::move(request.member));
  auto* raised = event.mutable_raised();
  raised->set_kind(snapshot.kind());
  *raised->mutable_location() = snapshot.location();
  raised->set_note(snapshot.note());

  // The job and its completion share `opening`, one after the other.
  store_->Submit(
      [this, opening, also = std::move(also)](WriteTxn& txn) mutable {
        if (fence_) {
          if (absl::Status fenced = fence_(txn); !fenced.ok()) return fenced;
        }
        // A duress alert never joins a case the member can read: the desk
        // must see it as one of its own.
        opening->created = opening->snapshot.has_duress()
                               ? txn.CreateCase(opening->snapshot, opening->first)
                               : txn.OpenCase(opening->snapshot, opening->first);
        if (!opening->created.ok() || !also) return opening->created.status();
        return also(txn, *opening->created);
      },
      [this, opening, done = std::move(done)](absl::Status status) mutable {
        if (!status.ok()) {
          done(status);
          return;
        }
        // The Raised event, published once the case is on disk.
        if (opening->created->created && hub_ != nullptr) hub_->Publish(opening->first);
        if (opening->created->created && metrics_ != nullptr) {
          metrics_->EventCommitted(opening->snapshot, opening->first);
        }
        done(std::move(opening->created));
      });
}

absl::StatusOr<CreatedCase> CaseLog::Open(const NewCase& request) {
  absl::Notification finished;
  absl::StatusOr<CreatedCase> outcome;
  OpenAsync(request, [&](absl::StatusOr<CreatedCase> created) {
    outcome = std::move(created);
    finished.Notify();
  });
  finished.WaitForNotification();
  return outcome;
}

void CaseLog::AppendAsync(std::string case_id, std::string actor, OwnedCaseChange change,
                          absl::AnyInvocable<void(absl::StatusOr<CommittedChange>)> done,
                          std::optional<AuditEntry> audit) {
  auto out = std::make_shared<CommittedChange>();
  store_->Submit(
      [this, case_id = std::move(case_id), actor = std::move(actor), change = std::move(change),
       audit = std::move(audit), out](WriteTxn& txn) mutable {
        if (fence_) {
          if (absl::Status fenced = fence_(txn); !fenced.ok()) return fenced;
        }
        auto current = txn.GetCase(case_id);
        if (!current.ok()) return current.status();
        // From the start each time: a job may run again (WriteJob).
        out->snapshot = *current;
        out->event = mayday::v1::CaseEvent();
        out->event.set_actor(actor);
        if (auto s = change(*current, out->snapshot, out->event); !s.ok()) return s;
        const absl::Time now = clock_->Now();
        const int64_t sequence = current->last_sequence() + 1;
        out->snapshot.set_last_sequence(sequence);
        *out->snapshot.mutable_update_time() = ToProtoTime(now);
        out->event.set_case_(current->name());
        out->event.set_sequence(sequence);
        *out->event.mutable_event_time() = ToProtoTime(now);
        out->event.set_state(out->snapshot.state());
        if (auto s = txn.AppendEvent(out->snapshot, out->event); !s.ok()) return s;
        if (!audit.has_value()) return absl::OkStatus();
        AuditEntry entry = *audit;
        entry.target = current->name();
        entry.detail = audit->detail.empty()
                           ? absl::StrCat("event ", sequence)
                           : absl::StrCat("event ", sequence, ": ", audit->detail);
        return txn.AppendAudit(entry);
      },
      [this, out, done = std::move(done)](absl::Status status) mutable {
        if (!status.ok()) {
          done(status);
          return;
        }
        if (hub_ != nullptr) hub_->Publish(out->event);
        if (metrics_ != nullptr) metrics_->EventCommitted(out->snapshot, out->event);
        if (out->event.has_escalated()) {
          // The reason is dispatch's words or a care agent's, never a
          // member's.
          LogWarning("escalation", "%s escalated by %s (%s): %s", out->snapshot.name(),
                     out->event.actor(),
                     mayday::v1::CaseEvent::Escalated::Cause_Name(out->event.escalated().cause()),
                     out->event.escalated().reason());
        }
        done(std::move(*out));
      });
}

absl::StatusOr<CommittedChange> CaseWriter::Append(std::string_view case_id, std::string_view actor,
                                                   CaseChange change) {
  return AppendAudited(case_id, actor, change, std::nullopt);
}

absl::StatusOr<CommittedChange> CaseWriter::Append(std::string_view case_id, std::string_view actor,
                                                   CaseChange change, const AuditEntry& audit) {
  return AppendAudited(case_id, actor, change, audit);
}

absl::StatusOr<CommittedChange> CaseWriter::AppendAudited(std::string_view case_id,
                                                          std::string_view actor, CaseChange change,
                                                          std::optional<AuditEntry> audit) {
  absl::Notification finished;
  absl::StatusOr<CommittedChange> outcome;
  AppendAsync(
      std::string(case_id), std::string(actor),
      [change](const mayday::v1::Case& current, mayday::v1::Case& next,
               mayday::v1::CaseEvent& event) { return change(current, next, event); },
      [&](absl::StatusOr<CommittedChange> committed) {
        outcome = std::move(committed);
        finished.Notify();
      },
      std::move(audit));
  finished.WaitForNotification();
  return outcome;
}

}  // namespace mayday::server
