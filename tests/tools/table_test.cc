// Tests of maydayctl's column alignment.
#include "maydayctl/table.h"

#include <catch2/catch.hpp>

namespace mayday::tools {
namespace {

TEST_CASE("Table aligns columns and leaves no trailing spaces", "[table]") {
  Table table({"NAME", "STATE", "AGE"});
  table.AddRow({"cases/a", "DISPATCHING", "4 min"});
  table.AddRow({"cases/long-id", "ON_SCENE", ""});
  CHECK(table.row_count() == 2);
  CHECK(table.Render() ==
        "NAME           STATE        AGE\n"
        "cases/a        DISPATCHING  4 min\n"
        "cases/long-id  ON_SCENE\n");
}

TEST_CASE("Table without header prints only rows", "[table]") {
  Table table({});
  table.AddRow({"name:", "cases/a"});
  table.AddRow({"last sequence:", "7"});
  CHECK(table.Render() ==
        "name:           cases/a\n"
        "last sequence:  7\n");
}

TEST_CASE("Table pads ragged rows and counts UTF-8 code points", "[table]") {
  Table table({"A", "B"});
  table.AddRow({"±5 m", "x", "extra"});
  table.AddRow({"12345", "y"});
  CHECK(table.Render() ==
        "A      B\n"
        "±5 m   x  extra\n"
        "12345  y\n");
}

TEST_CASE("DisplayWidth counts code points", "[table]") {
  auto [text, width] = GENERATE(table<const char*, std::size_t>({
      {"", 0},
      {"abc", 3},
      {"±", 1},
      {"52.1, 4.2 (±15 m)", 17},
      {"é€😀", 3},
  }));
  INFO("text: " << text);
  CHECK(DisplayWidth(text) == width);
}

}  // namespace
}  // namespace mayday::tools
