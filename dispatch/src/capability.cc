// Which capability serves which case kind, and at what speed.
#include "capability.h"

namespace mayday::dispatch {

bool Serves(Capability c, CaseKind k) {
  switch (c) {
    case Capability::kTow:
    case Capability::kPatrol:
    case Capability::kMechanic:
      return k == CaseKind::kRoad;
    case Capability::kAmbulance:
    case Capability::kParamedic:
      return k == CaseKind::kMedical;
  }
  return false;
}

bool IsKnownCapability(Capability c) {
  switch (c) {
    case Capability::kTow:
    case Capability::kPatrol:
    case Capability::kMechanic:
    case Capability::kAmbulance:
    case Capability::kParamedic:
      return true;
  }
  return false;
}

double SpeedMps(const EngineOptions& options, Capability c) {
  switch (c) {
    case Capability::kTow:
      return options.tow_speed_mps;
    case Capability::kPatrol:
      return options.patrol_speed_mps;
    case Capability::kMechanic:
      return options.mechanic_speed_mps;
    case Capability::kAmbulance:
      return options.ambulance_speed_mps;
    case Capability::kParamedic:
      return options.paramedic_speed_mps;
  }
  return 0;
}

std::optional<double> FastestServingSpeedMps(const EngineOptions& options,
                                             absl::Span<const Capability> capabilities,
                                             CaseKind kind) {
  std::optional<double> fastest;
  for (Capability c : capabilities) {
    if (!Serves(c, kind)) continue;
    const double speed = SpeedMps(options, c);
    if (!fastest.has_value() || speed > *fastest) fastest = speed;
  }
  return fastest;
}

bool AnyServes(absl::Span<const Capability> capabilities, CaseKind kind) {
  for (Capability c : capabilities) {
    if (Serves(c, kind)) return true;
  }
  return false;
}

const char* ServingNouns(CaseKind kind) {
  return kind == CaseKind::kMedical ? "ambulance or paramedic" : "tow truck, patrol or mechanic";
}

}  // namespace mayday::dispatch
