// Tests of `maydayctl stats`: the figures over scripted cases, whose expected
// values are worked out by hand in the comments, and their JSON and table
// renderings.
#include "maydayctl/stats.h"

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "test_protos.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;
using ::mayday::tools::testing::At;
using ::mayday::tools::testing::kNoon;

// A case and what happened to it, in seconds after it was created. -1: the
// event never happened.
struct CaseScript {
  std::string id;
  v1::CaseKind kind = v1::CASE_KIND_ROAD;
  v1::CaseState state = v1::CASE_STATE_DISPATCHING;
  int escalations = 0;  // Each one second after creation, before any offer.
  int offer_after = -1;
  int assign_after = -1;
  int on_scene_after = -1;
  int eta = 0;                 // The `assigned` event's eta_seconds.
  int case_stars = 0;          // Case.rating.stars.
  int event_stars = 0;         // Only a `rated` event (an older snapshot).
  std::string responder = "";  // Case.responder, no `assigned` event.
  bool false_alarm = false;    // With state CANCELLED: cancelled as a false alarm.
};

// Turns scripts into cases (created an hour apart) and their events, which
// are returned newest case first and in reverse order within each case, to
// show that ComputeStats does not depend on the order it gets them in.
void Build(const std::vector<CaseScript>& scripts, std::vector<v1::Case>* cases,
           std::vector<v1::CaseEvent>* events) {
  for (size_t i = 0; i < scripts.size(); ++i) {
    const CaseScript& s = scripts[i];
    const int64_t created = kNoon + 3600 * static_cast<int64_t>(i);
    v1::Case c;
    c.set_name("cases/" + s.id);
    c.set_kind(s.kind);
    c.set_state(s.state);
    c.set_responder(s.responder);
    *c.mutable_create_time() = At(created);
    if (s.case_stars > 0) c.mutable_rating()->set_stars(s.case_stars);
    cases->push_back(c);

    std::vector<v1::CaseEvent> timeline;
    auto add = [&](int after, v1::CaseState state) -> v1::CaseEvent& {
      v1::CaseEvent& e = timeline.emplace_back();
      e.set_case_(c.name());
      e.set_sequence(static_cast<int64_t>(timeline.size()));
      e.set_state(state);
      *e.mutable_event_time() = At(created + after);
      return e;
    };
    add(0, v1::CASE_STATE_DISPATCHING).mutable_raised()->set_kind(s.kind);
    for (int k = 0; k < s.escalations; ++k) {
      add(1, v1::CASE_STATE_ESCALATED).mutable_escalated();
    }
    if (s.offer_after >= 0) {
      add(s.offer_after, v1::CASE_STATE_DISPATCHING).mutable_offered();
      // A later second offer must not count as the first.
      add(s.offer_after + 1, v1::CASE_STATE_DISPATCHING).mutable_offer_ended();
      add(s.offer_after + 2, v1::CASE_STATE_DISPATCHING).mutable_offered();
    }
    if (s.assign_after >= 0) {
      add(s.assign_after, v1::CASE_STATE_ASSIGNED).mutable_assigned()->set_eta_seconds(s.eta);
    }
    if (s.on_scene_after >= 0) {
      add(s.on_scene_after, v1::CASE_STATE_ON_SCENE).mutable_progressed();
    }
    if (s.state == v1::CASE_STATE_CANCELLED) {
      add(5000, v1::CASE_STATE_CANCELLED).mutable_cancelled()->set_false_alarm(s.false_alarm);
    }
    if (s.event_stars > 0) {
      add(9000, s.state).mutable_rated()->mutable_rating()->set_stars(s.event_stars);
    }
    events->insert(events->begin(), timeline.rbegin(), timeline.rend());
  }
}

// A whole day of five cases; its figures, by hand:
//   cases 5: road a, d, e (3); medical b, c (2).
//   assigned: a, b, c -> 3, response rate 3 / 5 = 0.6.
//   first offer: a 2, b 4, c 60, d 6 -> sorted 2 4 6 60; median at position
//     0.5 * 3 = 1.5 -> 4 + 0.5 * (6 - 4) = 5; p90 at 2.7 -> 6 + 0.7 * 54 =
//     43.8.
//   assignment: a 10, b 20, c 90; median at 1 -> 20; p90 at 1.8 -> 20 + 0.8 *
//     70 = 76.
//   on scene: a 300, b 500; median at 0.5 -> 400; p90 at 0.9 -> 480.
//   escalations: c 2 + e 1 = 3, in 2 cases. cancellations: d, a false alarm.
//   ratings: a 4 (Case.rating), b 5 (event only), d 2 -> 11 / 3 = 3.667.
//   ETA vs arrival: a took 300 - 10 = 290 s for an ETA of 250 (40 late), b
//     500 - 20 = 480 for 520 (40 early); c has no arrival yet. Median at 0.5
//     -> 0; p90 at 0.9 -> -40 + 0.9 * 80 = 32. Road: 40; medical: -40.
const std::vector<CaseScript> kDay = {
    {.id = "a",
     .state = v1::CASE_STATE_RESOLVED,
     .offer_after = 2,
     .assign_after = 10,
     .on_scene_after = 300,
     .eta = 250,
     .case_stars = 4},
    {.id = "b",
     .kind = v1::CASE_KIND_MEDICAL,
     .state = v1::CASE_STATE_RESOLVED,
     .offer_after = 4,
     .assign_after = 20,
     .on_scene_after = 500,
     .eta = 520,
     .event_stars = 5},
    {.id = "c",
     .kind = v1::CASE_KIND_MEDICAL,
     .state = v1::CASE_STATE_EN_ROUTE,
     .escalations = 2,
     .offer_after = 60,
     .assign_after = 90,
     .eta = 600},
    {.id = "d",
     .state = v1::CASE_STATE_CANCELLED,
     .offer_after = 6,
     .case_stars = 2,
     .false_alarm = true},
    {.id = "e", .state = v1::CASE_STATE_ESCALATED, .escalations = 1},
};

struct Expected {
  int cases, road, medical, assigned;
  std::optional<double> response_rate;
  DurationSummary offer, assignment, on_scene;
  int escalations, escalated_cases, cancellations, false_alarms, ratings;
  std::optional<double> average_rating;
};

struct Row {
  std::string name;
  std::vector<CaseScript> scripts;
  Expected expected;
};

void CheckOptional(const std::optional<double>& got, const std::optional<double>& want) {
  REQUIRE(got.has_value() == want.has_value());
  if (want) CHECK(*got == Approx(*want).margin(1e-9));
}

void CheckSummary(const DurationSummary& got, const DurationSummary& want) {
  CHECK(got.count == want.count);
  CheckOptional(got.median_seconds, want.median_seconds);
  CheckOptional(got.p90_seconds, want.p90_seconds);
}

TEST_CASE("ComputeStats over scripted cases", "[stats]") {
  const std::vector<Row> rows = {
      {"no cases", {}, {0, 0, 0, 0, {}, {}, {}, {}, 0, 0, 0, 0, 0, {}}},
      // One case run to the end: every span is its own median and p90.
      {"one road case",
       {{.id = "x",
         .state = v1::CASE_STATE_RESOLVED,
         .offer_after = 4,
         .assign_after = 30,
         .on_scene_after = 600,
         .case_stars = 5}},
       {1, 1, 0, 1, 1.0, {1, 4, 4}, {1, 30, 30}, {1, 600, 600}, 0, 0, 0, 0, 1, 5.0}},
      {"a day of five cases",
       kDay,
       {5, 3, 2, 3, 0.6, {4, 5, 43.8}, {3, 20, 76}, {2, 400, 480}, 3, 2, 1, 1, 3, 11.0 / 3}},
      // A responder on the case counts as assigned even without the event;
      // nothing else is known about it.
      {"assigned without events",
       {{.id = "y", .state = v1::CASE_STATE_EN_ROUTE, .responder = "responders/r-1"}},
       {1, 1, 0, 1, 1.0, {}, {}, {}, 0, 0, 0, 0, 0, {}}},
      // Cancellations, and which of them were false alarms.
      {"two cancellations, one a false alarm",
       {{.id = "p", .state = v1::CASE_STATE_CANCELLED, .false_alarm = true},
        {.id = "q", .state = v1::CASE_STATE_CANCELLED}},
       {2, 2, 0, 0, 0.0, {}, {}, {}, 0, 0, 2, 1, 0, {}}},
  };
  const Row& row = GENERATE_REF(from_range(rows));
  INFO("row: " << row.name);
  std::vector<v1::Case> cases;
  std::vector<v1::CaseEvent> events;
  Build(row.scripts, &cases, &events);
  const ServiceStats stats = ComputeStats(cases, events);
  const Expected& want = row.expected;
  CHECK(stats.cases == want.cases);
  CHECK(stats.road == want.road);
  CHECK(stats.medical == want.medical);
  CHECK(stats.assigned == want.assigned);
  CheckOptional(stats.response_rate, want.response_rate);
  CheckSummary(stats.to_first_offer, want.offer);
  CheckSummary(stats.to_assignment, want.assignment);
  CheckSummary(stats.to_on_scene, want.on_scene);
  CHECK(stats.escalations == want.escalations);
  CHECK(stats.escalated_cases == want.escalated_cases);
  CHECK(stats.cancellations == want.cancellations);
  CHECK(stats.false_alarms == want.false_alarms);
  CHECK(stats.ratings == want.ratings);
  CheckOptional(stats.average_rating, want.average_rating);
}

TEST_CASE("ComputeStats ignores foreign events and clamps clock skew", "[stats]") {
  std::vector<v1::Case> cases;
  std::vector<v1::CaseEvent> events;
  Build({{.id = "z", .offer_after = 0, .assign_after = 3}}, &cases, &events);
  // The offer was stamped 5 s before the case was created (skew): 0 s.
  for (v1::CaseEvent& e : events) {
    if (e.has_offered()) *e.mutable_event_time() = At(kNoon - 5);
  }
  v1::CaseEvent& foreign = events.emplace_back();
  foreign.set_case_("cases/elsewhere");
  foreign.mutable_escalated();
  const ServiceStats stats = ComputeStats(cases, events);
  CHECK(*stats.to_first_offer.median_seconds == 0);
  CHECK(*stats.to_assignment.median_seconds == 3);
  CHECK(stats.escalations == 0);
}

TEST_CASE("Percentile interpolates between closest ranks", "[stats]") {
  using Values = std::vector<double>;
  auto [values, p, expected] = GENERATE(table<Values, double, std::optional<double>>({
      {{}, 0.5, std::nullopt},
      {{7}, 0.9, 7.0},
      {{4, 1, 3, 2}, 0.5, 2.5},                                // (2 + 3) / 2
      {{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}, 0.9, 91.0},  // 90 + 0.1*10
      {{3, 1, 2}, 0.0, 1.0},
      {{3, 1, 2}, 1.0, 3.0},
  }));
  INFO("n " << values.size() << ", p " << p);
  CheckOptional(Percentile(values, p), expected);
}

TEST_CASE("ParseWindow takes durations and days", "[stats]") {
  auto [text, expected] = GENERATE(table<std::string, absl::Duration>({
      {"24h", absl::Hours(24)},
      {"90m", absl::Minutes(90)},
      {"1h30m", absl::Minutes(90)},
      {"7d", absl::Hours(7 * 24)},
      {" 2d ", absl::Hours(48)},
  }));
  INFO("text: \"" << text << "\"");
  REQUIRE(ParseWindow(text).ok());
  CHECK(*ParseWindow(text) == expected);

  auto bad = GENERATE(as<std::string>{}, "", "0s", "-1h", "abc", "d", "1.5d", "0d", "inf", "24");
  INFO("bad: \"" << bad << "\"");
  CHECK(ParseWindow(bad).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("FormatStatsJson is one stable object", "[stats]") {
  std::vector<v1::Case> cases;
  std::vector<v1::CaseEvent> events;
  Build(kDay, &cases, &events);
  CHECK(FormatStatsJson(ComputeStats(cases, events), absl::Hours(24)) ==
        "{\"since_seconds\":86400,\"cases\":5,"
        "\"alerts_by_kind\":{\"road\":3,\"medical\":2},\"assigned\":3,"
        "\"response_rate\":0.6,"
        "\"time_to_first_offer_seconds\":{\"count\":4,\"median\":5,"
        "\"p90\":43.8},"
        "\"time_to_assignment_seconds\":{\"count\":3,\"median\":20,\"p90\":76},"
        "\"time_to_on_scene_seconds\":{\"count\":2,\"median\":400,\"p90\":480},"
        "\"eta_error_seconds\":{\"count\":2,\"median\":0,\"p90\":32},"
        "\"eta_error_seconds_by_kind\":{\"road\":{\"count\":1,\"median\":40,\"p90\":40},"
        "\"medical\":{\"count\":1,\"median\":-40,\"p90\":-40}},"
        "\"escalations\":3,\"escalated_cases\":2,\"cancellations\":1,"
        "\"false_alarms\":1,\"ratings\":3,\"average_rating\":3.667}");
  CHECK(FormatStatsJson(ServiceStats(), absl::Minutes(90)) ==
        "{\"since_seconds\":5400,\"cases\":0,"
        "\"alerts_by_kind\":{\"road\":0,\"medical\":0},\"assigned\":0,"
        "\"response_rate\":null,"
        "\"time_to_first_offer_seconds\":{\"count\":0,\"median\":null,"
        "\"p90\":null},"
        "\"time_to_assignment_seconds\":{\"count\":0,\"median\":null,"
        "\"p90\":null},"
        "\"time_to_on_scene_seconds\":{\"count\":0,\"median\":null,"
        "\"p90\":null},"
        "\"eta_error_seconds\":{\"count\":0,\"median\":null,\"p90\":null},"
        "\"eta_error_seconds_by_kind\":{\"road\":{\"count\":0,\"median\":null,"
        "\"p90\":null},\"medical\":{\"count\":0,\"median\":null,\"p90\":null}},"
        "\"escalations\":0,\"escalated_cases\":0,\"cancellations\":0,"
        "\"false_alarms\":0,\"ratings\":0,\"average_rating\":null}");
}

TEST_CASE("FormatStatsTable reads like a report", "[stats]") {
  std::vector<v1::Case> cases;
  std::vector<v1::CaseEvent> events;
  Build(kDay, &cases, &events);
  CHECK(FormatStatsTable(ComputeStats(cases, events), absl::Hours(24)) ==
        "window:               last 1 d\n"
        "cases:                5 (road 3, medical 2)\n"
        "response rate:        60.0% (3 of 5 reached ASSIGNED)\n"
        "time to first offer:  median 5 s, p90 43 s (4 cases)\n"
        "time to assignment:   median 20 s, p90 1 min (3 cases)\n"
        "time to on-scene:     median 6 min, p90 8 min (2 cases)\n"
        "ETA vs arrival:       median on time, p90 32 s late (2 cases)\n"
        "  road:               median 40 s late, p90 40 s late (1 case)\n"
        "  medical:            median 40 s early, p90 40 s early (1 case)\n"
        "escalations:          3 (2 cases)\n"
        "cancellations:        1 (1 false alarm)\n"
        "average rating:       3.67 / 5 (3 ratings)\n");
  CHECK(FormatStatsTable(ServiceStats(), absl::Hours(1)) ==
        "window:               last 1 h\n"
        "cases:                0 (road 0, medical 0)\n"
        "response rate:        - (no cases)\n"
        "time to first offer:  - (no cases)\n"
        "time to assignment:   - (no cases)\n"
        "time to on-scene:     - (no cases)\n"
        "ETA vs arrival:       - (no cases)\n"
        "  road:               - (no cases)\n"
        "  medical:            - (no cases)\n"
        "escalations:          0 (0 cases)\n"
        "cancellations:        0 (0 false alarms)\n"
        "average rating:       - (no ratings)\n");
}

}  // namespace
}  // namespace mayday::tools
