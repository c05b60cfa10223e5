// The simulation's driver: random inputs to the engine, each mirrored in the
// model with the status the engine must return.
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

Simulation::Simulation(uint32_t seed) : rng_(seed), place_(static_cast<int>(seed % 4)) {
  options_.max_radius_meters = 15'000;
  options_.offer_timeout = absl::Seconds(30);
  options_.max_position_age = absl::Minutes(2);
  auto engine = Engine::Create(options_, &clock_);
  REQUIRE(engine.ok());
  engine_ = std::move(*engine);
}

// Applies a few random inputs, advances the clock, steps the engine and
// checks everything. Returns the first violation found, or "".
std::string Simulation::RunStep() {
  trace_.clear();
  const int inputs = Uniform(1, 4);
  for (int i = 0; i < inputs; ++i) {
    // Time also passes between inputs, so that answers and disconnects
    // sometimes come after an offer lapsed but before Step() noticed.
    if (Chance(0.3)) Advance();
    std::string failure = RandomInput();
    if (!failure.empty()) return failure;
  }
  Advance();
  return StepAndCheck();
}

// What happened in the current step, for the failure report.
std::string Simulation::Trace() const {
  std::string out;
  for (const std::string& line : trace_) absl::StrAppend(&out, "  ", line, "\n");
  return out;
}

void Simulation::Advance() {
  const absl::Duration d = absl::Seconds(Uniform(0, 15));
  trace_.push_back(absl::StrCat("Advance(", absl::FormatDuration(d), ")"));
  clock_.Advance(d);
}

// Positions on an 8 x 8 grid (about 3.3 km apart near Munich) so that equal
// distances, and so tie-breaks, happen often; sometimes off the grid. The
// seed picks the place: Munich, across the antimeridian, around the north
// pole or around the south pole (where the grid is in latitude rings and
// longitude spokes).
GeoPoint Simulation::RandomPoint() {
  const bool off_grid = Chance(0.1);
  const double u = off_grid ? std::uniform_real_distribution<double>(0, 7)(rng_) : Uniform(0, 7);
  const double v = off_grid ? std::uniform_real_distribution<double>(0, 7)(rng_) : Uniform(0, 7);
  switch (place_) {
    case 1: {  // longitudes 179.85 .. -179.83 (wrapped)
      double lon = 179.85 + 0.045 * v;
      if (lon > 180) lon -= 360;
      return {-16.9 + 0.03 * u, lon};
    }
    case 2:  // latitudes 89.90 .. 89.97, any longitude
      return {89.9 + 0.01 * u, -180 + 51.4 * v};
    case 3:
      return {-89.9 - 0.01 * u, -180 + 51.4 * v};
    default:
      return {48.0 + 0.03 * u, 11.0 + 0.045 * v};
  }
}

std::vector<Capability> Simulation::RandomCapabilities() {
  std::vector<Capability> out;
  for (Capability c : {Capability::kTow, Capability::kPatrol, Capability::kMechanic,
                       Capability::kAmbulance, Capability::kParamedic}) {
    if (Chance(0.35)) out.push_back(c);
  }
  if (out.empty()) out.push_back(Chance(0.5) ? Capability::kTow : Capability::kAmbulance);
  return out;
}

// An open case id, or an unknown one now and then.
CaseId Simulation::RandomCase() {
  if (cases_.empty() || Chance(0.05)) return "c-unknown";
  auto it = cases_.begin();
  std::advance(it, Uniform(0, static_cast<int>(cases_.size()) - 1));
  return it->first;
}

// The model's side of an offer ending: lapsed offers end as expired.
void Simulation::EndOffer(const CaseId& id, Decision::EndReason reason) {
  const absl::Time now = clock_.Now();
  ModelCase& c = cases_.at(id);
  const bool second = c.OffersSecond();
  const ResponderId holder = second ? c.second_responder : c.responder;
  const absl::Time expire = second ? c.second_expire_time : c.expire_time;
  ModelResponder& r = responders_.at(holder);
  absl::Time freed_at = now;
  if (now >= expire) {
    reason = Decision::EndReason::kExpired;
    freed_at = expire;
  }
  expected_ended_.insert({id, holder, reason, second});
  if (reason == Decision::EndReason::kWithdrawn || reason == Decision::EndReason::kMemberMoved) {
    c.tried.erase(holder);
  }
  r.offered.clear();
  r.idle_since = freed_at;
  if (second) {  // the search goes on
    c.second = ModelCase::Second::kSought;
    c.second_responder.clear();
  } else {
    c.stage = ModelCase::Stage::kWaiting;
    c.responder.clear();
  }
}

std::string Simulation::Mismatch(const char* what, absl::StatusCode want, const absl::Status& got) {
  if (got.code() == want) return "";
  return absl::StrCat(what, ": expected ", absl::StatusCodeToString(want), ", got ",
                      got.ToString());
}

std::string Simulation::RandomInput() {
  const absl::Time now = clock_.Now();
  const int what = Uniform(0, 117);
  if (what >= 110) return SecondCrewInput(what);
  if (what >= 100) return OperatorInput(what);
  if (what < 15) {  // on duty, or new capabilities
    const ResponderId id = RandomResponder();
    std::vector<Capability> caps = RandomCapabilities();
    trace_.push_back(absl::StrCat("SetDuty(", id, ", on, ", caps.size(), " capabilities)"));
    const absl::Status s = engine_->SetDuty(id, true, caps);
    std::sort(caps.begin(), caps.end());
    ModelResponder& r = responders_[id];
    r.capabilities = caps;
    if (!r.on_duty) {
      r.on_duty = true;
      r.idle_since = now;
    }
    if (!r.offered.empty() && !AnyServes(caps, cases_.at(r.offered).kind)) {
      EndOffer(r.offered, Decision::EndReason::kResponderUnavailable);
    }
    return Mismatch("SetDuty on", absl::StatusCode::kOk, s);
  }
  if (what < 22) {  // off duty
    const ResponderId id = RandomResponder();
    trace_.push_back(absl::StrCat("SetDuty(", id, ", off)"));
    const absl::Status s = engine_->SetDuty(id, false, {});
    auto it = responders_.find(id);
    if (it != responders_.end() && !it->second.assigned.empty()) {
      return Mismatch("SetDuty off while assigned", absl::StatusCode::kFailedPrecondition, s);
    }
    ModelResponder& r = responders_[id];
    r.capabilities.clear();
    if (!r.offered.empty()) EndOffer(r.offered, Decision::EndReason::kResponderUnavailable);
    r.on_duty = false;
    return Mismatch("SetDuty off", absl::StatusCode::kOk, s);
  }
  if (what < 45) {  // position report, sometimes late or stale
    const ResponderId id = RandomResponder();
    const GeoPoint p = RandomPoint();
    const absl::Time fix = now - absl::Seconds(Chance(0.8) ? Uniform(0, 10) : Uniform(0, 200));
    trace_.push_back(absl::StrCat("UpdatePosition(", id, ", ", p.latitude_deg, ", ",
                                  p.longitude_deg, ", age ", absl::FormatDuration(now - fix), ")"));
    const absl::Status s = engine_->UpdatePosition(id, p, fix);
    auto it = responders_.find(id);
    if (it == responders_.end()) {
      return Mismatch("UpdatePosition unknown", absl::StatusCode::kNotFound, s);
    }
    ModelResponder& r = it->second;
    if (!r.position.has_value() || fix >= r.position_time) {
      r.position = p;
      r.position_time = fix;
    }
    return Mismatch("UpdatePosition", absl::StatusCode::kOk, s);
  }
  if (what < 50) {  // push stream drops
    const ResponderId id = RandomResponder();
    trace_.push_back(absl::StrCat("ResponderDisconnected(", id, ")"));
    engine_->ResponderDisconnected(id);
    auto it = responders_.find(id);
    if (it != responders_.end()) {
      it->second.connected = false;
      if (!it->second.offered.empty()) {
        EndOffer(it->second.offered, Decision::EndReason::kResponderUnavailable);
      }
    }
    return "";
  }
  if (what < 56) {  // push stream back
    const ResponderId id = RandomResponder();
    trace_.push_back(absl::StrCat("ResponderConnected(", id, ")"));
    engine_->ResponderConnected(id);
    if (auto it = responders_.find(id); it != responders_.end()) it->second.connected = true;
    return "";
  }
  if (what < 70) {  // a member presses the button
    if (static_cast<int>(cases_.size()) >= kMaxOpenCases) return "";
    const CaseId id = absl::StrCat("c-", next_case_++);
    ModelCase c;
    c.kind = Chance(0.5) ? CaseKind::kMedical : CaseKind::kRoad;
    c.location = RandomPoint();
    // Raised a little in the past (the alert travelled), sometimes at the
    // same instant as another, so that id breaks the tie.
    c.raised_time = now - absl::Seconds(5 * Uniform(0, 3));
    const bool restored = Chance(0.05);
    if (restored) {
      const ResponderId rid = RandomResponder();
      trace_.push_back(absl::StrCat("AddAssignedCase(", id, ", ", rid, ")"));
      const absl::Status s = engine_->AddAssignedCase(id, c.kind, c.location, c.raised_time, rid);
      auto it = responders_.find(rid);
      if (it != responders_.end() &&
          (!it->second.offered.empty() || !it->second.assigned.empty())) {
        return Mismatch("AddAssignedCase busy", absl::StatusCode::kFailedPrecondition, s);
      }
      ModelResponder& r = responders_[rid];
      r.on_duty = true;
      r.assigned = id;
      c.stage = ModelCase::Stage::kAssigned;
      c.responder = rid;
      cases_[id] = c;
      return Mismatch("AddAssignedCase", absl::StatusCode::kOk, s);
    }
    trace_.push_back(
        absl::StrCat("AddCase(", id, ", ", c.kind == CaseKind::kMedical ? "medical" : "road", ")"));
    if (Chance(0.1)) {  // restored after a restart: some responders already tried
      std::vector<ResponderId> tried;
      for (int i = Uniform(1, 4); i > 0; --i) tried.push_back(RandomResponder());
      tried.push_back("r-gone");
      c.tried.insert(tried.begin(), tried.end());
      trace_.back() += absl::StrCat(" tried ", tried.size());
      cases_[id] = c;
      return Mismatch("AddCase tried", absl::StatusCode::kOk,
                      engine_->AddCase(id, c.kind, c.location, c.raised_time, tried));
    }
    cases_[id] = c;
    return Mismatch("AddCase", absl::StatusCode::kOk,
                    engine_->AddCase(id, c.kind, c.location, c.raised_time));
  }
  if (what < 76) {  // resolved or cancelled
    const CaseId id = RandomCase();
    trace_.push_back(absl::StrCat("CloseCase(", id, ")"));
    const std::optional<ResponderId> holder = engine_->CloseCase(id);
    std::optional<ResponderId> expected;
    if (auto it = cases_.find(id); it != cases_.end()) {
      ModelCase& c = it->second;
      if (c.stage == ModelCase::Stage::kOffered) {
        expected = c.responder;
        ModelResponder& r = responders_.at(c.responder);
        r.offered.clear();
        r.idle_since = std::min(now, c.expire_time);
      } else if (c.stage == ModelCase::Stage::kAssigned) {
        ModelResponder& r = responders_.at(c.responder);
        r.assigned.clear();
        r.idle_since = now;
        // Both crews are free, or the second crew's offer ends with the case.
        if (c.second == ModelCase::Second::kOffered) {
          expected = c.second_responder;
          ModelResponder& s = responders_.at(c.second_responder);
          s.offered.clear();
          s.idle_since = std::min(now, c.second_expire_time);
        } else if (c.second == ModelCase::Second::kAssigned) {
          ModelResponder& s = responders_.at(c.second_responder);
          s.assigned.clear();
          s.idle_since = now;
        }
      }
      std::erase_if(expected_ended_, [&id](const auto& e) { return std::get<0>(e) == id; });
      cases_.erase(it);
    }
    if (holder != expected) {
      return absl::StrCat("CloseCase(", id, ") returned ", holder.value_or("nothing"),
                          ", expected ", expected.value_or("nothing"));
    }
    return "";
  }
  if (what < 80) {  // the member moved
    const CaseId id = RandomCase();
    const GeoPoint p = RandomPoint();
    trace_.push_back(absl::StrCat("MoveCase(", id, ")"));
    const absl::Status s = engine_->MoveCase(id, p);
    auto it = cases_.find(id);
    if (it == cases_.end()) return Mismatch("MoveCase unknown", absl::StatusCode::kNotFound, s);
    ModelCase& c = it->second;
    const bool moved =
        c.location.latitude_deg != p.latitude_deg || c.location.longitude_deg != p.longitude_deg;
    c.location = p;
    // An unanswered offer ends when another eligible crew is now clearly
    // nearer (the holder's last position counts, however old).
    if (moved && c.stage == ModelCase::Stage::kOffered && clock_.Now() < c.expire_time) {
      const ModelResponder& holder = responders_.at(c.responder);
      const auto nearest = Nearest(c);
      if (holder.position.has_value() && nearest.has_value() &&
          nearest->second + options_.reoffer_min_gain_meters <= Geodesic(*holder.position, p)) {
        EndOffer(id, Decision::EndReason::kMemberMoved);
      }
    }
    return Mismatch("MoveCase", absl::StatusCode::kOk, s);
  }
  // Answers: mostly from responders that hold an offer, sometimes wrong.
  ResponderId rid = RandomResponder();
  CaseId cid = RandomCase();
  std::vector<ResponderId> holders;
  for (const auto& [id, r] : responders_) {
    if (!r.offered.empty()) holders.push_back(id);
  }
  if (!holders.empty() && Chance(0.85)) {
    rid = holders[Uniform(0, static_cast<int>(holders.size()) - 1)];
    cid = responders_.at(rid).offered;
  }
  auto r_it = responders_.find(rid);
  auto c_it = cases_.find(cid);
  const bool holds = r_it != responders_.end() && c_it != cases_.end() &&
                     r_it->second.offered == cid &&
                     now < (c_it->second.OffersSecond() ? c_it->second.second_expire_time
                                                        : c_it->second.expire_time);
  if (what < 92) {
    trace_.push_back(absl::StrCat("Accept(", rid, ", ", cid, ")"));
    const absl::StatusOr<Assignment> a = engine_->Accept(rid, cid);
    if (!holds) {
      return Mismatch("Accept without offer", absl::StatusCode::kFailedPrecondition, a.status());
    }
    if (!a.ok()) return Mismatch("Accept", absl::StatusCode::kOk, a.status());
    ModelResponder& r = r_it->second;
    ModelCase& c = c_it->second;
    const double distance = Geodesic(*r.position, c.location);
    const bool second = c.OffersSecond();
    if (a->second != second) return absl::StrCat("Accept(", rid, ", ", cid, ") second crew?");
    if (std::abs(a->distance_meters - distance) > 1e-6 ||
        std::abs(absl::ToDoubleSeconds(a->eta) - distance / Speed(r.capabilities, c.kind)) > 1e-6) {
      return absl::StrCat("Accept(", rid, ", ", cid, ") distance ", a->distance_meters, " eta ",
                          absl::FormatDuration(a->eta), ", expected distance ", distance);
    }
    r.offered.clear();
    r.assigned = cid;
    if (second) {
      c.second = ModelCase::Second::kAssigned;
      ++second_accepts_;
    } else {
      c.stage = ModelCase::Stage::kAssigned;
    }
    ++accepts_;
    return "";
  }
  trace_.push_back(absl::StrCat("Decline(", rid, ", ", cid, ")"));
  const absl::Status s = engine_->Decline(rid, cid);
  if (!holds) return Mismatch("Decline without offer", absl::StatusCode::kFailedPrecondition, s);
  EndOffer(cid, Decision::EndReason::kDeclined);
  return Mismatch("Decline", absl::StatusCode::kOk, s);
}

// Second crews: a stall asks for one (SeekSecond), an agent keeps a crew
// (KeepResponder): the case's crew, its second crew, or anyone.
std::string Simulation::SecondCrewInput(int what) {
  const CaseId id = RandomCase();
  auto it = cases_.find(id);
  if (what < 114) {
    trace_.push_back(absl::StrCat("SeekSecond(", id, ")"));
    const absl::Status s = engine_->SeekSecond(id);
    if (it == cases_.end()) return Mismatch("SeekSecond unknown", absl::StatusCode::kNotFound, s);
    ModelCase& c = it->second;
    if (c.stage != ModelCase::Stage::kAssigned || c.second != ModelCase::Second::kNone) {
      return Mismatch("SeekSecond refused", absl::StatusCode::kFailedPrecondition, s);
    }
    c.second = ModelCase::Second::kSought;
    return Mismatch("SeekSecond", absl::StatusCode::kOk, s);
  }
  ResponderId rid = RandomResponder();
  if (it != cases_.end() && Chance(0.8)) {
    rid = Chance(0.5) || it->second.second_responder.empty() ? it->second.responder
                                                             : it->second.second_responder;
  }
  trace_.push_back(absl::StrCat("KeepResponder(", id, ", ", rid, ")"));
  const absl::StatusOr<std::optional<ResponderId>> released = engine_->KeepResponder(id, rid);
  if (it == cases_.end()) {
    return Mismatch("KeepResponder unknown", absl::StatusCode::kNotFound, released.status());
  }
  ModelCase& c = it->second;
  const bool second_assigned = c.second == ModelCase::Second::kAssigned;
  if (c.stage != ModelCase::Stage::kAssigned || c.second == ModelCase::Second::kNone ||
      (rid != c.responder && !(second_assigned && rid == c.second_responder))) {
    return Mismatch("KeepResponder refused", absl::StatusCode::kFailedPrecondition,
                    released.status());
  }
  if (!released.ok()) return Mismatch("KeepResponder", absl::StatusCode::kOk, released.status());
  std::optional<ResponderId> expected;
  if (c.second == ModelCase::Second::kOffered) EndOffer(id, Decision::EndReason::kWithdrawn);
  if (second_assigned) {
    expected = rid == c.responder ? c.second_responder : c.responder;
    ModelResponder& r = responders_.at(*expected);
    r.assigned.clear();
    r.idle_since = clock_.Now();
    c.responder = rid;
  }
  c.second = ModelCase::Second::kNone;
  c.second_responder.clear();
  ++crews_kept_;
  if (*released != expected) {
    return absl::StrCat("KeepResponder(", id, ", ", rid, ") released ",
                        released->value_or("nobody"), ", expected ", expected.value_or("nobody"));
  }
  return "";
}

// Care agents: hold, release, assign by hand.
std::string Simulation::OperatorInput(int what) {
  const CaseId id = RandomCase();
  auto it = cases_.find(id);
  if (what < 104) {
    trace_.push_back(absl::StrCat("Hold(", id, ")"));
    const absl::Status s = engine_->Hold(id);
    if (it == cases_.end()) return Mismatch("Hold unknown", absl::StatusCode::kNotFound, s);
    ModelCase& c = it->second;
    if (c.stage == ModelCase::Stage::kAssigned) {
      return Mismatch("Hold assigned", absl::StatusCode::kFailedPrecondition, s);
    }
    if (c.stage == ModelCase::Stage::kOffered) EndOffer(id, Decision::EndReason::kWithdrawn);
    c.stage = ModelCase::Stage::kHeld;
    ++holds_;
    return Mismatch("Hold", absl::StatusCode::kOk, s);
  }
  if (what < 107) {
    trace_.push_back(absl::StrCat("Release(", id, ")"));
    const absl::Status s = engine_->Release(id);
    if (it == cases_.end()) return Mismatch("Release unknown", absl::StatusCode::kNotFound, s);
    ModelCase& c = it->second;
    if (c.stage != ModelCase::Stage::kHeld) {
      return Mismatch("Release not held", absl::StatusCode::kFailedPrecondition, s);
    }
    c.stage = ModelCase::Stage::kWaiting;
    return Mismatch("Release", absl::StatusCode::kOk, s);
  }
  const ResponderId rid = RandomResponder();
  trace_.push_back(absl::StrCat("AssignManually(", id, ", ", rid, ")"));
  const absl::StatusOr<Assignment> a = engine_->AssignManually(id, rid);
  if (it == cases_.end()) {
    return Mismatch("AssignManually unknown case", absl::StatusCode::kNotFound, a.status());
  }
  ModelCase& c = it->second;
  auto r_it = responders_.find(rid);
  const bool can = c.stage != ModelCase::Stage::kAssigned && r_it != responders_.end() &&
                   r_it->second.on_duty && r_it->second.assigned.empty() &&
                   (r_it->second.offered.empty() || r_it->second.offered == id);
  if (!can) {
    return Mismatch("AssignManually refused", absl::StatusCode::kFailedPrecondition, a.status());
  }
  if (!a.ok()) return Mismatch("AssignManually", absl::StatusCode::kOk, a.status());
  if (c.stage == ModelCase::Stage::kOffered && c.responder != rid) {
    EndOffer(id, Decision::EndReason::kWithdrawn);
  }
  ModelResponder& r = r_it->second;
  r.offered.clear();
  r.assigned = id;
  c.stage = ModelCase::Stage::kAssigned;
  c.responder = rid;
  c.tried.insert(rid);
  ++manual_;
  const double distance = r.position.has_value() ? Geodesic(*r.position, c.location) : 0;
  const double speed = Speed(r.capabilities, c.kind);
  const bool eta_ok = speed > 0 && r.position.has_value()
                          ? std::abs(absl::ToDoubleSeconds(a->eta) - distance / speed) < 1e-6
                          : a->eta == absl::InfiniteDuration();
  if (a->case_id != id || a->responder_id != rid ||
      std::abs(a->distance_meters - distance) > 1e-6 || !eta_ok) {
    return absl::StrCat("AssignManually(", id, ", ", rid, ") distance ", a->distance_meters,
                        " eta ", absl::FormatDuration(a->eta), ", expected distance ", distance);
  }
  return "";
}

}  // namespace mayday::dispatch::testing
