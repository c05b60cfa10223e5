// The simulation's checks: after each Step(), every decision against a brute
// force over the model, and the engine's views against the model's state.
#include <algorithm>
#include <cmath>
#include <iterator>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dispatch_test_util.h"
#include "simulation.h"

namespace mayday::dispatch::testing {

bool Simulation::AnyServes(const std::vector<Capability>& capabilities, CaseKind kind) {
  return std::any_of(capabilities.begin(), capabilities.end(),
                     [kind](Capability c) { return Serves(c, kind); });
}

double Simulation::Speed(const std::vector<Capability>& capabilities, CaseKind kind) const {
  double speed = 0;
  for (Capability c : capabilities) {
    if (!Serves(c, kind)) continue;
    const double s = c == Capability::kTow         ? options_.tow_speed_mps
                     : c == Capability::kPatrol    ? options_.patrol_speed_mps
                     : c == Capability::kMechanic  ? options_.mechanic_speed_mps
                     : c == Capability::kAmbulance ? options_.ambulance_speed_mps
                                                   : options_.paramedic_speed_mps;
    speed = std::max(speed, s);
  }
  return speed;
}

// Brute force: the eligible responder for `c` nearest by WGS84 geodesic,
// ties to the longest idle, then the smaller id.
std::optional<std::pair<ResponderId, double>> Simulation::Nearest(const ModelCase& c) const {
  const absl::Time now = clock_.Now();
  std::optional<std::tuple<double, absl::Time, ResponderId>> best;
  for (const auto& [id, r] : responders_) {
    if (!r.on_duty || !r.connected || !r.offered.empty() || !r.assigned.empty()) continue;
    if (!AnyServes(r.capabilities, c.kind) || c.tried.contains(id)) continue;
    if (!r.position.has_value() || now - r.position_time > options_.max_position_age) continue;
    const double d = Geodesic(*r.position, c.location);
    if (d > options_.max_radius_meters) continue;
    const std::tuple<double, absl::Time, ResponderId> key{d, r.idle_since, id};
    if (!best.has_value() || key < *best) best = key;
  }
  if (!best.has_value()) return std::nullopt;
  return std::make_pair(std::get<2>(*best), std::get<0>(*best));
}

std::string Simulation::StepAndCheck() {
  const absl::Time now = clock_.Now();
  for (auto& [id, c] : cases_) {
    if (c.stage == ModelCase::Stage::kOffered && now >= c.expire_time) {
      EndOffer(id, Decision::EndReason::kExpired);
    }
  }
  const std::vector<Decision> decisions = engine_->Step();
  for (const Decision& d : decisions) trace_.push_back("-> " + testing::Summary(d));

  // Ended offers: exactly those expected, each before anything else
  // about its case.
  std::set<std::tuple<CaseId, ResponderId, Decision::EndReason>> ended;
  std::set<CaseId> decided;
  for (const Decision& d : decisions) {
    if (d.type != Decision::Type::kOfferEnded) {
      decided.insert(d.case_id);
      continue;
    }
    if (decided.contains(d.case_id)) {
      return absl::StrCat("kOfferEnded of ", d.case_id, " after another decision about it");
    }
    if (!ended.insert({d.case_id, d.responder_id, d.end_reason}).second) {
      return "duplicate kOfferEnded: " + testing::Summary(d);
    }
  }
  if (ended != expected_ended_) {
    std::string want;
    for (const auto& [c, r, why] : expected_ended_) {
      absl::StrAppend(&want, c, "/", r, "/", testing::EndReasonName(why), " ");
    }
    return absl::StrCat("kOfferEnded decisions differ from the expected: ", want);
  }
  expected_ended_.clear();

  // Matching, in order.
  std::optional<std::tuple<bool, absl::Time, CaseId>> last_urgency;
  CaseId redispatching;
  for (const Decision& d : decisions) {
    if (d.type == Decision::Type::kOfferEnded) continue;
    auto it = cases_.find(d.case_id);
    if (it == cases_.end()) return "decision about an unknown case: " + testing::Summary(d);
    ModelCase& c = it->second;
    if (!redispatching.empty() &&
        (d.type != Decision::Type::kOffer || d.case_id != redispatching)) {
      return "kRedispatch not followed by its kOffer: " + testing::Summary(d);
    }
    const auto urgency = Urgency(d.case_id, c);
    if (last_urgency.has_value() && urgency < *last_urgency) {
      return "case matched out of order (medical first, then oldest): " + d.case_id;
    }
    last_urgency = urgency;
    const std::optional<std::pair<ResponderId, double>> nearest = Nearest(c);
    switch (d.type) {
      case Decision::Type::kRedispatch:
        if (c.stage != ModelCase::Stage::kEscalated) {
          return "kRedispatch of a case that is not escalated: " + d.case_id;
        }
        redispatching = d.case_id;
        break;
      case Decision::Type::kOffer: {
        const bool was_escalated = c.stage == ModelCase::Stage::kEscalated;
        if (c.stage != ModelCase::Stage::kWaiting &&
            !(was_escalated && redispatching == d.case_id)) {
          return "kOffer of a case that is not waiting: " + testing::Summary(d);
        }
        redispatching.clear();
        if (!nearest.has_value() || nearest->first != d.responder_id) {
          return absl::StrCat(testing::Summary(d), " but the nearest eligible is ",
                              nearest.has_value() ? nearest->first : "nobody");
        }
        const ModelResponder& r0 = responders_.at(d.responder_id);
        const double speed = Speed(r0.capabilities, c.kind);
        if (std::abs(d.distance_meters - nearest->second) > 1e-6 ||
            std::abs(absl::ToDoubleSeconds(d.eta) - nearest->second / speed) > 1e-6 ||
            d.expire_time != now + options_.offer_timeout) {
          return absl::StrCat(testing::Summary(d), " has distance ", d.distance_meters,
                              " (expected ", nearest->second, "), eta ",
                              absl::FormatDuration(d.eta), ", or a wrong expiry");
        }
        ModelResponder& r = responders_.at(d.responder_id);
        r.offered = d.case_id;
        c.stage = ModelCase::Stage::kOffered;
        c.responder = d.responder_id;
        c.expire_time = d.expire_time;
        c.tried.insert(d.responder_id);
        ++offers_;
        break;
      }
      case Decision::Type::kEscalate:
        if (c.stage != ModelCase::Stage::kWaiting) {
          return "kEscalate of a case that is not waiting: " + d.case_id;
        }
        if (nearest.has_value()) {
          return absl::StrCat("escalated ", d.case_id, " though ", nearest->first, " is eligible");
        }
        if (d.reason.empty()) return "kEscalate without a reason: " + d.case_id;
        c.stage = ModelCase::Stage::kEscalated;
        ++escalations_;
        break;
      case Decision::Type::kOfferEnded:
        break;
    }
  }
  if (!redispatching.empty()) return "kRedispatch without kOffer: " + redispatching;
  return CheckInvariants();
}

// The state after Step(), compared with the engine's views.
std::string Simulation::CheckInvariants() {
  std::optional<absl::Time> earliest;
  for (auto& [id, c] : cases_) {
    switch (c.stage) {
      case ModelCase::Stage::kWaiting:
        return "case left waiting after Step(): " + id;
      case ModelCase::Stage::kEscalated:
        if (auto nearest = Nearest(c); nearest.has_value()) {
          return absl::StrCat("escalated case ", id, " left alone though ", nearest->first,
                              " is eligible");
        }
        break;
      case ModelCase::Stage::kOffered:
        if (!earliest.has_value() || c.expire_time < *earliest) earliest = c.expire_time;
        break;
      case ModelCase::Stage::kAssigned:
        break;
    }
    // No case lost: the engine still knows it (a no-op move).
    if (absl::Status s = engine_->MoveCase(id, c.location); !s.ok()) {
      return absl::StrCat("the engine lost case ", id, ": ", s.ToString());
    }
  }
  if (engine_->NextDeadline() != earliest) return "NextDeadline is not the earliest expiry";

  const std::vector<ResponderView> views = engine_->Responders();
  if (views.size() != responders_.size()) {
    return absl::StrCat("engine knows ", views.size(), " responders, model ", responders_.size());
  }
  std::set<CaseId> held;
  auto model_it = responders_.begin();
  for (const ResponderView& v : views) {
    const auto& [id, r] = *model_it++;
    if (v.id != id) return absl::StrCat("Responders() out of order at ", v.id);
    const ResponderView::Status status = !r.on_duty            ? ResponderView::Status::kOffDuty
                                         : !r.offered.empty()  ? ResponderView::Status::kOffered
                                         : !r.assigned.empty() ? ResponderView::Status::kBusy
                                                               : ResponderView::Status::kAvailable;
    const CaseId current = r.offered.empty() ? r.assigned : r.offered;
    if (v.status != status || v.current_case != current) {
      return absl::StrCat("responder ", id, " is in state ", static_cast<int>(v.status), " with '",
                          v.current_case, "', model says ", static_cast<int>(status), " with '",
                          current, "'");
    }
    if (!r.offered.empty() && !r.assigned.empty()) {
      return "model responder holds an offer and a case: " + id;
    }
    if (!v.current_case.empty() && !held.insert(v.current_case).second) {
      return "two responders hold case " + v.current_case;
    }
    if (v.capabilities != r.capabilities) return "capabilities differ for " + id;
  }
  for (const auto& [id, c] : cases_) {
    const bool has_holder =
        c.stage == ModelCase::Stage::kOffered || c.stage == ModelCase::Stage::kAssigned;
    if (has_holder != held.contains(id)) return "case without its holder: " + id;
  }
  return "";
}

}  // namespace mayday::dispatch::testing
