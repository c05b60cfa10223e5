// The random dispatch simulation used by simulation_test.cc: a driver that
// feeds an engine random inputs on a ManualClock, and a model of what the
// engine must do, written from the rules in engine.h (not from the engine's
// code), that predicts every status and checks every decision.
// simulation_inputs.cc drives and mirrors inputs; simulation_checks.cc
// checks decisions and invariants after each Step().
#ifndef MAYDAY_TESTS_DISPATCH_SIMULATION_H_
#define MAYDAY_TESTS_DISPATCH_SIMULATION_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "mayday/base/clock.h"
#include "mayday/dispatch/engine.h"

namespace mayday::dispatch::testing {

inline constexpr int kResponderIds = 10;
inline constexpr int kMaxOpenCases = 8;

struct ModelResponder {
  bool on_duty = false;
  bool connected = true;
  std::vector<Capability> capabilities;  // sorted, unique
  std::optional<GeoPoint> position;
  absl::Time position_time = absl::InfinitePast();
  absl::Time idle_since = absl::InfinitePast();
  CaseId offered;
  CaseId assigned;
};

struct ModelCase {
  enum class Stage { kWaiting, kOffered, kAssigned, kEscalated, kHeld };
  // The search for a second crew of an assigned case (Engine::SeekSecond).
  enum class Second { kNone, kSought, kOffered, kAssigned };
  CaseKind kind = CaseKind::kRoad;
  GeoPoint location;
  absl::Time raised_time;
  Stage stage = Stage::kWaiting;
  ResponderId responder;
  absl::Time expire_time;
  std::set<ResponderId> tried;
  Second second = Second::kNone;
  ResponderId second_responder;   // kOffered, kAssigned
  absl::Time second_expire_time;  // kOffered
  // The open offer is the second crew's (only an assigned case has one).
  bool OffersSecond() const { return stage == Stage::kAssigned; }
};

// The matching order: cases without a crew before searches for a second,
// then medical first, then raised_time, then id.
inline std::tuple<bool, bool, absl::Time, CaseId> Urgency(const CaseId& id, const ModelCase& c) {
  return {c.stage == ModelCase::Stage::kAssigned, c.kind != CaseKind::kMedical, c.raised_time, id};
}

// One seeded run. Not thread-safe.
class Simulation {
 public:
  explicit Simulation(uint32_t seed);
  // Applies a few random inputs, advances the clock, steps the engine and
  // checks everything. Returns the first violation found, or "".
  std::string RunStep();
  // What happened in the current step, for the failure report.
  std::string Trace() const;
  int offers() const { return offers_; }
  int escalations() const { return escalations_; }
  int accepts() const { return accepts_; }
  int surge_offers() const { return surge_offers_; }
  int holds() const { return holds_; }
  int manual_assignments() const { return manual_; }
  int second_offers() const { return second_offers_; }
  int second_accepts() const { return second_accepts_; }
  int crews_kept() const { return crews_kept_; }

 private:
  void Advance();
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  // Positions on an 8 x 8 grid so that equal distances, and so tie-breaks,
  // happen often; sometimes off the grid. Where depends on the seed.
  GeoPoint RandomPoint();
  ResponderId RandomResponder() { return absl::StrCat("r-", Uniform(0, kResponderIds - 1)); }
  std::vector<Capability> RandomCapabilities();
  // An open case id, or an unknown one now and then.
  CaseId RandomCase();
  static bool AnyServes(const std::vector<Capability>& capabilities, CaseKind kind);
  double Speed(const std::vector<Capability>& capabilities, CaseKind kind) const;
  // The model's side of an offer ending: lapsed offers end as expired.
  void EndOffer(const CaseId& id, Decision::EndReason reason);
  static std::string Mismatch(const char* what, absl::StatusCode want, const absl::Status& got);
  std::string RandomInput();
  // Brute force: the eligible responder for `c` nearest by WGS84 geodesic,
  // ties to the longest idle, then the smaller id.
  std::optional<std::pair<ResponderId, double>> Nearest(const ModelCase& c) const;
  // Brute force: every eligible responder for `c`, best-ranked first.
  std::vector<std::pair<ResponderId, double>> Eligible(const ModelCase& c) const;
  // The surge rule of engine.h, by exhaustive search: for each waiting case of
  // `order` (priority order) that is served, the index in its `eligible` list
  // of the responder it must be offered.
  std::map<CaseId, size_t> Plan(
      const std::vector<CaseId>& order,
      const std::map<CaseId, std::vector<std::pair<ResponderId, double>>>& eligible) const;
  std::string OperatorInput(int what);
  // SeekSecond and KeepResponder on a random case.
  std::string SecondCrewInput(int what);
  std::string StepAndCheck();
  // The state after Step(), compared with the engine's views.
  std::string CheckInvariants();
  std::mt19937 rng_;
  int place_ = 0;  // 0 Munich, 1 antimeridian, 2 north pole, 3 south pole
  EngineOptions options_;
  base::ManualClock clock_;
  std::unique_ptr<Engine> engine_;
  std::map<ResponderId, ModelResponder> responders_;
  std::map<CaseId, ModelCase> cases_;
  // Offers to end at the next Step(): case, responder, reason, second crew.
  std::set<std::tuple<CaseId, ResponderId, Decision::EndReason, bool>> expected_ended_;
  std::vector<std::string> trace_;
  int next_case_ = 0;
  int offers_ = 0;
  int escalations_ = 0;
  int accepts_ = 0;
  int surge_offers_ = 0;
  int holds_ = 0;
  int manual_ = 0;
  int second_offers_ = 0;
  int second_accepts_ = 0;
  int crews_kept_ = 0;
};

}  // namespace mayday::dispatch::testing

#endif  // MAYDAY_TESTS_DISPATCH_SIMULATION_H_
