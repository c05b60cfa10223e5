// EngineImpl: second crews (SeekSecond, AddSecondAssigned, KeepResponder)
// and the indexes of a case's search for one; see engine.h and
// engine_impl.h.
#include <optional>

#include "absl/strings/str_cat.h"
#include "engine_impl.h"
#include "engine_words.h"
#include "geo.h"

namespace mayday::dispatch {

void EngineImpl::SetSecondStage(const CaseId& id, Case& c, Case::Second::Stage stage) {
  LeaveSecondStage(id, c);
  c.second.stage = stage;
  EnterSecondStage(id, c);
}

void EngineImpl::LeaveSecondStage(const CaseId& id, const Case& c) {
  switch (c.second.stage) {
    case Case::Second::Stage::kSought:
      to_match_.erase(Key(id, c));
      EscalatedGrid(c.kind).Erase(c.handle);
      break;
    case Case::Second::Stage::kOffered:
      expiries_.erase({c.second.offer_expire_time, id});
      break;
    case Case::Second::Stage::kNone:
    case Case::Second::Stage::kAssigned:
      break;
  }
}

void EngineImpl::EnterSecondStage(const CaseId& id, const Case& c) {
  switch (c.second.stage) {
    case Case::Second::Stage::kSought:
      // Matched at the next Step(); while nobody is eligible, woken as an
      // escalated case is, by a responder becoming available near it.
      to_match_.insert(Key(id, c));
      EscalatedGrid(c.kind).Upsert(c.handle, ToEcef(c.location));
      break;
    case Case::Second::Stage::kOffered:
      expiries_.insert({c.second.offer_expire_time, id});
      break;
    case Case::Second::Stage::kNone:
    case Case::Second::Stage::kAssigned:
      break;
  }
}

absl::StatusOr<EngineImpl::Case*> EngineImpl::AssignedCase(const CaseId& id) {
  auto it = cases_.find(id);
  if (it == cases_.end()) {
    return absl::NotFoundError(absl::StrCat("case ", Quoted(id), " is not open"));
  }
  if (it->second.stage != Case::Stage::kAssigned) {
    return absl::FailedPreconditionError(
        absl::StrCat("case ", Quoted(id), " is not assigned to a responder"));
  }
  return &it->second;
}

absl::Status EngineImpl::SeekSecond(const CaseId& id) {
  auto assigned = AssignedCase(id);
  if (!assigned.ok()) return assigned.status();
  Case& c = **assigned;
  if (c.second.stage == Case::Second::Stage::kAssigned) {
    return absl::FailedPreconditionError(absl::StrCat("case ", Quoted(id), " already has a second ",
                                                      "responder, ", Quoted(c.second.responder)));
  }
  if (c.second.stage != Case::Second::Stage::kNone) {
    return absl::FailedPreconditionError(
        absl::StrCat("case ", Quoted(id), " is already looking for a second responder"));
  }
  SetSecondStage(id, c, Case::Second::Stage::kSought);
  return absl::OkStatus();
}

absl::Status EngineImpl::AddSecondAssigned(const CaseId& id, const ResponderId& responder) {
  if (absl::Status s = ValidateId(responder, "responder"); !s.ok()) return s;
  auto assigned = AssignedCase(id);
  if (!assigned.ok()) return assigned.status();
  Case& c = **assigned;
  if (c.second.stage != Case::Second::Stage::kNone) {
    return absl::FailedPreconditionError(
        absl::StrCat("case ", Quoted(id), " already has or seeks a second responder"));
  }
  if (absl::Status s = RequireFree(responder); !s.ok()) return s;
  RestoreBusy(responder, id);
  c.second.responder = responder;
  SetSecondStage(id, c, Case::Second::Stage::kAssigned);
  c.offered.insert(responder);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<ResponderId>> EngineImpl::KeepResponder(const CaseId& id,
                                                                     const ResponderId& responder) {
  auto assigned = AssignedCase(id);
  if (!assigned.ok()) return assigned.status();
  Case& c = **assigned;
  const bool is_second =
      c.second.stage == Case::Second::Stage::kAssigned && c.second.responder == responder;
  if (responder != c.responder && !is_second) {
    return absl::FailedPreconditionError(
        absl::StrCat("responder ", Quoted(responder), " is not assigned to case ", Quoted(id),
                     "; its crew is ", Quoted(c.responder),
                     c.second.stage == Case::Second::Stage::kAssigned
                         ? absl::StrCat(" and its second crew ", Quoted(c.second.responder))
                         : ""));
  }
  const absl::Time now = clock_->Now();
  switch (c.second.stage) {
    case Case::Second::Stage::kNone:
      return absl::FailedPreconditionError(absl::StrCat("case ", Quoted(id), " has one crew, ",
                                                        Quoted(c.responder),
                                                        ", and is not looking for a second"));
    case Case::Second::Stage::kOffered:
      EndOffer(id, c, Decision::EndReason::kWithdrawn, now);  // sought again, then not at all
      [[fallthrough]];
    case Case::Second::Stage::kSought:
      SetSecondStage(id, c, Case::Second::Stage::kNone);
      return std::optional<ResponderId>();
    case Case::Second::Stage::kAssigned:
      break;
  }
  const ResponderId released = is_second ? c.responder : c.second.responder;
  Responder& r = responders_.at(released);
  r.assigned_case.clear();
  r.idle_since = now;
  Reindex(r);
  c.responder = responder;
  SetSecondStage(id, c, Case::Second::Stage::kNone);
  c.second.responder.clear();
  return std::optional<ResponderId>(released);
}

}  // namespace mayday::dispatch
