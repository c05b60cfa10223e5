// The one way a case changes; see case_log.h.
#include "cases/case_log.h"

#include <openssl/rand.h>

#include <array>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "cases/proto_time.h"

namespace mayday::server {

std::string NewCaseId() {
  std::array<unsigned char, 16> bytes;
  if (RAND_bytes(bytes.data(), bytes.size()) != 1) {
    // The CSPRNG failing is a broken invariant of the host: ids could collide
    // or be guessed. Refuse to continue rather than weaken them.
    std::abort();
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

absl::StatusOr<CreatedCase> CaseLog::Open(const NewCase& request) {
  const absl::Time now = clock_->Now();
  mayday::v1::Case snapshot;
  snapshot.set_name(absl::StrCat("cases/", NewCaseId()));
  snapshot.set_member(request.member);
  snapshot.set_kind(request.kind);
  snapshot.set_state(mayday::v1::CASE_STATE_DISPATCHING);
  *snapshot.mutable_location() = request.location;
  if (!snapshot.location().has_fix_time()) {
    *snapshot.mutable_location()->mutable_fix_time() = ToProtoTime(now);
  }
  snapshot.set_note(request.note);
  snapshot.set_request_id(request.request_id);
  *snapshot.mutable_create_time() = ToProtoTime(now);
  *snapshot.mutable_update_time() = ToProtoTime(now);
  snapshot.set_last_sequence(1);

  mayday::v1::CaseEvent event;
  event.set_case_(snapshot.name());
  event.set_sequence(1);
  *event.mutable_event_time() = ToProtoTime(now);
  event.set_state(snapshot.state());
  event.set_actor(request.member);
  auto* raised = event.mutable_raised();
  raised->set_kind(snapshot.kind());
  *raised->mutable_location() = snapshot.location();
  raised->set_note(snapshot.note());

  absl::MutexLock lock(&mu_);
  auto created = store_->CreateCase(snapshot, event);
  if (created.ok() && created->created) hub_->Publish(event);
  return created;
}

absl::StatusOr<CommittedChange> CaseLog::Append(std::string_view case_id, std::string_view actor,
                                                CaseChange change) {
  absl::MutexLock lock(&mu_);
  auto current = store_->GetCase(case_id);
  if (!current.ok()) return current.status();

  CommittedChange out;
  out.snapshot = *current;
  out.event.set_actor(std::string(actor));
  if (auto s = change(*current, out.snapshot, out.event); !s.ok()) return s;

  const absl::Time now = clock_->Now();
  const int64_t sequence = current->last_sequence() + 1;
  out.snapshot.set_last_sequence(sequence);
  *out.snapshot.mutable_update_time() = ToProtoTime(now);
  out.event.set_case_(current->name());
  out.event.set_sequence(sequence);
  *out.event.mutable_event_time() = ToProtoTime(now);
  out.event.set_state(out.snapshot.state());

  if (auto s = store_->AppendEvent(out.snapshot, out.event); !s.ok()) return s;
  hub_->Publish(out.event);
  return out;
}

}  // namespace mayday::server
