// What the binaries an operator runs say before they do anything:
// `--version`, one line "NAME VERSION" (the project's version), exit 0, with
// no database, server or token; and maydayctl without a server or a token,
// a line saying how to give one, exit 2, before any call.
#include <stdlib.h>

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

TEST_CASE("maydayctl without a server or a token says how to give one") {
  // As on a fresh shell: neither is in the environment.
  ::unsetenv("MAYDAY_SERVER");
  ::unsetenv("MAYDAY_TOKEN");
  const Output no_server = Run({MAYDAYCTL_BINARY, "cases", "list"});
  INFO(no_server.text());
  CHECK(no_server.exit_code == 2);
  CHECK(no_server.text() == "maydayctl: no server: pass --server HOST:PORT or set MAYDAY_SERVER");
  // Port 1: nothing listens there, and nothing is called anyway.
  const Output no_token = Run({MAYDAYCTL_BINARY, "--server", "127.0.0.1:1", "cases", "list"});
  INFO(no_token.text());
  CHECK(no_token.exit_code == 2);
  CHECK(no_token.text() ==
        "maydayctl: no token: pass --token TOKEN or set MAYDAY_TOKEN (an operator's token, from "
        "`maydayd token create --role operator`)");
}

}  // namespace
}  // namespace mayday::testing
