// Helpers shared by the dispatch engine tests: an engine on a ManualClock,
// points at an exact geodesic distance, and decisions as short strings that
// Catch2 prints readably when a comparison fails.
#ifndef MAYDAY_TESTS_DISPATCH_DISPATCH_TEST_UTIL_H_
#define MAYDAY_TESTS_DISPATCH_DISPATCH_TEST_UTIL_H_

#include <GeographicLib/Geodesic.hpp>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "mayday/base/clock.h"
#include "mayday/dispatch/engine.h"

namespace mayday::dispatch::testing {

// Munich city centre: where most tests put their cases.
inline constexpr GeoPoint kMunich{48.137154, 11.576124};

// The point `meters` from `from` along `azimuth_deg` (0 = north, 90 = east),
// on the WGS84 geodesic, so GeodesicDistance(from, result) == meters.
inline GeoPoint Away(GeoPoint from, double meters, double azimuth_deg = 90) {
  GeoPoint to;
  GeographicLib::Geodesic::WGS84().Direct(from.latitude_deg, from.longitude_deg, azimuth_deg,
                                          meters, to.latitude_deg, to.longitude_deg);
  return to;
}

// Geodesic distance responder -> case, as the engine measures it.
inline double Geodesic(GeoPoint from, GeoPoint to) {
  double meters = 0;
  GeographicLib::Geodesic::WGS84().Inverse(from.latitude_deg, from.longitude_deg, to.latitude_deg,
                                           to.longitude_deg, meters);
  return meters;
}

inline const char* EndReasonName(Decision::EndReason reason) {
  switch (reason) {
    case Decision::EndReason::kNone:
      return "none";
    case Decision::EndReason::kDeclined:
      return "declined";
    case Decision::EndReason::kExpired:
      return "expired";
    case Decision::EndReason::kResponderUnavailable:
      return "unavailable";
    case Decision::EndReason::kWithdrawn:
      return "withdrawn";
    case Decision::EndReason::kMemberMoved:
      return "member moved";
  }
  return "?";
}

// "offer c-1 -> r-1", "ended c-1 r-1 declined", "escalate c-1", "redispatch c-1";
// " (second)" after an offer for a second crew and its end.
inline std::string Summary(const Decision& d) {
  switch (d.type) {
    case Decision::Type::kOffer:
      return absl::StrCat("offer ", d.case_id, " -> ", d.responder_id, d.second ? " (second)" : "");
    case Decision::Type::kOfferEnded:
      return absl::StrCat("ended ", d.case_id, " ", d.responder_id, " ",
                          EndReasonName(d.end_reason), d.second ? " (second)" : "");
    case Decision::Type::kEscalate:
      return absl::StrCat("escalate ", d.case_id);
    case Decision::Type::kRedispatch:
      return absl::StrCat("redispatch ", d.case_id);
  }
  return "?";
}

inline std::vector<std::string> Summaries(const std::vector<Decision>& decisions) {
  std::vector<std::string> out;
  for (const Decision& d : decisions) out.push_back(Summary(d));
  return out;
}

// An engine on a manual clock. Responders get positions fixed "now".
struct Harness {
  explicit Harness(EngineOptions options = {}) : options(options) {
    auto created = Engine::Create(options, &clock);
    REQUIRE(created.ok());
    engine = std::move(*created);
  }

  // Puts `id` on duty with `capabilities` at `where`, position fixed now.
  void OnDuty(const ResponderId& id, std::vector<Capability> capabilities, GeoPoint where) {
    REQUIRE(engine->SetDuty(id, true, capabilities).ok());
    REQUIRE(engine->UpdatePosition(id, where, clock.Now()).ok());
  }

  void Open(const CaseId& id, CaseKind kind, GeoPoint where = kMunich) {
    REQUIRE(engine->AddCase(id, kind, where, clock.Now()).ok());
  }

  std::vector<std::string> Step() { return Summaries(engine->Step()); }

  EngineOptions options;
  base::ManualClock clock;
  std::unique_ptr<Engine> engine;
};

}  // namespace mayday::dispatch::testing

#endif  // MAYDAY_TESTS_DISPATCH_DISPATCH_TEST_UTIL_H_
