// Which position reports dispatch needs now; see position_coalescer.h.
#include "responders/position_coalescer.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace mayday::server {

double ApproximateMeters(double lat1, double lon1, double lat2, double lon2) {
  constexpr double kEarthMeanRadiusMeters = 6'371'008.8;
  constexpr double kRadiansPerDegree = 3.14159265358979323846 / 180;
  const double p1 = lat1 * kRadiansPerDegree, p2 = lat2 * kRadiansPerDegree;
  const double dp = p2 - p1, dl = (lon2 - lon1) * kRadiansPerDegree;
  // Haversine: stable for the short distances that matter here.
  const double h = std::sin(dp / 2) * std::sin(dp / 2) +
                   std::cos(p1) * std::cos(p2) * std::sin(dl / 2) * std::sin(dl / 2);
  return 2 * kEarthMeanRadiusMeters * std::asin(std::min(1.0, std::sqrt(h)));
}

PositionCoalescer::Verdict PositionCoalescer::Offer(const std::string& responder_id,
                                                    const mayday::v1::Location& location,
                                                    absl::Time fix_time, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = crews_.find(responder_id);
  if (it == crews_.end() || !it->second.registered) return {Route::kUnregistered, ""};
  Crew& crew = it->second;
  // Reports may arrive out of order: the newest fix is kept, as the engine
  // would keep it.
  if (crew.applied && fix_time < crew.applied_fix) return {Route::kHeld, crew.on_case, true};
  const bool merged = HoldLocked(crew, responder_id, location, fix_time, now);
  const bool urgent = !options_.enabled() || !crew.applied ||
                      ApproximateMeters(crew.latitude, crew.longitude, location.latitude(),
                                        location.longitude()) >= options_.urgent_move_meters;
  if (!urgent) return {Route::kHeld, crew.on_case, merged};
  if (!urgent_since_.has_value()) urgent_since_ = now;
  return {Route::kUrgent, crew.on_case, merged};
}

bool PositionCoalescer::HoldLocked(Crew& crew, const std::string& responder_id,
                                   const mayday::v1::Location& location, absl::Time fix_time,
                                   absl::Time now) {
  if (crew.held.has_value()) {
    if (fix_time >= crew.held->fix_time) crew.held = HeldPosition{responder_id, location, fix_time};
    return true;
  }
  crew.held = HeldPosition{responder_id, location, fix_time};
  held_ids_.push_back(responder_id);
  if (held_count_++ == 0) oldest_held_ = now;
  return false;
}

void PositionCoalescer::Applied(const std::string& responder_id,
                                const mayday::v1::Location& location, absl::Time fix_time,
                                const std::string& on_case) {
  absl::MutexLock lock(&mu_);
  Crew& crew = crews_[responder_id];
  if (crew.applied && fix_time < crew.applied_fix) {
    crew.on_case = on_case;  // an older fix the engine ignored; the case is current
    return;
  }
  crew.applied = true;
  crew.latitude = location.latitude();
  crew.longitude = location.longitude();
  crew.applied_fix = fix_time;
  crew.on_case = on_case;
  if (crew.held.has_value() && crew.held->fix_time <= fix_time) {
    crew.held.reset();
    if (--held_count_ == 0) {
      oldest_held_.reset();
      urgent_since_.reset();
    }
  }
}

std::vector<HeldPosition> PositionCoalescer::TakeHeld() {
  absl::MutexLock lock(&mu_);
  std::vector<HeldPosition> out;
  out.reserve(held_count_);
  for (const std::string& id : held_ids_) {
    auto it = crews_.find(id);
    // Applied() or Forget() may have dropped it since.
    if (it == crews_.end() || !it->second.held.has_value()) continue;
    out.push_back(*std::move(it->second.held));
    it->second.held.reset();
  }
  held_ids_.clear();
  held_count_ = 0;
  oldest_held_.reset();
  urgent_since_.reset();
  return out;
}

std::optional<absl::Time> PositionCoalescer::NextDue() const {
  absl::MutexLock lock(&mu_);
  if (!oldest_held_.has_value()) return std::nullopt;
  const absl::Time due = *oldest_held_ + options_.interval;
  return urgent_since_.has_value() ? std::min(due, *urgent_since_) : due;
}

void PositionCoalescer::SetCase(const std::string& responder_id, const std::string& on_case) {
  absl::MutexLock lock(&mu_);
  auto it = crews_.find(responder_id);
  if (it != crews_.end()) it->second.on_case = on_case;
}

void PositionCoalescer::Registered(const std::string& responder_id) {
  absl::MutexLock lock(&mu_);
  Crew& crew = crews_[responder_id];
  crew.registered = true;
  // A held report stays: it is still the newest position, and goes with the
  // next round.
  crew.applied = false;
}

size_t PositionCoalescer::HeldCount() const {
  absl::MutexLock lock(&mu_);
  return held_count_;
}

}  // namespace mayday::server
