// Tests of mayday-sim's fleet spec, token file and token assignment.
#include "sim/fleet.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;

TEST_CASE("ParseFleet reads valid specs", "[fleet]") {
  auto fleet = ParseFleet("tow:2,ambulance:2,paramedic:1");
  REQUIRE(fleet.ok());
  REQUIRE(fleet->size() == 3);
  CHECK((*fleet)[0].capability == v1::CAPABILITY_TOW);
  CHECK((*fleet)[0].count == 2);
  CHECK((*fleet)[1].capability == v1::CAPABILITY_AMBULANCE);
  CHECK((*fleet)[1].count == 2);
  CHECK((*fleet)[2].capability == v1::CAPABILITY_PARAMEDIC);
  CHECK((*fleet)[2].count == 1);

  auto spaced = ParseFleet(" Patrol : 3 , MECHANIC:1 ");
  REQUIRE(spaced.ok());
  REQUIRE(spaced->size() == 2);
  CHECK((*spaced)[0].capability == v1::CAPABILITY_PATROL);
  CHECK((*spaced)[0].count == 3);
  CHECK((*spaced)[1].capability == v1::CAPABILITY_MECHANIC);
}

TEST_CASE("ParseFleet rejects bad specs with a clear error", "[fleet]") {
  auto [spec, expected] = GENERATE(table<std::string, std::string>({
      {"", "empty fleet spec"},
      {"   ", "empty fleet spec"},
      {"tow", "bad fleet item \"tow\"; expected CAPABILITY:COUNT"},
      {"tow:2:3", "expected CAPABILITY:COUNT"},
      {"tow:2,", "bad fleet item \"\""},
      {"tows:2", "unknown capability \"tows\"; expected one of tow, patrol"},
      {"unspecified:1", "unknown capability"},
      {"tow:0", "count must be 1 to"},
      {"tow:-1", "count must be 1 to"},
      {"tow:two", "count must be 1 to"},
      {"tow:1.5", "count must be 1 to"},
      {"tow:", "count must be 1 to"},
      {"tow:99999999999", "count must be 1 to"},
      {"tow:1,TOW:2", "tow is listed twice"},
      {"tow:150,ambulance:100", "fleet too large: at most 200"},
  }));
  INFO("spec: \"" << spec << "\"");
  auto fleet = ParseFleet(spec);
  REQUIRE_FALSE(fleet.ok());
  CHECK(fleet.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(fleet.status().message()), Catch::Matchers::Contains(expected));
}

TEST_CASE("ParseTokens skips blanks and comments", "[fleet]") {
  const std::vector<std::string> tokens = ParseTokens(
      "# responder tokens\n"
      "tok-1\n"
      "\n"
      "   tok-2  \r\n"
      "  # indented comment\n"
      "\ttok-3");
  CHECK(tokens == std::vector<std::string>{"tok-1", "tok-2", "tok-3"});
  CHECK(ParseTokens("").empty());
  CHECK(ParseTokens("# only\n\n").empty());
}

TEST_CASE("ReadTokenFile reports a missing file", "[fleet]") {
  auto tokens = ReadTokenFile("/nonexistent/mayday/tokens.txt");
  REQUIRE_FALSE(tokens.ok());
  CHECK(tokens.status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("AssignTokens pairs responders with tokens in order", "[fleet]") {
  const std::vector<FleetEntry> fleet = {{v1::CAPABILITY_TOW, 2}, {v1::CAPABILITY_AMBULANCE, 1}};
  auto specs = AssignTokens(fleet, {"a", "b", "c", "unused"});
  REQUIRE(specs.ok());
  REQUIRE(specs->size() == 3);
  CHECK((*specs)[0].token == "a");
  CHECK((*specs)[0].capability == v1::CAPABILITY_TOW);
  CHECK((*specs)[1].token == "b");
  CHECK((*specs)[1].capability == v1::CAPABILITY_TOW);
  CHECK((*specs)[2].token == "c");
  CHECK((*specs)[2].capability == v1::CAPABILITY_AMBULANCE);
}

TEST_CASE("AssignTokens refuses a fleet larger than the tokens", "[fleet]") {
  const std::vector<FleetEntry> fleet = {{v1::CAPABILITY_TOW, 2}, {v1::CAPABILITY_PARAMEDIC, 2}};
  auto specs = AssignTokens(fleet, {"a", "b", "c"});
  REQUIRE_FALSE(specs.ok());
  CHECK(specs.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(specs.status().message() ==
        "the fleet has 4 responders but the token file has only 3 tokens; "
        "add tokens or shrink --fleet");
}

}  // namespace
}  // namespace mayday::tools
