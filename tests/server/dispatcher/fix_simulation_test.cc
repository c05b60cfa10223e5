// Uncertain and stale fixes in a deterministic simulation: the dispatch
// engine, the fix rule (fix_rule.h) as the dispatcher applies it, and
// phones that answer its requests, on a simulated clock. In each run 20
// crews wait around a city and 12 members raise cases, each of one family:
// a fix hundreds of metres to kilometres uncertain, a fix minutes old, or a
// fine fix; phones answer a request after a few seconds with a good fix
// (most), with the same poor fix (indoors), or never. Crews answer offers
// late or not at all. After every simulated second:
//   - every request was for a fix the rule calls poor, and only those;
//   - no case is asked more than 3 times, nor twice within a minute;
//   - a re-offer (kMemberMoved) follows only a move, while offered, and
//     goes to a crew at least 2 km nearer the new place than the one it
//     left (the engine's own eligibility is the random engine simulation's
//     business);
//   - a fine fix is never asked about.
// A failing run prints its seed; MAYDAY_FIX_SEED=N replays that one alone.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/proto_time.h"
#include "dispatcher/fix_rule.h"
#include "mayday/base/clock.h"
#include "mayday/dispatch/engine.h"
#include "mayday/dispatch/geodesy.h"

namespace mayday::server {
namespace {

namespace v1 = ::mayday::v1;
using dispatch::Decision;
using dispatch::GeoPoint;

enum class Family { kUncertain, kStale, kFine };
const char* FamilyName(Family f) {
  switch (f) {
    case Family::kUncertain:
      return "uncertain";
    case Family::kStale:
      return "stale";
    case Family::kFine:
      return "fine";
  }
  return "?";
}
// How a phone answers a request.
enum class Phone { kBetter, kSamePoor, kSilent };

constexpr int kRuns = 100;
constexpr int kCrews = 20;
constexpr int kCases = 12;
constexpr double kMetersPerDegree = 111'200.0;
const GeoPoint kCity{48.137, 11.576};

GeoPoint Offset(GeoPoint from, double north_m, double east_m) {
  return {
      from.latitude_deg + north_m / kMetersPerDegree,
      from.longitude_deg + east_m / (kMetersPerDegree * std::cos(from.latitude_deg * M_PI / 180))};
}

struct SimCase {
  std::string id;
  Family family;
  Phone phone;
  GeoPoint truth;   // where the member really is
  v1::Case stored;  // what the store would hold: location, fix_request
  absl::Time answer_at = absl::InfiniteFuture();
  std::vector<absl::Time> asked;
  bool answered_well = false;
  std::string offered_to;  // the crew holding its offer
  bool moved_this_second = false;
  std::optional<v1::FixRequest> pending;  // a poor fix to ask about
  absl::Time next_try = absl::InfiniteFuture();
};

v1::Location Fix(GeoPoint at, double accuracy, absl::Time taken) {
  v1::Location fix;
  fix.set_latitude(at.latitude_deg);
  fix.set_longitude(at.longitude_deg);
  fix.set_horizontal_accuracy_meters(accuracy);
  *fix.mutable_fix_time() = ToProtoTime(taken);
  return fix;
}

GeoPoint PointOf(const v1::Location& l) { return {l.latitude(), l.longitude()}; }

// One run; "" or what broke.
std::string Run(uint32_t seed, std::map<std::string, int>& counts) {
  std::mt19937 random(seed);
  auto uniform = [&](double a, double b) { return std::uniform_real_distribution<>(a, b)(random); };
  base::ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  const FixLimits limits;
  dispatch::EngineOptions options;
  auto created = dispatch::Engine::Create(options, &clock);
  if (!created.ok()) return "engine: " + created.status().ToString();
  dispatch::Engine& engine = **created;

  std::map<std::string, GeoPoint> crews;
  for (int i = 0; i < kCrews; ++i) {
    const std::string id = absl::StrCat("r-", i);
    crews[id] = Offset(kCity, uniform(-10'000, 10'000), uniform(-10'000, 10'000));
    if (!engine.SetDuty(id, true, {dispatch::Capability::kTow}).ok()) return "SetDuty";
    if (!engine.UpdatePosition(id, crews[id], clock.Now()).ok()) return "UpdatePosition";
  }
  std::vector<SimCase> cases(kCases);
  std::map<std::string, SimCase*> by_id;
  std::map<std::string, absl::Time> accept_at;  // crew -> when it accepts its offer
  for (int i = 0; i < kCases; ++i) {
    SimCase& c = cases[i];
    c.id = absl::StrCat("c-", i);
    c.family = static_cast<Family>((seed + i) % 3);
    const double dice = uniform(0, 1);
    c.phone = dice < 0.8 ? Phone::kBetter : dice < 0.9 ? Phone::kSamePoor : Phone::kSilent;
    c.truth = Offset(kCity, uniform(-8'000, 8'000), uniform(-8'000, 8'000));
    by_id[c.id] = &c;
  }

  // The dispatcher asking about c's pending poor fix now, as
  // AskForFixLocked and FixRequestedEvent do: recorded if MayRequestFix
  // allows it; the next try a minute later, none once no request can be
  // made any more.
  auto try_ask = [&](SimCase& c) {
    const absl::Time now = clock.Now();
    c.next_try = now + limits.min_interval;
    const absl::Status may = MayRequestFix(c.stored, now, limits);
    if (absl::IsFailedPrecondition(may)) c.pending.reset();
    if (!may.ok()) return;
    v1::FixRequest made = *c.pending;
    made.set_count(c.stored.has_fix_request() ? c.stored.fix_request().count() + 1 : 1);
    *made.mutable_time() = ToProtoTime(now);
    made.set_pending(true);
    *c.stored.mutable_fix_request() = made;
    c.asked.push_back(now);
    if (made.count() >= limits.max_requests) c.pending.reset();
    ++counts[absl::StrCat(FamilyName(c.family), ": requests")];
    if (c.phone != Phone::kSilent) {
      c.answer_at = now + absl::Seconds(std::uniform_int_distribution<>(2, 20)(random));
    }
  };

  // A location arriving for `c` at `now`: stored, the engine told, and the
  // dispatcher's rule applied (FixRequestFor, then MayRequestFix).
  auto arrive = [&](SimCase& c, v1::Location fix, bool opening) -> std::string {
    const absl::Time now = clock.Now();
    *c.stored.mutable_location() = fix;
    if (c.stored.has_fix_request()) c.stored.mutable_fix_request()->set_pending(false);
    if (opening) {
      if (!engine.AddCase(c.id, dispatch::CaseKind::kRoad, PointOf(fix), now).ok())
        return "AddCase";
    } else {
      c.moved_this_second = true;
      if (!engine.MoveCase(c.id, PointOf(fix)).ok()) return "MoveCase";
    }
    const std::optional<v1::FixRequest> ask = FixRequestFor(fix, now, limits);
    const bool poor = fix.horizontal_accuracy_meters() > limits.max_accuracy_meters ||
                      now - FromProtoTime(fix.fix_time()) > limits.max_age;
    if (ask.has_value() != poor) {
      return absl::StrCat(c.id, ": the rule ", ask.has_value() ? "asked about" : "let pass",
                          " a fix ", fix.horizontal_accuracy_meters(), " m, ",
                          absl::ToInt64Seconds(now - FromProtoTime(fix.fix_time())), " s old");
    }
    c.pending = ask;  // as the dispatcher's pending_fixes_
    if (ask.has_value()) try_ask(c);
    return "";
  };
  // Raised over the first two minutes.
  std::vector<absl::Time> raise_at(kCases);
  for (absl::Time& t : raise_at) t = clock.Now() + absl::Seconds(uniform(0, 120));

  for (int second = 0; second < 600; ++second) {
    const absl::Time now = clock.Now();
    for (int i = 0; i < kCases; ++i) {
      SimCase& c = cases[i];
      c.moved_this_second = false;
      if (raise_at[i] > now || raise_at[i] + absl::Seconds(1) <= now) continue;
      ++counts[FamilyName(c.family)];
      double accuracy = uniform(3, 40);
      absl::Duration age = absl::Seconds(uniform(0, 60));
      if (c.family == Family::kUncertain) accuracy = uniform(501, 3'000);
      if (c.family == Family::kStale) age = absl::Seconds(uniform(121, 600));
      // The reported centre lies within the uncertainty of the truth.
      const double r = accuracy * std::sqrt(uniform(0, 1)), a = uniform(0, 2 * M_PI);
      const GeoPoint centre = Offset(c.truth, r * std::cos(a), r * std::sin(a));
      if (auto s = arrive(c, Fix(centre, accuracy, now - age), true); !s.empty()) return s;
    }
    for (SimCase& c : cases) {
      if (c.pending.has_value() && c.next_try <= now) try_ask(c);
    }
    for (SimCase& c : cases) {
      if (c.answer_at > now) continue;
      c.answer_at = absl::InfiniteFuture();
      v1::Location answer = c.stored.location();  // indoors: the same poor fix again
      if (c.phone == Phone::kBetter) {
        answer = Fix(c.truth, uniform(5, 30), now);
        c.answered_well = true;
        ++counts[absl::StrCat(FamilyName(c.family), ": answered well")];
      }
      if (auto s = arrive(c, answer, false); !s.empty()) return s;
    }
    // Crews answer late (5-25 s) or let the offer lapse; they stay put and
    // report every minute.
    for (const auto& [crew, when] : std::map<std::string, absl::Time>(accept_at)) {
      if (when > now) continue;
      accept_at.erase(crew);
      for (SimCase& c : cases) {
        if (c.offered_to != crew) continue;
        if (engine.Accept(crew, c.id).ok()) ++counts["accepted"];
        c.offered_to.clear();
      }
    }
    if (second % 60 == 0) {
      for (const auto& [id, at] : crews) (void)engine.UpdatePosition(id, at, now);
    }
    for (const Decision& d : engine.Step()) {
      SimCase& c = *by_id.at(d.case_id);
      if (d.type == Decision::Type::kOffer) {
        c.offered_to = d.responder_id;
        if (uniform(0, 1) < 0.6) {
          accept_at[d.responder_id] = now + absl::Seconds(uniform(5, 25));
        }
      } else if (d.type == Decision::Type::kOfferEnded) {
        if (d.end_reason == Decision::EndReason::kMemberMoved) {
          ++counts["re-offers"];
          if (!c.moved_this_second) {
            return absl::StrCat(c.id, ": re-offered though the member did not move");
          }
          // The crew it left, and the nearest other crew the new fix has:
          // at least 2 km nearer the new place.
          const GeoPoint here = PointOf(c.stored.location());
          const double left = dispatch::GeodesicDistanceMeters(crews.at(d.responder_id), here);
          double nearest = 1e12;
          for (const auto& [id, at] : crews) {
            if (id == d.responder_id) continue;
            nearest = std::min(nearest, dispatch::GeodesicDistanceMeters(at, here));
          }
          if (nearest + options.reoffer_min_gain_meters > left) {
            return absl::StrCat(c.id, ": re-offered from ", d.responder_id, " (", left,
                                " m) though no crew is 2 km nearer (", nearest, " m)");
          }
        }
        c.offered_to.clear();
      }
    }
    // The request invariants.
    for (const SimCase& c : cases) {
      if (c.asked.size() > static_cast<size_t>(limits.max_requests)) {
        return absl::StrCat(c.id, ": asked ", c.asked.size(), " times");
      }
      for (size_t i = 1; i < c.asked.size(); ++i) {
        if (c.asked[i] - c.asked[i - 1] < limits.min_interval) {
          return absl::StrCat(c.id, ": asked twice within a minute");
        }
      }
      if (c.family == Family::kFine && !c.asked.empty()) {
        return absl::StrCat(c.id, ": a fine fix was asked about");
      }
    }
    clock.Advance(absl::Seconds(1));
  }
  // Each poor fix was asked about; each case whose phone answered well
  // ended with a fix the rule lets pass.
  for (const SimCase& c : cases) {
    if (c.family != Family::kFine && c.asked.empty()) {
      return absl::StrCat(c.id, " (", FamilyName(c.family), "): never asked");
    }
    if (c.answered_well &&
        FixRequestFor(c.stored.location(), FromProtoTime(c.stored.location().fix_time()), limits)
            .has_value()) {
      return absl::StrCat(c.id, ": answered well, yet its fix is poor");
    }
    // A phone that never does better is asked all 3 times (the sim runs
    // long enough); one that answers well at the first request, once.
    if (c.family != Family::kFine && c.phone != Phone::kBetter &&
        c.asked.size() != static_cast<size_t>(limits.max_requests)) {
      return absl::StrCat(c.id, ": a phone that never does better was asked ", c.asked.size(),
                          " times, not 3");
    }
    if (c.family != Family::kFine && c.phone == Phone::kBetter && c.asked.size() != 1) {
      return absl::StrCat(c.id, ": a phone that answered well was asked ", c.asked.size(),
                          " times");
    }
  }
  return "";
}

TEST_CASE("Uncertain and stale fixes: asked by the rule, answered, re-offered when nearer") {
  std::map<std::string, int> counts;
  std::vector<uint32_t> seeds;
  if (const char* one = std::getenv("MAYDAY_FIX_SEED")) {
    seeds.push_back(static_cast<uint32_t>(std::strtoul(one, nullptr, 10)));
  } else {
    for (uint32_t s = 1; s <= kRuns; ++s) seeds.push_back(s);
  }
  for (uint32_t seed : seeds) {
    const std::string broken = Run(seed, counts);
    INFO(broken << " (replay: MAYDAY_FIX_SEED=" << seed << ")");
    REQUIRE(broken.empty());
  }
  std::string summary;
  for (const auto& [what, n] : counts) absl::StrAppend(&summary, what, ": ", n, "\n");
  WARN(summary);
  if (seeds.size() == kRuns) {
    CHECK(counts["uncertain"] + counts["stale"] + counts["fine"] == kRuns * kCases);
    CHECK(counts["fine: requests"] == 0);
    CHECK(counts["uncertain: requests"] >= counts["uncertain"]);
    CHECK(counts["stale: requests"] >= counts["stale"]);
    CHECK(counts["re-offers"] > 0);
  }
}

}  // namespace
}  // namespace mayday::server
