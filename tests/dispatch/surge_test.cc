// The surge rule (engine.h): when several cases wait at once, as many as
// possible are served, priority decides who waits when there are not enough
// responders, and an urgent case gives up its nearest responder only when
// another case could not be served otherwise. One row per scenario; all
// points lie on one geodesic eastwards from Munich, so distances add up.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "dispatch_test_util.h"

namespace mayday::dispatch {
namespace {

using testing::Away;
using testing::Harness;
using testing::kMunich;

struct SurgeResponder {
  const char* id;
  double east_m;
};
struct SurgeCase {
  const char* id;
  CaseKind kind;
  double east_m;
  int age_minutes;  // older cases come first within a kind
};
struct SurgeRow {
  const char* name;
  std::vector<SurgeResponder> responders;
  std::vector<SurgeCase> cases;
  std::vector<std::string> expected;
};

constexpr CaseKind kMed = CaseKind::kMedical;
constexpr CaseKind kRoad = CaseKind::kRoad;

TEST_CASE("Surge: no case waits for a responder another could do without", "[dispatch][surge]") {
  const std::vector<SurgeRow> rows = {
      {"one responder, two cases: the older takes it, the other escalates",
       {{"r-1", 1'000}},
       {{"c-a", kMed, 0, 5}, {"c-b", kMed, 0, 1}},
       {"offer c-a -> r-1", "escalate c-b"}},
      {"medical before an older road case when only one can be served",
       {{"r-1", 1'000}},
       {{"c-road", kRoad, 0, 60}, {"c-med", kMed, 0, 1}},
       {"offer c-med -> r-1", "escalate c-road"}},
      {"pile-up: the urgent case gives up its nearest so the other is served",
       // c-a: r-1 2 km, r-2 4 km. c-b (12 km east): r-1 10 km, r-2 16 km (out).
       {{"r-1", 2'000}, {"r-2", -4'000}},
       {{"c-a", kMed, 0, 5}, {"c-b", kMed, 12'000, 1}},
       {"offer c-a -> r-2", "offer c-b -> r-1"}},
      {"no sacrifice when the other case has its own responder",
       {{"r-1", 2'000}, {"r-2", -4'000}, {"r-3", 13'000}},
       {{"c-a", kMed, 0, 5}, {"c-b", kMed, 12'000, 1}},
       {"offer c-a -> r-1", "offer c-b -> r-3"}},
      {"a chain of three: everyone moves one place so that all are served",
       // c-1: r-A 10, r-C 12. c-2 (21 km): r-A 11, r-B 9. c-3 (40 km): r-B 10.
       {{"r-A", 10'000}, {"r-B", 30'000}, {"r-C", -12'000}},
       {{"c-1", kMed, 0, 9}, {"c-2", kMed, 21'000, 5}, {"c-3", kMed, 40'000, 1}},
       {"offer c-1 -> r-C", "offer c-2 -> r-A", "offer c-3 -> r-B"}},
      {"not enough for all: the lowest priority waits, the others keep their nearest",
       {{"r-1", 1'000}, {"r-2", 2'000}},
       {{"c-1", kMed, 0, 9}, {"c-2", kMed, 0, 5}, {"c-3", kRoad, 0, 60}},
       {"offer c-1 -> r-1", "offer c-2 -> r-2", "escalate c-3"}},
      {"an urgent case never loses service to a less urgent one",
       // c-med can only use r-1; c-road could use r-1 (nearer) or r-2.
       {{"r-1", 1'000}, {"r-2", 14'000}},
       {{"c-road", kRoad, 2'000, 60}, {"c-med", kMed, -10'000, 1}},
       {"offer c-med -> r-1", "offer c-road -> r-2"}},
      {"cases far apart do not interact",
       {{"r-1", 1'000}, {"r-2", 101'000}},
       {{"c-a", kMed, 0, 5}, {"c-b", kMed, 100'000, 1}},
       {"offer c-a -> r-1", "offer c-b -> r-2"}},
  };
  for (const SurgeRow& row : rows) {
    INFO("row: " << row.name);
    EngineOptions options;
    options.max_radius_meters = 15'000;
    Harness h(options);
    for (const SurgeResponder& r : row.responders) {
      h.OnDuty(r.id, {Capability::kAmbulance, Capability::kTow},
               r.east_m >= 0 ? Away(kMunich, r.east_m, 90) : Away(kMunich, -r.east_m, -90));
    }
    for (const SurgeCase& c : row.cases) {
      const GeoPoint at =
          c.east_m >= 0 ? Away(kMunich, c.east_m, 90) : Away(kMunich, -c.east_m, -90);
      REQUIRE(
          h.engine->AddCase(c.id, c.kind, at, h.clock.Now() - absl::Minutes(c.age_minutes)).ok());
    }
    CHECK(h.Step() == row.expected);
  }
}

TEST_CASE("Surge: offers already made are kept, and a waiting case is served when one frees up",
          "[dispatch][surge]") {
  EngineOptions options;
  options.max_radius_meters = 15'000;
  Harness h(options);
  // r-1 serves c-a (2 km) and c-b (10 km); r-2 serves only c-a (4 km).
  h.OnDuty("r-1", {Capability::kAmbulance}, Away(kMunich, 2'000, 90));
  h.Open("c-a", kMed, kMunich);
  CHECK(h.Step() == std::vector<std::string>{"offer c-a -> r-1"});
  h.clock.Advance(absl::Seconds(1));
  h.Open("c-b", kMed, Away(kMunich, 12'000, 90));
  CHECK(h.Step() == std::vector<std::string>{"escalate c-b"});
  // Offers already made are kept: r-2 arriving does not reshuffle them (r-2
  // is no use to c-b). When r-1 declines, c-a moves on to r-2 and r-1 is
  // free for c-b.
  h.OnDuty("r-2", {Capability::kAmbulance}, Away(kMunich, 4'000, -90));
  CHECK(h.Step().empty());
  REQUIRE(h.engine->Decline("r-1", "c-a").ok());
  CHECK(h.Step() == std::vector<std::string>{"ended c-a r-1 declined", "offer c-a -> r-2",
                                             "redispatch c-b", "offer c-b -> r-1"});
}

}  // namespace
}  // namespace mayday::dispatch
