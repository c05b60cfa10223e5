// EngineImpl: what happens to responders and cases between Step() calls
// (duty, positions, connections, cases opened, moved, accepted, declined and
// closed). Matching and time live in engine_impl_step.cc, second crews in
// engine_impl_second.cc.
#include "engine_impl.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "capability.h"
#include "engine_words.h"
#include "geo.h"

namespace mayday::dispatch {
namespace {

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

absl::Status ValidateTime(absl::Time t, const char* what) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " must be a finite time"));
  }
  return absl::OkStatus();
}

// The error for a responder that answers an offer it does not hold.
absl::Status NoOfferError(const ResponderId& responder, const CaseId& case_id,
                          const CaseId& offered_case, const CaseId& assigned_case) {
  std::string detail = "the offer was withdrawn, lapsed or never made";
  if (!offered_case.empty()) {
    detail = absl::StrCat("it holds the offer of case ", Quoted(offered_case), " instead");
  } else if (!assigned_case.empty()) {
    detail = absl::StrCat("it is assigned to case ", Quoted(assigned_case));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "responder ", Quoted(responder), " holds no offer for case ", Quoted(case_id), ": ", detail));
}

}  // namespace

// Cells of about a tenth of the search radius: a query looks at a few
// columns when responders are dense and at most ~20 x 20 when they are sparse.
static double CellMeters(const EngineOptions& options) {
  return std::clamp(options.max_radius_meters / 10, 1'000.0, 10'000.0);
}

EngineImpl::EngineImpl(const EngineOptions& options, const base::Clock* clock)
    : options_(options),
      clock_(clock),
      road_grid_(CellMeters(options)),
      medical_grid_(CellMeters(options)),
      located_grid_(CellMeters(options)),
      escalated_road_(CellMeters(options)),
      escalated_medical_(CellMeters(options)) {}

void EngineImpl::SetStage(const CaseId& id, Case& c, Case::Stage stage) {
  LeaveStage(id, c);
  c.stage = stage;
  EnterStage(id, c);
}

void EngineImpl::LeaveStage(const CaseId& id, const Case& c) {
  switch (c.stage) {
    case Case::Stage::kWaiting:
      to_match_.erase(Key(id, c));
      break;
    case Case::Stage::kEscalated:
      to_match_.erase(Key(id, c));
      EscalatedGrid(c.kind).Erase(c.handle);
      break;
    case Case::Stage::kOffered:
      expiries_.erase({c.offer_expire_time, id});
      break;
    case Case::Stage::kAssigned:
    case Case::Stage::kHeld:
      break;
  }
}

void EngineImpl::EnterStage(const CaseId& id, const Case& c) {
  switch (c.stage) {
    case Case::Stage::kWaiting:
      to_match_.insert(Key(id, c));
      break;
    case Case::Stage::kEscalated:
      EscalatedGrid(c.kind).Upsert(c.handle, ToEcef(c.location));
      break;
    case Case::Stage::kOffered:
      expiries_.insert({c.offer_expire_time, id});
      break;
    case Case::Stage::kAssigned:
    case Case::Stage::kHeld:
      break;
  }
}

EngineImpl::Responder& EngineImpl::ResponderFor(const ResponderId& id) {
  auto [it, inserted] = responders_.try_emplace(id);
  if (inserted) {
    it->second.handle = static_cast<uint32_t>(by_handle_.size());
    by_handle_.emplace_back(&it->first, &it->second);
  }
  return it->second;
}

void EngineImpl::Reindex(Responder& r) {
  ++responders_version_;
  if (r.on_duty && r.position.has_value()) {
    located_grid_.Upsert(r.handle, r.ecef);
  } else {
    located_grid_.Erase(r.handle);
  }
  const bool available = r.on_duty && r.connected && r.offered_case.empty() &&
                         r.assigned_case.empty() && r.position.has_value();
  for (CaseKind kind : {CaseKind::kRoad, CaseKind::kMedical}) {
    GeoGrid& grid = kind == CaseKind::kRoad ? road_grid_ : medical_grid_;
    if (available && AnyServes(r.capabilities, kind)) {
      grid.Upsert(r.handle, r.ecef);
    } else {
      grid.Erase(r.handle);
    }
  }
  if (!available) r.woken_from.reset();
  // Available here and now: escalated cases around may be served at last.
  if (available && !r.touched) {
    r.touched = true;
    touched_.push_back(r.handle);
  }
}

void EngineImpl::EndOffer(const CaseId& case_id, Case& c, Decision::EndReason reason,
                          absl::Time now) {
  const bool second = c.OffersSecond();
  const ResponderId responder_id = c.OfferHolder();
  Responder& r = responders_.at(responder_id);  // an offer always has a known holder
  absl::Time freed_at = now;
  if (now >= c.OfferExpiry()) {
    reason = Decision::EndReason::kExpired;
    freed_at = c.OfferExpiry();
  }
  r.offered_case.clear();
  r.idle_since = freed_at;
  Reindex(r);
  if (second) {
    SetSecondStage(case_id, c, Case::Second::Stage::kSought);
    c.second.responder.clear();
    c.second.offer_expire_time = absl::InfinitePast();
  } else {
    SetStage(case_id, c, Case::Stage::kWaiting);
    c.responder.clear();
    c.offer_expire_time = absl::InfinitePast();
  }
  // A care agent took the offer back, or the member moved away from the
  // responder: it never said no, so it may be offered the case again.
  if (reason == Decision::EndReason::kWithdrawn || reason == Decision::EndReason::kMemberMoved) {
    c.offered.erase(responder_id);
  }

  Decision ended;
  ended.type = Decision::Type::kOfferEnded;
  ended.case_id = case_id;
  ended.responder_id = responder_id;
  ended.end_reason = reason;
  ended.second = second;
  ended_offers_.push_back(std::move(ended));
}

absl::Status EngineImpl::SetDuty(const ResponderId& id, bool on_duty,
                                 absl::Span<const Capability> capabilities) {
  if (absl::Status s = ValidateId(id, "responder"); !s.ok()) return s;
  for (Capability c : capabilities) {
    if (!IsKnownCapability(c)) {
      return absl::InvalidArgumentError(absl::StrCat("responder ", Quoted(id),
                                                     " has an unknown capability (value ",
                                                     static_cast<int>(c), ")"));
    }
  }
  if (on_duty && capabilities.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("responder ", Quoted(id),
                     " cannot go on duty without a capability; give at least one of tow, "
                     "patrol, mechanic, ambulance, paramedic"));
  }
  if (auto it = responders_.find(id);
      it != responders_.end() && !on_duty && !it->second.assigned_case.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("responder ", Quoted(id), " cannot go off duty while assigned to case ",
                     Quoted(it->second.assigned_case), "; close or reassign the case first"));
  }

  const absl::Time now = clock_->Now();
  Responder& r = ResponderFor(id);
  std::vector<Capability> sorted(capabilities.begin(), capabilities.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  if (sorted != r.capabilities) r.woken_from.reset();  // it may serve other cases now
  r.capabilities = std::move(sorted);

  if (!on_duty) {
    if (!r.offered_case.empty()) {
      const CaseId case_id = r.offered_case;
      EndOffer(case_id, cases_.at(case_id), Decision::EndReason::kResponderUnavailable, now);
    }
    r.on_duty = false;
    Reindex(r);
    return absl::OkStatus();
  }
  if (!r.on_duty) {
    r.on_duty = true;
    r.idle_since = now;
  }
  Reindex(r);
  if (!r.offered_case.empty()) {
    const CaseId case_id = r.offered_case;
    Case& c = cases_.at(case_id);
    if (!AnyServes(r.capabilities, c.kind)) {
      // It can no longer do what it was offered.
      EndOffer(case_id, c, Decision::EndReason::kResponderUnavailable, now);
    }
  }
  return absl::OkStatus();
}

absl::Status EngineImpl::UpdatePosition(const ResponderId& id, GeoPoint position,
                                        absl::Time fix_time) {
  const std::string what = absl::StrCat("position of responder ", Quoted(id));
  if (absl::Status s = ValidatePoint(position, what.c_str()); !s.ok()) return s;
  const std::string time_what = absl::StrCat("fix time of responder ", Quoted(id));
  if (absl::Status s = ValidateTime(fix_time, time_what.c_str()); !s.ok()) return s;
  auto it = responders_.find(id);
  if (it == responders_.end()) {
    return absl::NotFoundError(
        absl::StrCat("responder ", Quoted(id), " is not registered; call SetDuty first"));
  }
  Responder& r = it->second;
  // Reports can arrive out of order on mobile networks; the newest fix wins.
  if (r.position.has_value() && fix_time < r.position_time) return absl::OkStatus();
  // A stale position made it ineligible: fresh again, it is new to every case.
  if (!Fresh(r, clock_->Now())) r.woken_from.reset();
  r.position = position;
  r.position_time = fix_time;
  r.ecef = ToEcef(position);
  Reindex(r);
  return absl::OkStatus();
}

void EngineImpl::ResponderDisconnected(const ResponderId& id) {
  auto it = responders_.find(id);
  if (it == responders_.end()) return;
  Responder& r = it->second;
  r.connected = false;
  if (!r.offered_case.empty()) {
    const CaseId case_id = r.offered_case;
    EndOffer(case_id, cases_.at(case_id), Decision::EndReason::kResponderUnavailable,
             clock_->Now());
  }
  Reindex(r);
}

void EngineImpl::ResponderConnected(const ResponderId& id) {
  auto it = responders_.find(id);
  if (it == responders_.end()) return;
  it->second.connected = true;
  Reindex(it->second);
}

absl::Status EngineImpl::AddCase(const CaseId& id, CaseKind kind, GeoPoint location,
                                 absl::Time raised_time) {
  if (absl::Status s = ValidateId(id, "case"); !s.ok()) return s;
  const std::string what = absl::StrCat("location of case ", Quoted(id));
  if (absl::Status s = ValidatePoint(location, what.c_str()); !s.ok()) return s;
  if (absl::Status s = ValidateTime(raised_time, "raised time"); !s.ok()) return s;
  if (kind != CaseKind::kRoad && kind != CaseKind::kMedical) {
    return absl::InvalidArgumentError(absl::StrCat("case ", Quoted(id), " has an unknown kind"));
  }
  if (cases_.contains(id)) {
    return absl::AlreadyExistsError(absl::StrCat("case ", Quoted(id), " is already open"));
  }
  auto [it, inserted] = cases_.try_emplace(id);
  Case& c = it->second;
  c.kind = kind;
  c.location = location;
  c.raised_time = raised_time;
  if (!free_case_handles_.empty()) {
    c.handle = free_case_handles_.back();
    free_case_handles_.pop_back();
    case_by_handle_[c.handle] = &it->first;
  } else {
    c.handle = static_cast<uint32_t>(case_by_handle_.size());
    case_by_handle_.push_back(&it->first);
  }
  EnterStage(id, c);  // waiting
  return absl::OkStatus();
}

absl::Status EngineImpl::AddCase(const CaseId& id, CaseKind kind, GeoPoint location,
                                 absl::Time raised_time,
                                 absl::Span<const ResponderId> already_tried) {
  if (absl::Status s = AddCase(id, kind, location, raised_time); !s.ok()) return s;
  cases_.at(id).offered.insert(already_tried.begin(), already_tried.end());
  return absl::OkStatus();
}

absl::Status EngineImpl::AddEscalatedCase(const CaseId& id, CaseKind kind, GeoPoint location,
                                          absl::Time raised_time,
                                          absl::Span<const ResponderId> already_tried) {
  if (absl::Status s = AddCase(id, kind, location, raised_time, already_tried); !s.ok()) return s;
  Case& c = cases_.at(id);
  SetStage(id, c, Case::Stage::kEscalated);
  // Matched at the next Step() if someone eligible is already in range, as
  // after any escalation; otherwise when a responder turns up.
  to_match_.insert(Key(id, c));
  return absl::OkStatus();
}

absl::Status EngineImpl::AddAssignedCase(const CaseId& id, CaseKind kind, GeoPoint location,
                                         absl::Time raised_time, const ResponderId& responder) {
  if (absl::Status s = ValidateId(responder, "responder"); !s.ok()) return s;
  if (cases_.contains(id)) {
    return absl::AlreadyExistsError(absl::StrCat("case ", Quoted(id), " is already open"));
  }
  if (absl::Status s = RequireFree(responder); !s.ok()) return s;
  if (absl::Status s = AddCase(id, kind, location, raised_time); !s.ok()) return s;
  RestoreBusy(responder, id);
  Case& c = cases_.at(id);
  SetStage(id, c, Case::Stage::kAssigned);
  c.responder = responder;
  return absl::OkStatus();
}

absl::Status EngineImpl::RequireFree(const ResponderId& responder) const {
  auto it = responders_.find(responder);
  if (it == responders_.end()) return absl::OkStatus();
  const Responder& r = it->second;
  const CaseId& held = r.offered_case.empty() ? r.assigned_case : r.offered_case;
  if (held.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("responder ", Quoted(responder),
                                                    " already holds case ", Quoted(held),
                                                    "; a responder holds one case at a time"));
}

void EngineImpl::RestoreBusy(const ResponderId& responder, const CaseId& id) {
  Responder& r = ResponderFor(responder);
  r.on_duty = true;
  r.assigned_case = id;
  Reindex(r);
}

absl::Status EngineImpl::MoveCase(const CaseId& id, GeoPoint location) {
  const std::string what = absl::StrCat("location of case ", Quoted(id));
  if (absl::Status s = ValidatePoint(location, what.c_str()); !s.ok()) return s;
  auto it = cases_.find(id);
  if (it == cases_.end()) {
    return absl::NotFoundError(absl::StrCat("case ", Quoted(id), " is not open"));
  }
  Case& c = it->second;
  if (c.location.latitude_deg == location.latitude_deg &&
      c.location.longitude_deg == location.longitude_deg) {
    return absl::OkStatus();
  }
  LeaveStage(id, c);
  LeaveSecondStage(id, c);
  c.location = location;
  EnterStage(id, c);
  EnterSecondStage(id, c);  // a second crew sought: matched again from the new place
  // Moved, an escalated case may be in someone's range now.
  if (c.stage == Case::Stage::kEscalated) to_match_.insert(Key(id, c));
  if (c.stage == Case::Stage::kOffered) ReofferIfClearlyNearer(id, c);
  return absl::OkStatus();
}

void EngineImpl::ReofferIfClearlyNearer(const CaseId& id, Case& c) {
  const absl::Time now = clock_->Now();
  if (now >= c.offer_expire_time) return;  // lapsing: Step() ends it as expired
  const Responder& holder = responders_.at(c.responder);
  // Positions are kept even when old: the holder's is where it last said.
  if (!holder.position.has_value()) return;
  const double holder_meters = GeodesicDistanceMeters(*holder.position, c.location);
  const std::vector<Candidate> nearest = NearestEligible(c, now, 1);
  if (nearest.empty() ||
      !(nearest.front().distance_meters + options_.reoffer_min_gain_meters <= holder_meters)) {
    return;
  }
  EndOffer(id, c, Decision::EndReason::kMemberMoved, now);  // waiting again: matched next Step()
}

absl::StatusOr<std::pair<EngineImpl::Responder*, EngineImpl::Case*>> EngineImpl::LiveOffer(
    const ResponderId& responder, const CaseId& case_id) {
  auto r_it = responders_.find(responder);
  if (r_it == responders_.end()) {
    return absl::FailedPreconditionError(absl::StrCat("responder ", Quoted(responder),
                                                      " holds no offer for case ", Quoted(case_id),
                                                      ": the responder is not registered"));
  }
  Responder& r = r_it->second;
  auto c_it = cases_.find(case_id);
  if (c_it == cases_.end() || r.offered_case != case_id) {
    return NoOfferError(responder, case_id, r.offered_case, r.assigned_case);
  }
  Case& c = c_it->second;
  if (clock_->Now() >= c.OfferExpiry()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the offer of case ", Quoted(case_id), " to responder ", Quoted(responder), " lapsed at ",
        Rfc3339(c.OfferExpiry()), "; the case goes to the next responder"));
  }
  return std::make_pair(&r, &c);
}

absl::StatusOr<Assignment> EngineImpl::Accept(const ResponderId& responder, const CaseId& case_id) {
  auto offer = LiveOffer(responder, case_id);
  if (!offer.ok()) return offer.status();
  auto [r, c] = *offer;
  const bool second = c->OffersSecond();
  r->offered_case.clear();
  r->assigned_case = case_id;
  Reindex(*r);
  if (second) {
    SetSecondStage(case_id, *c, Case::Second::Stage::kAssigned);
    c->second.offer_expire_time = absl::InfinitePast();
  } else {
    SetStage(case_id, *c, Case::Stage::kAssigned);
    c->offer_expire_time = absl::InfinitePast();
  }
  // Offers go only to responders with a position, and positions are never
  // forgotten; measure from the latest one.
  const double distance = GeodesicDistanceMeters(*r->position, c->location);
  return Assignment{case_id, responder, distance, Eta(*r, c->kind, distance), second};
}

absl::Status EngineImpl::Decline(const ResponderId& responder, const CaseId& case_id) {
  auto offer = LiveOffer(responder, case_id);
  if (!offer.ok()) return offer.status();
  EndOffer(case_id, *offer->second, Decision::EndReason::kDeclined, clock_->Now());
  return absl::OkStatus();
}

std::optional<ResponderId> EngineImpl::CloseCase(const CaseId& id) {
  auto it = cases_.find(id);
  if (it == cases_.end()) return std::nullopt;
  Case& c = it->second;
  const absl::Time now = clock_->Now();
  std::optional<ResponderId> offer_holder;
  if (c.stage == Case::Stage::kOffered) {
    offer_holder = c.responder;
    Responder& r = responders_.at(c.responder);
    r.offered_case.clear();
    r.idle_since = std::min(now, c.offer_expire_time);
    Reindex(r);
  } else if (c.stage == Case::Stage::kAssigned) {
    Responder& r = responders_.at(c.responder);
    r.assigned_case.clear();
    r.idle_since = now;
    Reindex(r);
    if (c.second.stage == Case::Second::Stage::kOffered) {
      offer_holder = c.second.responder;
      Responder& s = responders_.at(c.second.responder);
      s.offered_case.clear();
      s.idle_since = std::min(now, c.second.offer_expire_time);
      Reindex(s);
    } else if (c.second.stage == Case::Second::Stage::kAssigned) {
      Responder& s = responders_.at(c.second.responder);
      s.assigned_case.clear();
      s.idle_since = now;
      Reindex(s);
    }
  }
  // Offers of this case that ended since the last Step() concern a case the
  // caller has closed; there is nothing left to commit for them.
  std::erase_if(ended_offers_, [&id](const Decision& d) { return d.case_id == id; });
  LeaveStage(id, c);
  LeaveSecondStage(id, c);
  case_by_handle_[c.handle] = nullptr;
  free_case_handles_.push_back(c.handle);
  cases_.erase(it);
  return offer_holder;
}

absl::Status EngineImpl::Hold(const CaseId& id) {
  auto it = cases_.find(id);
  if (it == cases_.end()) {
    return absl::NotFoundError(absl::StrCat("case ", Quoted(id), " is not open"));
  }
  Case& c = it->second;
  switch (c.stage) {
    case Case::Stage::kAssigned:
      return absl::FailedPreconditionError(
          absl::StrCat("case ", Quoted(id), " is assigned to responder ", Quoted(c.responder),
                       "; only a case still being matched can be held"));
    case Case::Stage::kOffered:
      EndOffer(id, c, Decision::EndReason::kWithdrawn, clock_->Now());
      break;
    case Case::Stage::kWaiting:
    case Case::Stage::kEscalated:
    case Case::Stage::kHeld:
      break;
  }
  SetStage(id, c, Case::Stage::kHeld);
  return absl::OkStatus();
}

absl::Status EngineImpl::Release(const CaseId& id) {
  auto it = cases_.find(id);
  if (it == cases_.end()) {
    return absl::NotFoundError(absl::StrCat("case ", Quoted(id), " is not open"));
  }
  Case& c = it->second;
  if (c.stage != Case::Stage::kHeld) {
    return absl::FailedPreconditionError(
        absl::StrCat("case ", Quoted(id), " is not held by an operator"));
  }
  SetStage(id, c, Case::Stage::kWaiting);
  return absl::OkStatus();
}

absl::StatusOr<Assignment> EngineImpl::AssignManually(const CaseId& case_id,
                                                      const ResponderId& responder) {
  auto c_it = cases_.find(case_id);
  if (c_it == cases_.end()) {
    return absl::NotFoundError(absl::StrCat("case ", Quoted(case_id), " is not open"));
  }
  Case& c = c_it->second;
  if (c.stage == Case::Stage::kAssigned) {
    return absl::FailedPreconditionError(absl::StrCat(
        "case ", Quoted(case_id), " is already assigned to responder ", Quoted(c.responder)));
  }
  auto r_it = responders_.find(responder);
  if (r_it == responders_.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("responder ", Quoted(responder), " is not registered"));
  }
  Responder& r = r_it->second;
  if (!r.on_duty) {
    return absl::FailedPreconditionError(
        absl::StrCat("responder ", Quoted(responder), " is off duty"));
  }
  if (!r.assigned_case.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "responder ", Quoted(responder), " is assigned to case ", Quoted(r.assigned_case)));
  }
  if (!r.offered_case.empty() && r.offered_case != case_id) {
    return absl::FailedPreconditionError(absl::StrCat(
        "responder ", Quoted(responder), " holds the offer of case ", Quoted(r.offered_case)));
  }
  const absl::Time now = clock_->Now();
  if (c.stage == Case::Stage::kOffered && c.responder != responder) {
    EndOffer(case_id, c, Decision::EndReason::kWithdrawn, now);
  }
  // The chosen responder's own offer of this case (if any) becomes the
  // assignment: no kOfferEnded for it.
  r.offered_case.clear();
  r.assigned_case = case_id;
  Reindex(r);
  SetStage(case_id, c, Case::Stage::kAssigned);
  c.responder = responder;
  c.offer_expire_time = absl::InfinitePast();
  c.offered.insert(responder);
  if (!r.position.has_value()) return Assignment{case_id, responder, 0, absl::InfiniteDuration()};
  const double distance = GeodesicDistanceMeters(*r.position, c.location);
  return Assignment{case_id, responder, distance, Eta(r, c.kind, distance)};
}

}  // namespace mayday::dispatch
