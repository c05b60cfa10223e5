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
// ties to the longest idle, then the smaller id: the head of Eligible().
std::optional<std::pair<ResponderId, double>> Simulation::Nearest(const ModelCase& c) const {
  auto ranked = Eligible(c);
  if (ranked.empty()) return std::nullopt;
  return std::move(ranked.front());
}

std::vector<std::pair<ResponderId, double>> Simulation::Eligible(const ModelCase& c) const {
  const absl::Time now = clock_.Now();
  std::vector<std::tuple<double, absl::Time, ResponderId>> all;
  for (const auto& [id, r] : responders_) {
    if (!r.on_duty || !r.connected || !r.offered.empty() || !r.assigned.empty()) continue;
    if (!AnyServes(r.capabilities, c.kind) || c.tried.contains(id)) continue;
    if (!r.position.has_value() || now - r.position_time > options_.max_position_age) continue;
    const double d = Geodesic(*r.position, c.location);
    if (d > options_.max_radius_meters) continue;
    all.emplace_back(d, r.idle_since, id);
  }
  std::sort(all.begin(), all.end());
  std::vector<std::pair<ResponderId, double>> out;
  for (const auto& [d, idle, id] : all) out.emplace_back(id, d);
  return out;
}

namespace {

using Ranked = std::vector<std::pair<ResponderId, double>>;

// True if every list in lists[k..] can get its own responder, none in `used`
// (exhaustive backtracking; the simulation's sizes are tiny).
bool Assignable(const std::vector<const Ranked*>& lists, size_t k, std::set<ResponderId>& used) {
  if (k == lists.size()) return true;
  for (const auto& [id, d] : *lists[k]) {
    if (!used.insert(id).second) continue;
    const bool ok = Assignable(lists, k + 1, used);
    used.erase(id);
    if (ok) return true;
  }
  return false;
}

}  // namespace

std::map<CaseId, size_t> Simulation::Plan(const std::vector<CaseId>& order,
                                          const std::map<CaseId, Ranked>& eligible) const {
  // Who is served: down the priority order, a case joins if all can still be
  // served at once.
  std::vector<CaseId> served;
  std::vector<const Ranked*> lists;
  for (const CaseId& id : order) {
    lists.push_back(&eligible.at(id));
    std::set<ResponderId> none;
    if (Assignable(lists, 0, none)) {
      served.push_back(id);
    } else {
      lists.pop_back();
    }
  }
  // Who serves whom: down the priority order, the best-ranked responder that
  // leaves the later served cases a responder each.
  std::map<CaseId, size_t> plan;
  std::set<ResponderId> used;
  for (size_t i = 0; i < served.size(); ++i) {
    const Ranked& ranked = eligible.at(served[i]);
    const std::vector<const Ranked*> rest(lists.begin() + static_cast<long>(i) + 1, lists.end());
    for (size_t j = 0; j < ranked.size(); ++j) {
      if (!used.insert(ranked[j].first).second) continue;
      if (Assignable(rest, 0, used)) {
        plan[served[i]] = j;
        break;
      }
      used.erase(ranked[j].first);
    }
  }
  return plan;
}

std::string Simulation::StepAndCheck() {
  const absl::Time now = clock_.Now();
  for (auto& [id, c] : cases_) {
    if ((c.stage == ModelCase::Stage::kOffered && now >= c.expire_time) ||
        (c.second == ModelCase::Second::kOffered && now >= c.second_expire_time)) {
      EndOffer(id, Decision::EndReason::kExpired);
    }
  }
  const std::vector<Decision> decisions = engine_->Step();
  for (const Decision& d : decisions) trace_.push_back("-> " + testing::Summary(d));

  // Ended offers: exactly those expected, each before anything else
  // about its case.
  std::set<std::tuple<CaseId, ResponderId, Decision::EndReason, bool>> ended;
  std::set<CaseId> decided;
  for (const Decision& d : decisions) {
    if (d.type != Decision::Type::kOfferEnded) {
      decided.insert(d.case_id);
      continue;
    }
    if (decided.contains(d.case_id)) {
      return absl::StrCat("kOfferEnded of ", d.case_id, " after another decision about it");
    }
    if (!ended.insert({d.case_id, d.responder_id, d.end_reason, d.second}).second) {
      return "duplicate kOfferEnded: " + testing::Summary(d);
    }
  }
  if (ended != expected_ended_) {
    std::string want;
    for (const auto& [c, r, why, second] : expected_ended_) {
      absl::StrAppend(&want, c, "/", r, "/", testing::EndReasonName(why), second ? "/second" : "",
                      " ");
    }
    return absl::StrCat("kOfferEnded decisions differ from the expected: ", want);
  }
  expected_ended_.clear();

  // Matching: exactly the model's plan under the surge rule, in priority
  // order.
  std::vector<CaseId> order;
  for (const auto& [id, c] : cases_) {
    if (c.stage == ModelCase::Stage::kWaiting || c.stage == ModelCase::Stage::kEscalated ||
        c.second == ModelCase::Second::kSought) {
      order.push_back(id);
    }
  }
  std::sort(order.begin(), order.end(), [this](const CaseId& a, const CaseId& b) {
    return Urgency(a, cases_.at(a)) < Urgency(b, cases_.at(b));
  });
  std::map<CaseId, Ranked> eligible;
  for (const CaseId& id : order) eligible[id] = Eligible(cases_.at(id));
  const std::map<CaseId, size_t> plan = Plan(order, eligible);
  std::vector<std::string> want;
  for (const CaseId& id : order) {
    if (auto it = plan.find(id); it != plan.end()) {
      if (cases_.at(id).stage == ModelCase::Stage::kEscalated) want.push_back("redispatch " + id);
      want.push_back(absl::StrCat("offer ", id, " -> ", eligible.at(id)[it->second].first,
                                  cases_.at(id).OffersSecond() ? " (second)" : ""));
    } else if (cases_.at(id).stage == ModelCase::Stage::kWaiting) {
      want.push_back("escalate " + id);
    }
  }
  std::vector<std::string> got;
  for (const Decision& d : decisions) {
    if (d.type != Decision::Type::kOfferEnded) got.push_back(testing::Summary(d));
  }
  if (got != want) {
    std::string expected;
    for (const std::string& w : want) absl::StrAppend(&expected, "\n    ", w);
    return "matching differs from the model's (surge rule); expected:" + expected;
  }
  // Rule-independent check: an offer goes to the case's nearest eligible
  // responder unless that one is offered another case in this same step.
  std::set<ResponderId> offered_now;
  for (const Decision& d : decisions) {
    if (d.type == Decision::Type::kOffer) offered_now.insert(d.responder_id);
  }
  CaseId redispatching;
  for (const Decision& d : decisions) {
    if (d.type == Decision::Type::kOfferEnded) continue;
    ModelCase& c = cases_.at(d.case_id);
    switch (d.type) {
      case Decision::Type::kRedispatch:
        redispatching = d.case_id;
        break;
      case Decision::Type::kOffer: {
        redispatching.clear();
        const Ranked& ranked = eligible.at(d.case_id);
        const auto chosen = std::find_if(ranked.begin(), ranked.end(),
                                         [&](const auto& e) { return e.first == d.responder_id; });
        if (chosen == ranked.end()) return "offer to an ineligible responder: " + Summary(d);
        if (chosen != ranked.begin()) {
          if (!offered_now.contains(ranked.front().first)) {
            return absl::StrCat(Summary(d), " but the nearest eligible, ", ranked.front().first,
                                ", is offered nothing");
          }
          ++surge_offers_;
        }
        const ModelResponder& r0 = responders_.at(d.responder_id);
        const double speed = Speed(r0.capabilities, c.kind);
        if (std::abs(d.distance_meters - chosen->second) > 1e-6 ||
            std::abs(absl::ToDoubleSeconds(d.eta) - chosen->second / speed) > 1e-6 ||
            d.expire_time != now + options_.offer_timeout) {
          return absl::StrCat(testing::Summary(d), " has distance ", d.distance_meters,
                              " (expected ", chosen->second, "), eta ", absl::FormatDuration(d.eta),
                              ", or a wrong expiry");
        }
        ModelResponder& r = responders_.at(d.responder_id);
        r.offered = d.case_id;
        if (c.OffersSecond()) {
          c.second = ModelCase::Second::kOffered;
          c.second_responder = d.responder_id;
          c.second_expire_time = d.expire_time;
          ++second_offers_;
        } else {
          c.stage = ModelCase::Stage::kOffered;
          c.responder = d.responder_id;
          c.expire_time = d.expire_time;
        }
        c.tried.insert(d.responder_id);
        ++offers_;
        break;
      }
      case Decision::Type::kEscalate:
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
        if (c.second == ModelCase::Second::kSought) {
          if (auto nearest = Nearest(c); nearest.has_value()) {
            return absl::StrCat("the search for a second crew of ", id, " left alone though ",
                                nearest->first, " is eligible");
          }
        } else if (c.second == ModelCase::Second::kOffered &&
                   (!earliest.has_value() || c.second_expire_time < *earliest)) {
          earliest = c.second_expire_time;
        }
        break;
      case ModelCase::Stage::kHeld:
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
  std::map<CaseId, int> held;  // how many responders hold each case
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
    if (!v.current_case.empty()) ++held[v.current_case];
    if (v.capabilities != r.capabilities) return "capabilities differ for " + id;
  }
  for (const auto& [id, c] : cases_) {
    // Its crew or offer, and a second crew or its offer.
    const int holders =
        (c.stage == ModelCase::Stage::kOffered || c.stage == ModelCase::Stage::kAssigned ? 1 : 0) +
        (c.second == ModelCase::Second::kOffered || c.second == ModelCase::Second::kAssigned ? 1
                                                                                             : 0);
    const auto found = held.find(id);
    if ((found == held.end() ? 0 : found->second) != holders) {
      return absl::StrCat("case ", id, " is held by ", found == held.end() ? 0 : found->second,
                          " responders, model says ", holders);
    }
  }
  return "";
}

}  // namespace mayday::dispatch::testing
