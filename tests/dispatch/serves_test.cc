// Serves(): which capability serves which case kind, every combination.
#include <catch2/catch.hpp>
#include <tuple>

#include "mayday/dispatch/engine.h"

namespace mayday::dispatch {
namespace {

TEST_CASE("Serves covers every capability and case kind", "[dispatch][serves]") {
  auto [capability, kind, serves] = GENERATE(table<Capability, CaseKind, bool>({
      {Capability::kTow, CaseKind::kRoad, true},
      {Capability::kPatrol, CaseKind::kRoad, true},
      {Capability::kMechanic, CaseKind::kRoad, true},
      {Capability::kAmbulance, CaseKind::kRoad, false},
      {Capability::kParamedic, CaseKind::kRoad, false},
      {Capability::kTow, CaseKind::kMedical, false},
      {Capability::kPatrol, CaseKind::kMedical, false},
      {Capability::kMechanic, CaseKind::kMedical, false},
      {Capability::kAmbulance, CaseKind::kMedical, true},
      {Capability::kParamedic, CaseKind::kMedical, true},
  }));
  CAPTURE(static_cast<int>(capability), static_cast<int>(kind));
  CHECK(Serves(capability, kind) == serves);
}

TEST_CASE("Serves is false for a capability value outside the enum", "[dispatch][serves]") {
  const auto stray = static_cast<Capability>(99);
  CHECK_FALSE(Serves(stray, CaseKind::kRoad));
  CHECK_FALSE(Serves(stray, CaseKind::kMedical));
}

}  // namespace
}  // namespace mayday::dispatch
