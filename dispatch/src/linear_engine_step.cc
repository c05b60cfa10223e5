// LinearEngine: time and matching (Step), deadlines, and the operators' views.
#include <algorithm>
#include <tuple>
#include <utility>

#include "capability.h"
#include "geo.h"
#include "linear_engine.h"

namespace mayday::dispatch {

std::vector<Decision> LinearEngine::Step() {
  const absl::Time now = clock_->Now();

  // 1. Offers lapse, earliest first (then by case id, for determinism).
  std::vector<std::pair<absl::Time, CaseId>> lapsed;
  for (const auto& [id, c] : cases_) {
    if (c.stage == Case::Stage::kOffered && now >= c.offer_expire_time) {
      lapsed.emplace_back(c.offer_expire_time, id);
    }
  }
  std::sort(lapsed.begin(), lapsed.end());
  for (const auto& [expire_time, id] : lapsed) {
    EndOffer(id, cases_.at(id), Decision::EndReason::kExpired, now);
  }
  std::vector<Decision> decisions = std::move(ended_offers_);
  ended_offers_.clear();

  // 2. Cases without a responder are matched medical first, then oldest first.
  std::vector<std::tuple<bool, absl::Time, const CaseId*>> waiting;
  for (const auto& [id, c] : cases_) {
    if (c.stage == Case::Stage::kWaiting || c.stage == Case::Stage::kEscalated) {
      waiting.emplace_back(c.kind != CaseKind::kMedical, c.raised_time, &id);
    }
  }
  std::sort(waiting.begin(), waiting.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), std::get<1>(a), *std::get<2>(a)) <
           std::tie(std::get<0>(b), std::get<1>(b), *std::get<2>(b));
  });
  for (const auto& entry : waiting) {
    const CaseId& id = *std::get<2>(entry);
    Case& c = cases_.at(id);
    std::optional<Candidate> nearest = NearestEligible(c, now);
    if (nearest.has_value()) {
      if (c.stage == Case::Stage::kEscalated) {
        Decision redispatch;
        redispatch.type = Decision::Type::kRedispatch;
        redispatch.case_id = id;
        decisions.push_back(std::move(redispatch));
      }
      decisions.push_back(MakeOffer(id, c, *nearest, now));
    } else if (c.stage == Case::Stage::kWaiting) {
      c.stage = Case::Stage::kEscalated;
      Decision escalate;
      escalate.type = Decision::Type::kEscalate;
      escalate.case_id = id;
      escalate.reason =
          EscalationReason(c.kind, options_.max_radius_meters, TallyIneligible(c, now));
      decisions.push_back(std::move(escalate));
    }
    // An escalated case with still nobody eligible stays escalated, silently.
  }
  return decisions;
}

bool LinearEngine::IsEligible(const ResponderId& id, const Responder& r, const Case& c,
                              absl::Time now, double* distance) const {
  if (!r.on_duty || !r.connected || !r.offered_case.empty() || !r.assigned_case.empty()) {
    return false;
  }
  if (!AnyServes(r.capabilities, c.kind)) return false;
  if (!r.position.has_value() || now - r.position_time > options_.max_position_age) {
    return false;
  }
  if (c.offered.contains(id)) return false;
  const double meters = GeodesicDistanceMeters(*r.position, c.location);
  if (!(meters <= options_.max_radius_meters)) return false;
  *distance = meters;
  return true;
}

std::optional<LinearEngine::Candidate> LinearEngine::NearestEligible(const Case& c,
                                                                     absl::Time now) const {
  std::optional<Candidate> best;
  absl::Time best_idle_since;
  // responders_ is ordered by id, so among equals the first seen has the
  // smaller id and a later one replaces it only if strictly better.
  for (const auto& [id, r] : responders_) {
    double distance = 0;
    if (!IsEligible(id, r, c, now, &distance)) continue;
    if (!best.has_value() || distance < best->distance_meters ||
        (distance == best->distance_meters && r.idle_since < best_idle_since)) {
      best = Candidate{id, distance};
      best_idle_since = r.idle_since;
    }
  }
  return best;
}

CandidateTally LinearEngine::TallyIneligible(const Case& c, absl::Time now) const {
  CandidateTally tally;
  tally.offered = static_cast<int>(c.offered.size());
  for (const auto& [id, r] : responders_) {
    if (!r.on_duty || !AnyServes(r.capabilities, c.kind) || c.offered.contains(id)) continue;
    if (!r.position.has_value() || now - r.position_time > options_.max_position_age) {
      ++tally.without_fix;
    } else if (GeodesicDistanceMeters(*r.position, c.location) > options_.max_radius_meters) {
      continue;  // out of range: what "within N km" already says
    } else if (!r.offered_case.empty() || !r.assigned_case.empty()) {
      ++tally.busy;
    } else if (!r.connected) {
      ++tally.not_connected;
    }
  }
  return tally;
}

Decision LinearEngine::MakeOffer(const CaseId& case_id, Case& c, const Candidate& candidate,
                                 absl::Time now) {
  Responder& r = responders_.at(candidate.id);
  r.offered_case = case_id;
  c.stage = Case::Stage::kOffered;
  c.responder = candidate.id;
  c.offer_expire_time = now + options_.offer_timeout;
  c.offered.insert(candidate.id);

  Decision offer;
  offer.type = Decision::Type::kOffer;
  offer.case_id = case_id;
  offer.responder_id = candidate.id;
  offer.distance_meters = candidate.distance_meters;
  offer.eta = Eta(r, c.kind, candidate.distance_meters);
  offer.expire_time = c.offer_expire_time;
  return offer;
}

absl::Duration LinearEngine::Eta(const Responder& r, CaseKind kind, double distance_meters) const {
  const std::optional<double> speed = FastestServingSpeedMps(options_, r.capabilities, kind);
  if (!speed.has_value()) return absl::InfiniteDuration();  // cannot serve: no ETA
  return absl::Seconds(distance_meters / *speed);
}

std::optional<absl::Time> LinearEngine::NextDeadline() const {
  std::optional<absl::Time> earliest;
  for (const auto& [id, c] : cases_) {
    if (c.stage != Case::Stage::kOffered) continue;
    if (!earliest.has_value() || c.offer_expire_time < *earliest) earliest = c.offer_expire_time;
  }
  return earliest;
}

ResponderView LinearEngine::View(const ResponderId& id, const Responder& r) const {
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

std::vector<ResponderView> LinearEngine::Responders() const {
  std::vector<ResponderView> views;
  views.reserve(responders_.size());
  for (const auto& [id, r] : responders_) views.push_back(View(id, r));
  return views;
}

std::optional<ResponderView> LinearEngine::GetResponder(const ResponderId& id) const {
  auto it = responders_.find(id);
  if (it == responders_.end()) return std::nullopt;
  return View(id, it->second);
}

}  // namespace mayday::dispatch
