// Stalled crews; see stall_watch.h.
#include "mayday/dispatch/stall_watch.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "geo.h"
#include "mayday/base/figures.h"

namespace mayday::dispatch {
namespace {

using base::MetersInWords;
using base::SpanInWords;

}  // namespace

absl::Status StallOptions::Validate() const {
  const std::pair<bool, const char*> checks[] = {
      {silent_after > absl::ZeroDuration(), "silent_after"},
      {progress_window > absl::ZeroDuration(), "progress_window"},
      {min_closing_mps > 0, "min_closing_mps"},
      {arrived_meters > 0, "arrived_meters"},
      {eta_overrun >= 0, "eta_overrun"},
      {min_overrun >= absl::ZeroDuration(), "min_overrun"},
  };
  for (const auto& [ok, name] : checks) {
    if (!ok)
      return absl::InvalidArgumentError(absl::StrCat("stall option ", name, " is not valid"));
  }
  return absl::OkStatus();
}

const char* StallReasonName(StallReason reason) {
  switch (reason) {
    case StallReason::kSilent:
      return "silent";
    case StallReason::kNotCloser:
      return "not_closer";
    case StallReason::kLate:
      return "late";
  }
  return "?";
}

void StallWatch::Assigned(const CaseId& case_id, const ResponderId& crew, GeoPoint to,
                          std::optional<GeoPoint> from, absl::Duration eta, absl::Time assigned_at,
                          absl::Time now) {
  Ended(case_id);
  Watched w;
  w.crew = crew;
  w.to = to;
  w.eta = eta;
  w.assigned_at = assigned_at;
  w.window_start = now;
  w.last_report = now;
  if (from.has_value()) {
    w.last_meters = GeodesicDistanceMeters(*from, to);
    w.samples.emplace_back(now, w.last_meters);
  }
  // A crew comes to one case at a time: a new assignment replaces its old.
  if (auto old = case_of_.find(crew); old != case_of_.end() && old->second != case_id) {
    cases_.erase(old->second);
  }
  cases_[case_id] = std::move(w);
  case_of_[crew] = case_id;
}

void StallWatch::MemberMoved(const CaseId& case_id, GeoPoint to, absl::Time now) {
  auto it = cases_.find(case_id);
  if (it == cases_.end()) return;
  Watched& w = it->second;
  w.to = to;
  w.window_start = now;
  w.samples.clear();
}

void StallWatch::Position(const ResponderId& crew, GeoPoint at, absl::Time time) {
  auto c = case_of_.find(crew);
  if (c == case_of_.end()) return;
  Watched& w = cases_.at(c->second);
  if (time < w.last_report) return;
  w.last_report = time;
  w.last_meters = GeodesicDistanceMeters(at, w.to);
  w.samples.emplace_back(time, w.last_meters);
}

void StallWatch::Ended(const CaseId& case_id) {
  auto it = cases_.find(case_id);
  if (it == cases_.end()) return;
  case_of_.erase(it->second.crew);
  cases_.erase(it);
}

std::vector<Stall> StallWatch::Check(absl::Time now) {
  std::vector<Stall> found;
  for (auto& entry : cases_) {
    const CaseId& case_id = entry.first;  // (a lambda below uses both: no
    Watched& w = entry.second;            // structured binding for clang 14)
    const std::string to_go =
        w.last_meters >= 0 ? absl::StrCat(" (", MetersInWords(w.last_meters), " to go)") : "";
    auto report = [&](StallReason reason, std::string words) {
      bool& done = w.reported[static_cast<int>(reason)];
      if (done) return;
      done = true;
      found.push_back({case_id, w.crew, reason, std::move(words)});
    };
    if (now - w.last_report >= options_.silent_after) {
      report(StallReason::kSilent, absl::StrCat("no position from ", w.crew, " for ",
                                                SpanInWords(now - w.last_report), to_go));
    }
    // Progress over the window: from the newest sample at or before its
    // start (older ones are no longer needed) to the latest.
    const absl::Time from = now - options_.progress_window;
    while (w.samples.size() >= 2 && w.samples[1].first <= from) w.samples.pop_front();
    if (w.window_start <= from && !w.samples.empty() && w.samples.front().first <= from &&
        w.last_meters > options_.arrived_meters) {
      // Closing speed over the reports that span the window (at least
      // the window, less one report's interval): a crew closing at
      // min_closing_mps or faster never trips it, however it reports.
      const double closer = w.samples.front().second - w.last_meters;
      const double seconds =
          absl::ToDoubleSeconds(w.samples.back().first - w.samples.front().first);
      if (closer < options_.min_closing_mps * seconds) {
        report(StallReason::kNotCloser,
               closer < 0 ? absl::StrCat(w.crew, " went ", MetersInWords(-closer),
                                         " farther away in the last ",
                                         SpanInWords(options_.progress_window), to_go)
                          : absl::StrCat(w.crew, " came only ", MetersInWords(closer),
                                         " closer in the last ",
                                         SpanInWords(options_.progress_window), to_go));
      }
    }
    if (w.eta > absl::ZeroDuration() && w.eta != absl::InfiniteDuration()) {
      const absl::Duration late =
          std::max(w.eta * (1 + options_.eta_overrun), w.eta + options_.min_overrun);
      if (now - w.assigned_at > late) {
        report(StallReason::kLate,
               absl::StrCat(w.crew, " is ", SpanInWords(now - w.assigned_at - w.eta),
                            " past its ETA of ", SpanInWords(w.eta), to_go));
      }
    }
  }
  return found;
}

}  // namespace mayday::dispatch
