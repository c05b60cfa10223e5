// Second crews: a stalled crew's case offered to another crew (by policy),
// both crews holding it until a care agent keeps one (KeepCrew); see
// dispatcher.h and docs/dispatch.md.
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/names.h"
#include "cases/case_rules.h"
#include "dispatcher/dispatcher.h"
#include "dispatcher/mapping.h"
#include "log/log.h"

namespace mayday::server {
namespace {

using mayday::v1::Case;
using mayday::v1::CaseEvent;

// Whether the case is still on the way to being helped by its crew: the
// only time a second crew can make a difference.
bool OnTheWay(const Case& c) {
  return c.state() == mayday::v1::CASE_STATE_ASSIGNED ||
         c.state() == mayday::v1::CASE_STATE_EN_ROUTE;
}

// The CrewKept change: `kept` stays on `current`, the other crew (if any)
// goes, or the search for a second crew ends.
absl::Status KeepCrewChange(const std::string& agent, const std::string& kept, const Case& current,
                            Case& next, CaseEvent& e) {
  if (IsTerminal(current.state())) {
    return absl::FailedPreconditionError(absl::StrCat(
        current.name(), " is ", StateName(current.state()), ": a closed case cannot change"));
  }
  if (!IsAssigned(current.state())) {
    return absl::FailedPreconditionError(absl::StrCat(
        current.name(), " is ", StateName(current.state()), ": it has no crew to keep"));
  }
  std::string released;
  if (!current.second_responder().empty()) {
    if (kept != current.responder() && kept != current.second_responder()) {
      return absl::FailedPreconditionError(absl::StrCat(kept, " is not on ", current.name(),
                                                        ": its crews are ", current.responder(),
                                                        " and ", current.second_responder()));
    }
    released = kept == current.responder() ? current.second_responder() : current.responder();
    if (kept == current.second_responder()) {
      next.set_responder(kept);
      next.set_eta_seconds(current.second_eta_seconds());
      next.clear_stall();  // the first crew's
    } else {
      next.mutable_stall()->set_second_crew_sought(false);
    }
    next.clear_second_responder();
    next.clear_second_eta_seconds();
  } else if (current.stall().second_crew_sought()) {
    if (kept != current.responder()) {
      return absl::FailedPreconditionError(absl::StrCat(kept, " is not on ", current.name(),
                                                        ": its crew is ", current.responder(),
                                                        ", and no second crew has accepted yet"));
    }
    next.mutable_stall()->set_second_crew_sought(false);
  } else {
    return absl::FailedPreconditionError(
        absl::StrCat(current.name(), " has one crew, ", current.responder(),
                     ", and seeks no second: there is nothing to choose"));
  }
  auto* change = e.mutable_crew_kept();
  change->set_responder(kept);
  change->set_released(released);
  change->set_operator_(agent);
  return absl::OkStatus();
}

}  // namespace

bool Dispatcher::SeekSecondCrewLocked(const std::string& case_id) {
  if (second_crew_ == SecondCrewPolicy::kNever) return false;
  // A stall is rare (minutes apart at most per case): one read of the case.
  absl::StatusOr<Case> c = store_->GetCase(case_id);
  if (!c.ok() || !OnTheWay(*c) || !c->second_responder().empty()) return false;
  if (second_crew_ == SecondCrewPolicy::kMedical && c->kind() != mayday::v1::CASE_KIND_MEDICAL) {
    return false;
  }
  return engine_->SeekSecond(case_id).ok();
}

void Dispatcher::EndSecondSearchLocked(const std::string& case_id) {
  absl::StatusOr<Case> c = store_->GetCase(case_id);
  // Closed: CaseChanged closes it in the engine. With a second crew: both stay.
  if (!c.ok() || !IsAssigned(c->state()) || !c->second_responder().empty()) return;
  // FAILED_PRECONDITION when no search was going on: nothing to end.
  (void)engine_->KeepResponder(case_id, ResponderIdFromName(c->responder()));
}

absl::StatusOr<Case> Dispatcher::CommitSecondCrewLocked(const dispatch::Assignment& assignment,
                                                        const std::string& actor) {
  const std::string& case_id = assignment.case_id;
  const std::string responder = ResponderName(assignment.responder_id);
  const std::optional<dispatch::ResponderView> view =
      engine_->GetResponder(assignment.responder_id);
  auto committed =
      writer_->Append(case_id, actor, [&](const Case& current, Case& next, CaseEvent& e) {
        if (!OnTheWay(current) || !current.stall().second_crew_sought() ||
            !current.second_responder().empty()) {
          return absl::FailedPreconditionError(absl::StrCat(current.name(), " is ",
                                                            StateName(current.state()),
                                                            ": it no longer needs a second crew"));
        }
        const int eta = static_cast<int>(absl::ToInt64Seconds(assignment.eta));
        next.set_second_responder(responder);
        next.set_second_eta_seconds(eta);
        auto* assigned = e.mutable_assigned();
        assigned->set_responder(responder);
        assigned->set_eta_seconds(eta);
        assigned->set_distance_meters(assignment.distance_meters);
        assigned->set_second_crew(true);
        if (view.has_value() && view->position.has_value()) {
          *assigned->mutable_responder_location() = ToLocation(*view);
        }
        return absl::OkStatus();
      });
  if (!committed.ok()) {
    // Let the second crew go; if storage failed and the case still wants
    // one, look again (the crew that accepted is not asked twice).
    absl::StatusOr<Case> c = store_->GetCase(case_id);
    if (c.ok() && IsAssigned(c->state())) {
      (void)engine_->KeepResponder(case_id, ResponderIdFromName(c->responder()));
      if (!absl::IsFailedPrecondition(committed.status()) && OnTheWay(*c) &&
          c->stall().second_crew_sought() && c->second_responder().empty()) {
        (void)engine_->SeekSecond(case_id);
      }
    }
    RunLocked();
    return committed.status();
  }
  coalescer_.SetCase(assignment.responder_id, case_id);
  mayday::v1::ResponderUpdate update;
  *update.mutable_assignment() = committed->snapshot;
  streams_->Send(assignment.responder_id, std::move(update));
  // The first crew hears that another comes.
  mayday::v1::ResponderUpdate told;
  *told.mutable_case_event() = committed->event;
  streams_->Send(ResponderIdFromName(committed->snapshot.responder()), std::move(told));
  RunLocked();
  return committed->snapshot;
}

absl::StatusOr<Case> Dispatcher::KeepCrew(const std::string& agent, const std::string& case_id,
                                          const std::string& responder_id,
                                          const AuditEntry& audit) {
  absl::MutexLock lock(&mu_);
  DrainInboxLocked();
  const std::string kept = ResponderName(responder_id);
  // Committed first, then the engine follows: the change checks the case as
  // stored, and the engine (under mu_ all along) holds the same crews.
  bool kept_second = false;
  auto committed = writer_->Append(
      case_id, agent,
      [&](const Case& current, Case& next, CaseEvent& e) {
        kept_second = kept == current.second_responder();
        return KeepCrewChange(agent, kept, current, next, e);
      },
      audit);
  if (absl::IsNotFound(committed.status())) {
    return absl::NotFoundError(absl::StrCat(CaseName(case_id), " not found"));
  }
  if (!committed.ok()) return committed.status();
  const Case& c = committed->snapshot;
  const CaseEvent::CrewKept& change = committed->event.crew_kept();
  auto released = engine_->KeepResponder(case_id, responder_id);
  if (!released.ok()) {
    LogWarning("dispatch_error", "dispatch could not keep %s on %s: %s", kept.c_str(),
               c.name().c_str(), released.status().ToString().c_str());
  }
  // Both crews hear of it: the one released is free and stops.
  for (const std::string& crew : {change.responder(), change.released()}) {
    if (crew.empty()) continue;
    mayday::v1::ResponderUpdate update;
    *update.mutable_case_event() = committed->event;
    streams_->Send(ResponderIdFromName(crew), std::move(update));
  }
  if (!change.released().empty()) coalescer_.SetCase(ResponderIdFromName(change.released()), "");
  // The crew kept came second: dispatch watches it now, instead of the first.
  if (kept_second && OnTheWay(c)) {
    WatchAssignmentLocked({case_id, responder_id, 0, absl::Seconds(c.eta_seconds())}, c);
  }
  RunLocked();  // the crew freed may take a waiting case; a withdrawn offer is recorded
  return c;
}

}  // namespace mayday::server
