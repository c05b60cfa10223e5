// Parsing of mayday-sim's fleet spec and token file.
#include "sim/fleet.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "maydayctl/format.h"

namespace mayday::tools {

absl::StatusOr<std::vector<FleetEntry>> ParseFleet(absl::string_view spec) {
  if (absl::StripAsciiWhitespace(spec).empty()) {
    return absl::InvalidArgumentError(
        "empty fleet spec; expected CAPABILITY:COUNT,... such as "
        "tow:2,ambulance:1");
  }
  std::vector<FleetEntry> fleet;
  std::set<mayday::v1::Capability> seen;
  int total = 0;
  for (absl::string_view raw : absl::StrSplit(spec, ',')) {
    const absl::string_view item = absl::StripAsciiWhitespace(raw);
    const std::vector<absl::string_view> parts = absl::StrSplit(item, ':');
    if (parts.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad fleet item \"", item, "\"; expected CAPABILITY:COUNT such as tow:2"));
    }
    absl::StatusOr<mayday::v1::Capability> capability =
        ParseCapability(absl::StripAsciiWhitespace(parts[0]));
    if (!capability.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad fleet item \"", item, "\": ", capability.status().message()));
    }
    int count = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(parts[1]), &count) || count < 1 ||
        count > kMaxFleetSize) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad fleet item \"", item, "\": count must be 1 to ", kMaxFleetSize));
    }
    if (!seen.insert(*capability).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bad fleet item \"", item, "\": ", CapabilityName(*capability), " is listed twice"));
    }
    total += count;
    if (total > kMaxFleetSize) {
      return absl::InvalidArgumentError(
          absl::StrCat("fleet too large: at most ", kMaxFleetSize, " responders"));
    }
    fleet.push_back(FleetEntry{*capability, count});
  }
  return fleet;
}

std::vector<std::string> ParseTokens(absl::string_view contents) {
  std::vector<std::string> tokens;
  for (absl::string_view line : absl::StrSplit(contents, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    tokens.emplace_back(line);
  }
  return tokens;
}

absl::StatusOr<std::vector<std::string>> ReadTokenFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read token file ", path));
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  return ParseTokens(contents.str());
}

absl::StatusOr<std::vector<SimResponderSpec>> AssignTokens(const std::vector<FleetEntry>& fleet,
                                                           const std::vector<std::string>& tokens) {
  std::size_t needed = 0;
  for (const FleetEntry& entry : fleet) needed += entry.count;
  if (needed > tokens.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the fleet has ", needed, " responders but the token file has only ",
                     tokens.size(), " tokens; add tokens or shrink --fleet"));
  }
  std::vector<SimResponderSpec> responders;
  responders.reserve(needed);
  for (const FleetEntry& entry : fleet) {
    for (int i = 0; i < entry.count; ++i) {
      responders.push_back(SimResponderSpec{tokens[responders.size()], entry.capability});
    }
  }
  return responders;
}

}  // namespace mayday::tools
