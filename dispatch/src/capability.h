// What each responder capability serves, how fast it travels, and how to name
// the capabilities serving a case kind in words a care agent reads.
#ifndef MAYDAY_DISPATCH_SRC_CAPABILITY_H_
#define MAYDAY_DISPATCH_SRC_CAPABILITY_H_

#include <optional>

#include "absl/types/span.h"
#include "mayday/dispatch/engine.h"

namespace mayday::dispatch {

// True if `c` is one of the Capability enumerators (not a stray cast value).
bool IsKnownCapability(Capability c);

// The average driving speed for `c`, metres per second, from `options`.
double SpeedMps(const EngineOptions& options, Capability c);

// The fastest speed among `capabilities` that serve `kind`; nullopt if none
// serves it.
std::optional<double> FastestServingSpeedMps(const EngineOptions& options,
                                             absl::Span<const Capability> capabilities,
                                             CaseKind kind);

// True if any of `capabilities` serves `kind`.
bool AnyServes(absl::Span<const Capability> capabilities, CaseKind kind);

// "tow truck, patrol or mechanic" for road, "ambulance or paramedic" for
// medical.
const char* ServingNouns(CaseKind kind);

}  // namespace mayday::dispatch

#endif  // MAYDAY_DISPATCH_SRC_CAPABILITY_H_
