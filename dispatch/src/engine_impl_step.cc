// EngineImpl: time and matching (Step), deadlines, and the operators' views.
#include <algorithm>
#include <tuple>
#include <utility>

#include "capability.h"
#include "engine_impl.h"
#include "geo.h"
#include "geo_grid.h"

namespace mayday::dispatch {

void EngineImpl::WakeEscalatedNearTouched() {
  for (uint32_t handle : touched_) {
    Responder& r = *by_handle_[handle].second;
    r.touched = false;
    const bool available = r.on_duty && r.connected && r.offered_case.empty() &&
                           r.assigned_case.empty() && r.position.has_value();
    if (!available) continue;
    // Cases it could already reach from where it last woke them, eligible
    // without a break since, were matched against it then: a report from
    // the same street wakes nobody again.
    const std::optional<Ecef> before = r.woken_from;
    r.woken_from = r.ecef;
    const double radius = options_.max_radius_meters;
    for (CaseKind kind : {CaseKind::kRoad, CaseKind::kMedical}) {
      const GeoGrid& grid = EscalatedGrid(kind);
      if (grid.size() == 0 || !AnyServes(r.capabilities, kind)) continue;
      // Chords never exceed geodesics: every case within the radius is seen.
      grid.Search(
          r.ecef, [&] { return options_.max_radius_meters; },
          [&](uint32_t case_handle, double /*chord*/) {
            const CaseId& id = *case_by_handle_[case_handle];
            const Case& c = cases_.at(id);
            if (before.has_value() &&
                SurelyWithin(ChordMeters(*before, ToEcef(c.location)), radius)) {
              return;
            }
            to_match_.insert(Key(id, c));
          });
    }
  }
  touched_.clear();
}

std::vector<Decision> EngineImpl::Step() {
  const absl::Time now = clock_->Now();

  // 1. Offers lapse, earliest first (then by case id, for determinism).
  std::vector<CaseId> lapsed;
  for (auto it = expiries_.begin(); it != expiries_.end() && it->first <= now; ++it) {
    lapsed.push_back(it->second);
  }
  for (const CaseId& id : lapsed) {
    EndOffer(id, cases_.at(id), Decision::EndReason::kExpired, now);
  }
  std::vector<Decision> decisions = std::move(ended_offers_);
  ended_offers_.clear();

  // 2. Cases without a responder (not held), in priority order: medical
  // first, then oldest first. Escalated cases take part only if a responder
  // became available near them (otherwise nobody is eligible for them).
  WakeEscalatedNearTouched();
  std::vector<const CaseId*> waiting;
  waiting.reserve(to_match_.size());
  for (const PriorityKey& key : to_match_) waiting.push_back(&cases_.find(std::get<3>(key))->first);
  to_match_.clear();
  // to_match_ holds only cases without a responder and assigned cases
  // seeking a second crew (SetStage, SetSecondStage keep it so).
  std::erase_if(waiting, [this](const CaseId* id) {
    const Case& c = cases_.at(*id);
    return c.stage == Case::Stage::kAssigned && c.second.stage != Case::Second::Stage::kSought;
  });

  // 3. The surge rule decides who is offered what (engine_impl_match.cc); the
  // offers are made first so that escalation reasons count their responders
  // as busy, then the decisions are listed in priority order.
  const std::vector<std::optional<Candidate>> matched = Match(waiting, now);
  std::vector<std::optional<Decision>> offers(waiting.size());
  std::vector<bool> redispatch(waiting.size(), false);
  for (size_t i = 0; i < waiting.size(); ++i) {
    if (!matched[i].has_value()) continue;
    Case& c = cases_.at(*waiting[i]);
    redispatch[i] = c.stage == Case::Stage::kEscalated;
    offers[i] = MakeOffer(*waiting[i], c, *matched[i], now);
  }
  for (size_t i = 0; i < waiting.size(); ++i) {
    const CaseId& id = *waiting[i];
    Case& c = cases_.at(id);
    if (offers[i].has_value()) {
      if (redispatch[i]) {
        Decision again;
        again.type = Decision::Type::kRedispatch;
        again.case_id = id;
        decisions.push_back(std::move(again));
      }
      decisions.push_back(std::move(*offers[i]));
    } else if (c.stage == Case::Stage::kWaiting) {
      SetStage(id, c, Case::Stage::kEscalated);
      Decision escalate;
      escalate.type = Decision::Type::kEscalate;
      escalate.case_id = id;
      escalate.reason =
          EscalationReason(c.kind, options_.max_radius_meters, TallyIneligible(c, now));
      decisions.push_back(std::move(escalate));
    }
    // An escalated case with still nobody eligible stays escalated, silently;
    // so does the search for a second crew (in the escalated grid).
  }
  return decisions;
}

std::vector<EngineImpl::Candidate> EngineImpl::NearestEligible(const Case& c, absl::Time now,
                                                               size_t k) const {
  std::vector<Candidate> best;  // sorted, at most k
  if (k == 0) return best;
  const GeoGrid& grid = c.kind == CaseKind::kRoad ? road_grid_ : medical_grid_;
  const double radius = options_.max_radius_meters;
  // The grid holds only available responders serving the kind; what depends
  // on the case or the time is checked here.
  grid.Search(
      ToEcef(c.location), [&]() { return best.size() == k ? best.back().distance_meters : radius; },
      [&](uint32_t handle, double /*chord*/) {
        const auto& [id, r] = by_handle_[handle];
        if (!Fresh(*r, now)) return;
        if (c.offered.contains(*id)) return;
        const double meters = GeodesicDistanceMeters(*r->position, c.location);
        if (!(meters <= radius)) return;
        const Candidate candidate{id, handle, meters, r->idle_since};
        if (best.size() == k && !(candidate < best.back())) return;
        best.insert(std::upper_bound(best.begin(), best.end(), candidate), candidate);
        if (best.size() > k) best.pop_back();
      });
  return best;
}

CandidateTally EngineImpl::TallyIneligible(const Case& c, absl::Time now) const {
  // Kept cheap: escalations are rare in a quiet hour, but in a surge with
  // nobody free nearly every new case escalates and this runs per case on
  // the dispatch thread. Those without a fresh fix are counted wherever they
  // are (once per change, WithoutFix); of the rest only those in range are
  // visited, and a geodesic is asked for only near the radius's edge.
  CandidateTally tally;
  tally.offered = static_cast<int>(c.offered.size());
  tally.without_fix = WithoutFix(c.kind, now);
  for (const ResponderId& id : c.offered) {
    const auto it = responders_.find(id);
    if (it == responders_.end()) continue;
    const Responder& r = it->second;
    if (r.on_duty && AnyServes(r.capabilities, c.kind) && !Fresh(r, now)) --tally.without_fix;
  }
  const double radius = options_.max_radius_meters;
  located_grid_.Search(
      ToEcef(c.location), [radius] { return radius; },
      [&](uint32_t handle, double chord) {
        const auto& [id, r] = by_handle_[handle];
        if (!AnyServes(r->capabilities, c.kind) || !Fresh(*r, now)) return;
        if (chord > radius + kChordSlackMeters) return;  // out of range: "within N km" says it
        if (!SurelyWithin(chord, radius) &&
            GeodesicDistanceMeters(*r->position, c.location) > radius) {
          return;
        }
        if (c.offered.contains(*id)) return;
        if (!r->offered_case.empty() || !r->assigned_case.empty()) {
          ++tally.busy;
        } else if (!r->connected) {
          ++tally.not_connected;
        }
      });
  return tally;
}

int EngineImpl::WithoutFix(CaseKind kind, absl::Time now) const {
  WithoutFixMemo& memo = without_fix_memo_;
  if (memo.version != responders_version_ || memo.now != now) {
    memo = WithoutFixMemo{responders_version_, now, 0, 0};
    for (const auto& [id, r] : by_handle_) {
      if (!r->on_duty || Fresh(*r, now)) continue;
      if (AnyServes(r->capabilities, CaseKind::kRoad)) ++memo.road;
      if (AnyServes(r->capabilities, CaseKind::kMedical)) ++memo.medical;
    }
  }
  return kind == CaseKind::kRoad ? memo.road : memo.medical;
}

Decision EngineImpl::MakeOffer(const CaseId& case_id, Case& c, const Candidate& candidate,
                               absl::Time now) {
  Responder& r = *by_handle_[candidate.handle].second;
  r.offered_case = case_id;
  Reindex(r);
  const bool second = c.stage == Case::Stage::kAssigned;  // its search for a second crew
  if (second) {
    c.second.responder = *candidate.id;
    c.second.offer_expire_time = now + options_.offer_timeout;
    SetSecondStage(case_id, c, Case::Second::Stage::kOffered);
  } else {
    c.responder = *candidate.id;
    c.offer_expire_time = now + options_.offer_timeout;
    SetStage(case_id, c, Case::Stage::kOffered);
  }
  c.offered.insert(*candidate.id);

  Decision offer;
  offer.type = Decision::Type::kOffer;
  offer.case_id = case_id;
  offer.responder_id = *candidate.id;
  offer.distance_meters = candidate.distance_meters;
  offer.eta = Eta(r, c.kind, candidate.distance_meters);
  offer.expire_time = c.OfferExpiry();
  offer.second = second;
  return offer;
}

absl::Duration EngineImpl::Eta(const Responder& r, CaseKind kind, double distance_meters) const {
  const std::optional<double> speed = FastestServingSpeedMps(options_, r.capabilities, kind);
  if (!speed.has_value()) return absl::InfiniteDuration();  // cannot serve: no ETA
  return absl::Seconds(distance_meters / *speed);
}

std::optional<absl::Time> EngineImpl::NextDeadline() const {
  if (expiries_.empty()) return std::nullopt;
  return expiries_.begin()->first;
}

ResponderView EngineImpl::View(const ResponderId& id, const Responder& r) const {
  ResponderView view;
  view.id = id;
  if (!r.on_duty) {
    view.status = ResponderView::Status::kOffDuty;
  } else if (!r.offered_case.empty()) {
    view.status = ResponderView::Status::kOffered;
  } else if (!r.assigned_case.empty()) {
    view.status = ResponderView::Status::kBusy;
  } else {
    view.status = ResponderView::Status::kAvailable;
  }
  view.capabilities = r.capabilities;
  view.position = r.position;
  view.position_time = r.position_time;
  view.current_case = r.offered_case.empty() ? r.assigned_case : r.offered_case;
  return view;
}

std::vector<ResponderView> EngineImpl::Responders() const {
  std::vector<ResponderView> views;
  views.reserve(responders_.size());
  for (const auto& [id, r] : responders_) views.push_back(View(id, r));
  return views;
}

std::optional<ResponderView> EngineImpl::GetResponder(const ResponderId& id) const {
  auto it = responders_.find(id);
  if (it == responders_.end()) return std::nullopt;
  return View(id, it->second);
}

}  // namespace mayday::dispatch
