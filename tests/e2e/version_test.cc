// `--version` of the binaries an operator runs: one line, "NAME VERSION"
// (the project's version), exit 0, before anything else is looked at (no
// database, no server, no token needed).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "daemon.h"

namespace mayday::testing {
namespace {

TEST_CASE("maydayd, maydayctl and mayday-sim say their version and exit 0") {
  struct Row {
    const char* binary;
    const char* name;
  };
  const Row row = GENERATE(values<Row>({{MAYDAYD_BINARY, "maydayd"},
                                        {MAYDAYCTL_BINARY, "maydayctl"},
                                        {MAYDAY_SIM_BINARY, "mayday-sim"}}));
  INFO(row.name);
  const Output out = Run({row.binary, "--version"});
  INFO(out.text());
  CHECK(out.exit_code == 0);
  CHECK(out.lines == std::vector<std::string>{std::string(row.name) + " " + MAYDAY_VERSION});
}

}  // namespace
}  // namespace mayday::testing
