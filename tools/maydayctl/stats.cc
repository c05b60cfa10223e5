// Service figures over cases and their events, for `maydayctl stats`.
#include "maydayctl/stats.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "maydayctl/format.h"
#include "maydayctl/json.h"
#include "maydayctl/table.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;

// Digits after the point in JSON figures: milliseconds for durations, enough
// for rates and mean ratings.
constexpr int kJsonDecimals = 3;

// Seconds from `start` to `end`, at least 0.
double SecondsBetween(absl::Time start, absl::Time end) {
  return std::max(0.0, absl::ToDoubleSeconds(end - start));
}

DurationSummary Summarize(const std::vector<double>& seconds) {
  DurationSummary summary;
  summary.count = static_cast<int>(seconds.size());
  summary.median_seconds = Percentile(seconds, 0.5);
  summary.p90_seconds = Percentile(seconds, 0.9);
  return summary;
}

// The stars of a rated case (1..5), or 0 when it was not rated.
int StarsOf(const v1::Case& c, const std::vector<const v1::CaseEvent*>& events) {
  if (c.rating().stars() > 0) return c.rating().stars();
  int stars = 0;
  for (const v1::CaseEvent* event : events) {
    if (event->has_rated()) stars = event->rated().rating().stars();
  }
  return stars;
}

std::string DurationJson(const DurationSummary& summary) {
  return absl::StrCat("{\"count\":", summary.count,
                      ",\"median\":", JsonNumber(summary.median_seconds, kJsonDecimals),
                      ",\"p90\":", JsonNumber(summary.p90_seconds, kJsonDecimals), "}");
}

// "40 s late", "2 min early", "on time" (within half a second).
std::string Lateness(double seconds) {
  if (std::abs(seconds) < 0.5) return "on time";
  return absl::StrCat(HumanDuration(absl::Seconds(std::abs(seconds))),
                      seconds > 0 ? " late" : " early");
}

// "median 40 s late, p90 2 min late (12 cases)", or "- (no cases)".
std::string EtaErrorText(const EtaErrorSummary& summary) {
  if (summary.count == 0) return "- (no cases)";
  return absl::StrCat("median ", Lateness(*summary.median_seconds), ", p90 ",
                      Lateness(*summary.p90_seconds), " (", summary.count,
                      summary.count == 1 ? " case)" : " cases)");
}

// "median 3 s, p90 10 s (12 cases)", or "- (no cases)".
std::string DurationText(const DurationSummary& summary) {
  if (summary.count == 0) return "- (no cases)";
  return absl::StrCat("median ", HumanDuration(absl::Seconds(*summary.median_seconds)), ", p90 ",
                      HumanDuration(absl::Seconds(*summary.p90_seconds)), " (", summary.count,
                      summary.count == 1 ? " case)" : " cases)");
}

}  // namespace

std::optional<double> Percentile(std::vector<double> values, double p) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const double position = std::clamp(p, 0.0, 1.0) * (values.size() - 1);
  const auto lower = static_cast<size_t>(std::floor(position));
  const size_t upper = std::min(lower + 1, values.size() - 1);
  const double fraction = position - static_cast<double>(lower);
  return values[lower] + fraction * (values[upper] - values[lower]);
}

ServiceStats ComputeStats(const std::vector<v1::Case>& cases,
                          const std::vector<v1::CaseEvent>& events) {
  std::map<std::string, std::vector<const v1::CaseEvent*>> by_case;
  for (const v1::Case& c : cases) by_case[c.name()];
  for (const v1::CaseEvent& event : events) {
    auto it = by_case.find(event.case_());
    if (it != by_case.end()) it->second.push_back(&event);
  }
  for (auto& [name, list] : by_case) {
    std::stable_sort(list.begin(), list.end(), [](const v1::CaseEvent* a, const v1::CaseEvent* b) {
      return a->sequence() < b->sequence();
    });
  }

  ServiceStats stats;
  std::vector<double> to_offer, to_assignment, to_on_scene;
  std::vector<double> eta_error, eta_error_road, eta_error_medical;
  int stars_total = 0;
  for (const v1::Case& c : cases) {
    const std::vector<const v1::CaseEvent*>& list = by_case[c.name()];
    ++stats.cases;
    if (c.kind() == v1::CASE_KIND_ROAD) ++stats.road;
    if (c.kind() == v1::CASE_KIND_MEDICAL) ++stats.medical;
    if (c.state() == v1::CASE_STATE_CANCELLED) ++stats.cancellations;

    const absl::Time start = ToTime(c.create_time());
    std::optional<absl::Time> offered, assigned, on_scene;
    int32_t first_eta = 0;
    int escalations = 0;
    for (const v1::CaseEvent* event : list) {
      const absl::Time at = ToTime(event->event_time());
      if (event->has_offered() && !offered) offered = at;
      if (event->has_assigned() && !assigned) {
        assigned = at;
        first_eta = event->assigned().eta_seconds();
      }
      if (event->state() == v1::CASE_STATE_ON_SCENE && !on_scene) {
        on_scene = at;
      }
      if (event->has_escalated()) ++escalations;
      if (event->has_cancelled() && event->cancelled().false_alarm()) ++stats.false_alarms;
    }
    if (offered) to_offer.push_back(SecondsBetween(start, *offered));
    if (assigned) to_assignment.push_back(SecondsBetween(start, *assigned));
    if (on_scene) to_on_scene.push_back(SecondsBetween(start, *on_scene));
    if (assigned && on_scene && *on_scene >= *assigned && first_eta > 0) {
      const double error = absl::ToDoubleSeconds(*on_scene - *assigned) - first_eta;
      eta_error.push_back(error);
      (c.kind() == v1::CASE_KIND_MEDICAL ? eta_error_medical : eta_error_road).push_back(error);
    }
    if (assigned || !c.responder().empty()) ++stats.assigned;
    stats.escalations += escalations;
    if (escalations > 0) ++stats.escalated_cases;

    const int stars = StarsOf(c, list);
    if (stars > 0) {
      ++stats.ratings;
      stars_total += stars;
    }
  }
  if (stats.cases > 0) {
    stats.response_rate = static_cast<double>(stats.assigned) / stats.cases;
  }
  if (stats.ratings > 0) {
    stats.average_rating = static_cast<double>(stars_total) / stats.ratings;
  }
  stats.to_first_offer = Summarize(to_offer);
  stats.to_assignment = Summarize(to_assignment);
  stats.to_on_scene = Summarize(to_on_scene);
  stats.eta_error = Summarize(eta_error);
  stats.eta_error_road = Summarize(eta_error_road);
  stats.eta_error_medical = Summarize(eta_error_medical);
  return stats;
}

absl::StatusOr<absl::Duration> ParseWindow(absl::string_view text) {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  absl::Duration window;
  bool parsed = false;
  if (!trimmed.empty() && trimmed.back() == 'd') {
    int64_t days = 0;
    parsed = absl::SimpleAtoi(trimmed.substr(0, trimmed.size() - 1), &days) && days > 0 &&
             days <= 100'000;
    window = absl::Hours(24) * days;
  } else {
    parsed = absl::ParseDuration(trimmed, &window);
  }
  if (!parsed || window <= absl::ZeroDuration() || window == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad window \"", text, "\"; expected a positive duration like 24h, 90m or 7d"));
  }
  return window;
}

std::string FormatStatsJson(const ServiceStats& stats, absl::Duration window) {
  return absl::StrCat(
      "{\"since_seconds\":", absl::ToInt64Seconds(window), ",\"cases\":", stats.cases,
      ",\"alerts_by_kind\":{\"road\":", stats.road, ",\"medical\":", stats.medical,
      "},\"assigned\":", stats.assigned,
      ",\"response_rate\":", JsonNumber(stats.response_rate, kJsonDecimals),
      ",\"time_to_first_offer_seconds\":", DurationJson(stats.to_first_offer),
      ",\"time_to_assignment_seconds\":", DurationJson(stats.to_assignment),
      ",\"time_to_on_scene_seconds\":", DurationJson(stats.to_on_scene),
      ",\"eta_error_seconds\":", DurationJson(stats.eta_error),
      ",\"eta_error_seconds_by_kind\":{\"road\":", DurationJson(stats.eta_error_road),
      ",\"medical\":", DurationJson(stats.eta_error_medical), "}",
      ",\"escalations\":", stats.escalations, ",\"escalated_cases\":", stats.escalated_cases,
      ",\"cancellations\":", stats.cancellations, ",\"false_alarms\":", stats.false_alarms,
      ",\"ratings\":", stats.ratings,
      ",\"average_rating\":", JsonNumber(stats.average_rating, kJsonDecimals), "}");
}

std::string FormatStatsTable(const ServiceStats& stats, absl::Duration window) {
  Table table({});
  table.AddRow({"window:", absl::StrCat("last ", HumanDuration(window))});
  table.AddRow({"cases:", absl::StrCat(stats.cases, " (road ", stats.road, ", medical ",
                                       stats.medical, ")")});
  table.AddRow({"response rate:",
                stats.response_rate
                    ? absl::StrFormat("%.1f%% (%d of %d reached ASSIGNED)",
                                      *stats.response_rate * 100, stats.assigned, stats.cases)
                    : std::string("- (no cases)")});
  table.AddRow({"time to first offer:", DurationText(stats.to_first_offer)});
  table.AddRow({"time to assignment:", DurationText(stats.to_assignment)});
  table.AddRow({"time to on-scene:", DurationText(stats.to_on_scene)});
  table.AddRow({"ETA vs arrival:", EtaErrorText(stats.eta_error)});
  table.AddRow({"  road:", EtaErrorText(stats.eta_error_road)});
  table.AddRow({"  medical:", EtaErrorText(stats.eta_error_medical)});
  table.AddRow({"escalations:", absl::StrCat(stats.escalations, " (", stats.escalated_cases,
                                             stats.escalated_cases == 1 ? " case)" : " cases)")});
  table.AddRow({"cancellations:",
                absl::StrCat(stats.cancellations, " (", stats.false_alarms,
                             stats.false_alarms == 1 ? " false alarm)" : " false alarms)")});
  table.AddRow(
      {"average rating:", stats.average_rating
                              ? absl::StrFormat("%.2f / 5 (%d rating%s)", *stats.average_rating,
                                                stats.ratings, stats.ratings == 1 ? "" : "s")
                              : std::string("- (no ratings)")});
  return table.Render();
}

}  // namespace mayday::tools
