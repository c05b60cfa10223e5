// Engine::Create: validates the options and builds the first engine.
#include "mayday/dispatch/engine.h"

#include <cmath>
#include <memory>

#include "absl/strings/str_cat.h"
#include "engine_impl.h"

namespace mayday::dispatch {
namespace {

absl::Status ValidatePositive(double value, const char* name) {
  if (!std::isfinite(value) || value <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("EngineOptions.", name, " must be a positive finite number, got ", value));
  }
  return absl::OkStatus();
}

absl::Status ValidatePositive(absl::Duration value, const char* name) {
  if (value <= absl::ZeroDuration() || value == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("EngineOptions.", name,
                                                   " must be a positive finite duration, got ",
                                                   absl::FormatDuration(value)));
  }
  return absl::OkStatus();
}

absl::Status ValidateOptions(const EngineOptions& o) {
  for (absl::Status s : {
           ValidatePositive(o.max_radius_meters, "max_radius_meters"),
           ValidatePositive(o.offer_timeout, "offer_timeout"),
           ValidatePositive(o.max_position_age, "max_position_age"),
           ValidatePositive(o.tow_speed_mps, "tow_speed_mps"),
           ValidatePositive(o.patrol_speed_mps, "patrol_speed_mps"),
           ValidatePositive(o.mechanic_speed_mps, "mechanic_speed_mps"),
           ValidatePositive(o.ambulance_speed_mps, "ambulance_speed_mps"),
           ValidatePositive(o.paramedic_speed_mps, "paramedic_speed_mps"),
           ValidatePositive(o.reoffer_min_gain_meters, "reoffer_min_gain_meters"),
       }) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(const EngineOptions& options,
                                                       const base::Clock* clock) {
  if (clock == nullptr) {
    return absl::InvalidArgumentError("the dispatch engine needs a clock; got null");
  }
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  return std::unique_ptr<Engine>(std::make_unique<EngineImpl>(options, clock));
}

}  // namespace mayday::dispatch
