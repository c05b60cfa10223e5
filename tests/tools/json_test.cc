// Tests of the hand-written JSON literals of maydayctl.
#include "maydayctl/json.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <optional>
#include <string>

namespace mayday::tools {
namespace {

TEST_CASE("JsonString escapes what JSON requires", "[json]") {
  auto [text, expected] = GENERATE(table<std::string, std::string>({
      {"", "\"\""},
      {"plain", "\"plain\""},
      {"say \"hi\"", "\"say \\\"hi\\\"\""},
      {"back\\slash", "\"back\\\\slash\""},
      {"a\nb\tc\rd", "\"a\\nb\\tc\\rd\""},
      {std::string("nul\0x", 5), "\"nul\\u0000x\""},
      {"\x1b[2J", "\"\\u001b[2J\""},
      {"Ærø ±15 m", "\"Ærø ±15 m\""},
  }));
  INFO("expected: " << expected);
  CHECK(JsonString(text) == expected);
}

TEST_CASE("JsonNumber trims zeros and refuses non-numbers", "[json]") {
  auto [value, decimals, expected] = GENERATE(table<double, int, std::string>({
      {4.5, 3, "4.5"},
      {3.0, 3, "3"},
      {0.6, 3, "0.6"},
      {11.0 / 3, 3, "3.667"},
      {4.8912346, 6, "4.891235"},
      {-33.8688, 6, "-33.8688"},
      {-0.0000001, 6, "0"},
      {1234567.0, 0, "1234567"},
      {std::nan(""), 3, "null"},
      {std::numeric_limits<double>::infinity(), 3, "null"},
  }));
  INFO("value: " << value);
  CHECK(JsonNumber(value, decimals) == expected);
  CHECK(JsonNumber(std::optional<double>(), 3) == "null");
  CHECK(JsonNumber(std::optional<double>(2.25), 2) == "2.25");
}

}  // namespace
}  // namespace mayday::tools
