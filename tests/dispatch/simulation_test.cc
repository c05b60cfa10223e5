// A seeded random simulation of the engine on a ManualClock. Responders go on
// and off duty, move, connect and disconnect, accept, decline and let offers
// lapse; cases are opened, moved and closed. A model kept by this test,
// written from the rules in engine.h and not from the engine's code, predicts
// every status and checks every decision after each step:
// - every kOffer goes to the geodesic-nearest eligible responder at that
//   moment (brute force over the model), ties to the longest idle, then the
//   smaller id, with the right distance, ETA and expiry;
// - cases are matched medical first, then oldest first;
// - every kEscalate (and every escalated case left alone) has nobody eligible;
// - ended offers are exactly the ones the model expects, with their reasons;
// - no responder holds two offers or cases; every open case is offered,
//   assigned or escalated after Step(), and the engine still knows it;
// - second crews (SeekSecond, KeepResponder): a search comes after every
//   case without a crew, is offered like a case but never escalated, is
//   never left alone while someone is eligible, and a case is held by at
//   most its crew and its second crew (or their offers).
#include "simulation.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "dispatch_test_util.h"

namespace mayday::dispatch {
namespace {

using testing::Simulation;

// Seeds run by default; MAYDAY_SIM_SEEDS raises (or lowers) it, and
// MAYDAY_SIM_SEED=<n> replays one seed alone (what a failure report names).
int SeedCount() {
  const char* env = std::getenv("MAYDAY_SIM_SEEDS");
  return env != nullptr && std::atoi(env) > 0 ? std::atoi(env) : 3000;
}

TEST_CASE("Random simulation keeps every dispatch invariant", "[dispatch][simulation]") {
  constexpr int kSteps = 300;
  int first = 1;
  int last = SeedCount();
  if (const char* one = std::getenv("MAYDAY_SIM_SEED"); one != nullptr && std::atoi(one) > 0) {
    first = last = std::atoi(one);
  }
  const int seeds = last - first + 1;
  int offers = 0;
  int escalations = 0;
  int accepts = 0;
  int surge_offers = 0;
  int holds = 0;
  int manual = 0;
  int second_offers = 0;
  int second_accepts = 0;
  int kept = 0;
  for (int seed = first; seed <= last; ++seed) {
    Simulation sim(static_cast<uint32_t>(seed));
    for (int step = 0; step < kSteps; ++step) {
      const std::string failure = sim.RunStep();
      if (!failure.empty()) {
        INFO("seed " << seed << ", step " << step << " (replay: MAYDAY_SIM_SEED=" << seed
                     << " dispatch_test '[simulation]')\n"
                     << sim.Trace());
        FAIL(failure);
      }
    }
    offers += sim.offers();
    escalations += sim.escalations();
    accepts += sim.accepts();
    surge_offers += sim.surge_offers();
    holds += sim.holds();
    manual += sim.manual_assignments();
    second_offers += sim.second_offers();
    second_accepts += sim.second_accepts();
    kept += sim.crews_kept();
  }
  // The simulation exercised what it claims to.
  INFO("seeds " << seeds << ", offers " << offers << ", escalations " << escalations << ", accepts "
                << accepts << ", offers shaped by the surge rule " << surge_offers << ", holds "
                << holds << ", manual assignments " << manual << ", second-crew offers "
                << second_offers << ", second crews accepted " << second_accepts << ", crews kept "
                << kept);
  CHECK(offers > seeds * 20);
  CHECK(escalations > seeds * 5);
  CHECK(accepts > seeds * 5);
  CHECK(holds > seeds);
  CHECK(manual > seeds / 2);
  CHECK(second_offers > seeds / 2);
  CHECK(second_accepts > seeds / 10);
  CHECK(kept > seeds / 2);
  if (seeds >= 100) CHECK(surge_offers > seeds / 10);
}

TEST_CASE("The same inputs give the same decisions", "[dispatch][simulation]") {
  // Two engines fed the same script on their own clocks decide identically.
  auto run = [] {
    testing::Harness h;
    std::vector<std::string> log;
    std::mt19937 rng(7);
    for (int step = 0; step < 200; ++step) {
      const int r = static_cast<int>(rng() % 6);
      const GeoPoint p{48.0 + 0.03 * (rng() % 6), 11.0 + 0.045 * (rng() % 6)};
      switch (rng() % 4) {
        case 0:
          (void)h.engine->SetDuty(absl::StrCat("r-", r), true,
                                  {rng() % 2 ? Capability::kTow : Capability::kAmbulance});
          (void)h.engine->UpdatePosition(absl::StrCat("r-", r), p, h.clock.Now());
          break;
        case 1:
          (void)h.engine->AddCase(absl::StrCat("c-", step),
                                  rng() % 2 ? CaseKind::kRoad : CaseKind::kMedical, p,
                                  h.clock.Now());
          break;
        case 2:
          if (auto v = h.engine->GetResponder(absl::StrCat("r-", r));
              v && !v->current_case.empty()) {
            (void)h.engine->Accept(v->id, v->current_case);
          }
          break;
        default:
          h.clock.Advance(absl::Seconds(rng() % 20));
      }
      for (const std::string& s : testing::Summaries(h.engine->Step())) log.push_back(s);
    }
    return log;
  };
  const std::vector<std::string> first = run();
  CHECK(first.size() > 20);
  CHECK(first == run());
}

}  // namespace
}  // namespace mayday::dispatch
