// Crews' positions for the members waiting for them; see crew_watch.h.
#include "responders/crew_watch.h"

#include <pthread.h>

#include <algorithm>

#include "mayday/dispatch/geodesy.h"

namespace mayday::server {

double DistanceMeters(const mayday::v1::Location& a, const mayday::v1::Location& b) {
  return dispatch::GeodesicDistanceMeters(dispatch::GeoPoint{a.latitude(), a.longitude()},
                                          dispatch::GeoPoint{b.latitude(), b.longitude()});
}

bool CrewUpdates::Moved(const CrewFix& fix, absl::Time now) {
  // Two reports handed on at once may arrive in either order: the older
  // one changes nothing.
  if (latest_.has_value() && fix.report_time < latest_->report_time) return false;
  latest_ = fix;
  if (!sent_location_.has_value()) return true;
  return DistanceMeters(*sent_location_, fix.location) >= rules_.move_meters ||
         now - sent_time_ >= rules_.max_quiet;
}

bool CrewUpdates::Quiet(absl::Time now) const {
  return latest_.has_value() && now - sent_time_ >= rules_.max_quiet;
}

void CrewUpdates::Sent(absl::Time now) {
  if (latest_.has_value()) sent_location_ = latest_->location;
  sent_time_ = now;
}

void CrewUpdates::Reset() {
  latest_.reset();
  sent_location_.reset();
  sent_time_ = absl::InfinitePast();
}

CrewWatch::CrewWatch(const base::Clock* clock, const dispatch::EngineOptions& speeds,
                     absl::Duration tick)
    : clock_(clock), speeds_(speeds), tick_(tick) {}

double CrewWatch::FallbackSpeed(mayday::v1::CaseKind kind) const {
  if (kind == mayday::v1::CASE_KIND_MEDICAL) {
    return std::min(speeds_.ambulance_speed_mps, speeds_.paramedic_speed_mps);
  }
  return std::min({speeds_.tow_speed_mps, speeds_.patrol_speed_mps, speeds_.mechanic_speed_mps});
}

CrewWatch::~CrewWatch() { Stop(); }

void CrewWatch::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void CrewWatch::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void CrewWatch::Loop() {
  pthread_setname_np(pthread_self(), "mayday-crews");
  absl::MutexLock lock(&mu_);
  absl::Time next = clock_->Now() + tick_;
  while (!stopping_) {
    // A deadline on a grid, not "a tick from now": a tick that runs late
    // (a busy machine, a test's clock moved twice) makes the next one due
    // at once rather than a whole tick later.
    clock_->AwaitWithDeadline(&mu_, absl::Condition(&stopping_), next);
    if (stopping_) return;
    const absl::Time now = clock_->Now();
    if (now < next) continue;
    next = now + tick_;
    for (const auto& [listener, unused] : crew_of_) listener->Tick(now);
  }
}

void CrewWatch::Reported(const std::string& responder_id, const mayday::v1::Location& location,
                         absl::Time now) {
  // Every crew's every report passes here: a shared lock, so that reports
  // of different crews never wait for each other (listeners lock their own
  // state; they may be called from several reports at once).
  absl::ReaderMutexLock lock(&mu_);
  auto it = by_crew_.find(responder_id);
  if (it == by_crew_.end()) return;
  const CrewFix fix{location, now};
  for (CrewListener* listener : it->second) listener->CrewMoved(fix);
}

void CrewWatch::Add(CrewListener* listener) {
  absl::MutexLock lock(&mu_);
  crew_of_.try_emplace(listener);
}

void CrewWatch::Watch(CrewListener* listener, const std::string& responder_id) {
  absl::MutexLock lock(&mu_);
  auto it = crew_of_.find(listener);
  if (it == crew_of_.end()) return;  // removed meanwhile
  if (it->second == responder_id) return;
  UnwatchLocked(listener);
  it->second = responder_id;
  if (responder_id.empty()) return;
  by_crew_[responder_id].push_back(listener);
}

void CrewWatch::UnwatchLocked(CrewListener* listener) {
  auto it = crew_of_.find(listener);
  if (it == crew_of_.end() || it->second.empty()) return;
  auto crew = by_crew_.find(it->second);
  if (crew != by_crew_.end()) {
    std::vector<CrewListener*>& listeners = crew->second;
    listeners.erase(std::remove(listeners.begin(), listeners.end(), listener), listeners.end());
    if (listeners.empty()) by_crew_.erase(crew);
  }
  it->second.clear();
}

void CrewWatch::Remove(CrewListener* listener) {
  absl::MutexLock lock(&mu_);
  UnwatchLocked(listener);
  crew_of_.erase(listener);
}

size_t CrewWatch::ListenerCount() const {
  absl::MutexLock lock(&mu_);
  return crew_of_.size();
}

}  // namespace mayday::server
