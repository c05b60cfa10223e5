// What care agents do to dispatch: take a case, hand it back, escalate it,
// assign it by hand. See dispatcher.h; each follows the same order as the
// engine's own decisions: check the committed case, change the engine,
// commit, then let the engine act (a withdrawn offer, a new match).
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/names.h"
#include "cases/case_rules.h"
#include "dispatcher/dispatcher.h"
#include "dispatcher/mapping.h"

namespace mayday::server {
namespace {

using mayday::v1::Case;
using mayday::v1::CaseEvent;

// OK if `c` is still open and nobody is assigned to it.
absl::Status RequireOpenUnassigned(const Case& c) {
  if (IsTerminal(c.state())) {
    return absl::FailedPreconditionError(
        absl::StrCat(c.name(), " is ", StateName(c.state()), ": a closed case cannot change"));
  }
  if (IsAssigned(c.state())) {
    return absl::FailedPreconditionError(absl::StrCat(
        c.name(), " is ", StateName(c.state()), " with ", c.responder(),
        "; only a case still waiting for a responder can be taken, released, escalated or "
        "assigned"));
  }
  return absl::OkStatus();
}

// OK if `agent` may act on `c` as its owner would: nobody owns it, or the
// agent does.
absl::Status RequireNotOwnedByOther(const Case& c, const std::string& agent) {
  if (c.operator_().empty() || c.operator_() == agent) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(c.name(), " is owned by ", c.operator_(),
                   "; ask them, or release it first (maydayctl cases release)"));
}

}  // namespace

absl::StatusOr<Case> Dispatcher::OpenUnassignedCaseLocked(const std::string& case_id) {
  auto current = store_->GetCase(case_id);
  if (absl::IsNotFound(current.status())) {
    return absl::NotFoundError(absl::StrCat(CaseName(case_id), " not found"));
  }
  if (!current.ok()) return current.status();
  if (auto s = RequireOpenUnassigned(*current); !s.ok()) return s;
  return current;
}

absl::StatusOr<Case> Dispatcher::Take(const std::string& agent, const std::string& case_id,
                                      const AuditEntry& audit) {
  absl::MutexLock lock(&mu_);
  DrainInboxLocked();
  auto current = OpenUnassignedCaseLocked(case_id);
  if (!current.ok()) return current.status();
  if (current->operator_() == agent) return current;  // taking it again changes nothing
  if (auto s = RequireNotOwnedByOther(*current, agent); !s.ok()) return s;
  if (auto s = engine_->Hold(case_id); !s.ok()) return s;
  auto committed = writer_->Append(
      case_id, agent,
      [&](const Case& now, Case& next, CaseEvent& e) {
        if (auto s = RequireOpenUnassigned(now); !s.ok()) return s;
        if (!now.operator_().empty()) return RequireNotOwnedByOther(now, agent);
        next.set_operator_(agent);
        e.mutable_taken()->set_operator_(agent);
        return absl::OkStatus();
      },
      audit);
  if (!committed.ok()) {
    (void)engine_->Release(case_id);  // unknown to the engine if it closed meanwhile
    RunLocked();
    return committed.status();
  }
  RunLocked();  // a pending offer is withdrawn
  return committed->snapshot;
}

absl::StatusOr<Case> Dispatcher::Release(const std::string& agent, const std::string& case_id,
                                         const AuditEntry& audit) {
  absl::MutexLock lock(&mu_);
  DrainInboxLocked();
  auto current = OpenUnassignedCaseLocked(case_id);
  if (!current.ok()) return current.status();
  if (current->operator_().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        current->name(), " is not owned by a care agent; dispatch is already matching it"));
  }
  if (auto s = engine_->Release(case_id); !s.ok()) return s;
  auto committed = writer_->Append(
      case_id, agent,
      [&](const Case& now, Case& next, CaseEvent& e) {
        if (auto s = RequireOpenUnassigned(now); !s.ok()) return s;
        if (now.operator_().empty()) {
          return absl::FailedPreconditionError(absl::StrCat(now.name(), " was released meanwhile"));
        }
        e.mutable_released()->set_operator_(now.operator_());
        next.clear_operator_();
        next.set_state(mayday::v1::CASE_STATE_DISPATCHING);
        return absl::OkStatus();
      },
      audit);
  if (!committed.ok()) {
    (void)engine_->Hold(case_id);
    return committed.status();
  }
  RunLocked();  // matched again, or escalated
  // The snapshot as dispatch left it (an offer or an escalation may follow
  // at once).
  auto latest = store_->GetCase(case_id);
  return latest.ok() ? *latest : committed->snapshot;
}

absl::StatusOr<Case> Dispatcher::Escalate(const std::string& agent, const std::string& case_id,
                                          const std::string& reason, const AuditEntry& audit) {
  absl::MutexLock lock(&mu_);
  DrainInboxLocked();
  auto current = OpenUnassignedCaseLocked(case_id);
  if (!current.ok()) return current.status();
  if (current->state() == mayday::v1::CASE_STATE_ESCALATED) {
    return absl::FailedPreconditionError(
        absl::StrCat(current->name(),
                     " is already ESCALATED; take it (maydayctl cases take) to "
                     "stop dispatch from matching it"));
  }
  if (auto s = RequireNotOwnedByOther(*current, agent); !s.ok()) return s;
  const bool was_held = !current->operator_().empty();
  if (auto s = engine_->Hold(case_id); !s.ok()) return s;
  auto committed = writer_->Append(
      case_id, agent,
      [&](const Case& now, Case& next, CaseEvent& e) {
        if (auto s = RequireOpenUnassigned(now); !s.ok()) return s;
        if (auto s = RequireNotOwnedByOther(now, agent); !s.ok()) return s;
        next.set_state(mayday::v1::CASE_STATE_ESCALATED);
        next.set_operator_(agent);
        e.mutable_escalated()->set_reason(reason);
        e.mutable_escalated()->set_cause(CaseEvent::Escalated::CAUSE_CARE_AGENT);
        return absl::OkStatus();
      },
      audit);
  if (!committed.ok()) {
    if (!was_held) (void)engine_->Release(case_id);
    RunLocked();
    return committed.status();
  }
  RunLocked();  // a pending offer is withdrawn
  return committed->snapshot;
}

absl::StatusOr<Case> Dispatcher::AssignManually(const std::string& agent,
                                                const std::string& case_id,
                                                const std::string& responder_id,
                                                const AuditEntry& audit) {
  absl::MutexLock lock(&mu_);
  DrainInboxLocked();
  auto current = OpenUnassignedCaseLocked(case_id);
  if (!current.ok()) return current.status();
  if (auto s = RequireNotOwnedByOther(*current, agent); !s.ok()) return s;
  if (!engine_->GetResponder(responder_id).has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat(ResponderName(responder_id),
                     " is not known: it has not gone on duty since the server started"));
  }
  auto assignment = engine_->AssignManually(case_id, responder_id);
  if (!assignment.ok()) {
    return absl::Status(
        assignment.status().code(),
        absl::StrCat("cannot assign ", current->name(), " to ", ResponderName(responder_id), ": ",
                     assignment.status().message()));
  }
  // The responder's own offer of this case, if it held one, became the
  // assignment.
  if (offers_.Holder(case_id) == responder_id) offers_.Forget(case_id);
  return CommitAssignmentLocked(*assignment, agent, &audit);
}

}  // namespace mayday::server
