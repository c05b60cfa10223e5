// The make-up of mayday-sim's simulated fleet: the --fleet spec
// ("tow:2,ambulance:2,paramedic:1"), the token file (one responder token per
// line) and the pairing of the two into the responders to simulate.
#ifndef MAYDAY_TOOLS_SIM_FLEET_H_
#define MAYDAY_TOOLS_SIM_FLEET_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::tools {

// Most responders one sim runs (each costs two threads).
inline constexpr int kMaxFleetSize = 200;

// `count` responders with one capability.
struct FleetEntry {
  mayday::v1::Capability capability = mayday::v1::CAPABILITY_UNSPECIFIED;
  int count = 0;
};

// Parses "tow:2,ambulance:2,paramedic:1": comma-separated CAPABILITY:COUNT
// pairs, capabilities as ParseCapability reads them, counts 1 to
// kMaxFleetSize, each capability at most once, at most kMaxFleetSize in
// total; spaces around items are ignored. INVALID_ARGUMENT naming the bad
// item otherwise.
absl::StatusOr<std::vector<FleetEntry>> ParseFleet(absl::string_view spec);

// Tokens in a token file's contents: one per line, surrounding whitespace
// trimmed, blank lines and lines starting with '#' skipped.
std::vector<std::string> ParseTokens(absl::string_view contents);

// Reads and parses a token file. NOT_FOUND if it cannot be read.
absl::StatusOr<std::vector<std::string>> ReadTokenFile(const std::string& path);

// One responder to simulate.
struct SimResponderSpec {
  std::string token;
  mayday::v1::Capability capability = mayday::v1::CAPABILITY_UNSPECIFIED;
};

// Gives each responder of the fleet, in spec order, the next token.
// INVALID_ARGUMENT when the fleet needs more tokens than there are (extra
// tokens are left unused).
absl::StatusOr<std::vector<SimResponderSpec>> AssignTokens(const std::vector<FleetEntry>& fleet,
                                                           const std::vector<std::string>& tokens);

}  // namespace mayday::tools

#endif  // MAYDAY_TOOLS_SIM_FLEET_H_
