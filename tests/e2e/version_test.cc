// What the binaries an operator runs say before they do anything:
// `--version`, one line "NAME VERSION" (the project's version), exit 0, with
// no database, server or token; and maydayctl without a server or a token,
// a line saying how to give one, exit 2, before any call.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/time/clock.h"
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

namespace mayday::testing {
namespace {

// An address pasted as a URL, and a database in a folder that is not
// there: each answered with a line saying what to write or create.
TEST_CASE("maydayctl takes an http:// address and says how to write the others") {
  struct Row {
    const char* server;
    const char* says;
  };
  const Row row = GENERATE(values<Row>(
      {{"https://127.0.0.1:1",
        "maydayctl: INVALID_ARGUMENT: --server https://127.0.0.1:1 says TLS (https://): write "
        "the address as HOST:PORT and add --tls (or --tls-ca FILE) to use TLS"},
       {"127.0.0.1:1/cases",
        "maydayctl: INVALID_ARGUMENT: --server 127.0.0.1:1/cases: write the address as HOST:PORT "
        "(127.0.0.1:7433), or several as ipv4:H1:P1,H2:P2 or dns:///NAME:PORT"}}));
  INFO(row.server);
  const Output out = Run({MAYDAYCTL_BINARY, "--server", row.server, "--token", "t", "cases", "list",
                          "--timeout", "3"});
  CHECK(out.exit_code == 1);
  CHECK(out.text() == row.says);
  // http:// is the plaintext address it names: the call is made (and
  // refused, nothing listening on port 1), no DNS lookup of "http".
  const Output http = Run({MAYDAYCTL_BINARY, "--server", "http://127.0.0.1:1", "--token", "t",
                           "cases", "list", "--timeout", "3"});
  INFO(http.text());
  CHECK(http.text().find("DNS") == std::string::npos);
  CHECK(http.text().find("127.0.0.1:1") != std::string::npos);
}

TEST_CASE("maydayctl says at once that it cannot reach the server") {
  const absl::Time start = absl::Now();
  const Output out =
      Run({MAYDAYCTL_BINARY, "--server", "127.0.0.1:1", "--token", "t", "cases", "list"});
  const absl::Duration took = absl::Now() - start;
  INFO(out.text());
  CHECK(out.exit_code == 1);
  CHECK(out.text() ==
        "maydayctl: cannot reach 127.0.0.1:1: connection refused (is maydayd running there? "
        "check --server or MAYDAY_SERVER)");
  CHECK(took < absl::Seconds(5));
}

TEST_CASE("maydayd names the missing folder of its database") {
  const std::string db = "/nonexistent-mayday-folder/sub/mayday.db";
  const std::string says = "cannot open the database " + db +
                           ": the folder /nonexistent-mayday-folder/sub does not exist; create "
                           "it, or give a file in a folder that exists";
  const Output served = Run({MAYDAYD_BINARY, "--listen", "127.0.0.1:0", "--db", db});
  INFO(served.text());
  CHECK(served.exit_code == 1);
  REQUIRE(served.lines.size() == 1);
  CHECK(LogMessage(served.lines[0]) == "maydayd: UNAVAILABLE: " + says);
  const Output token =
      Run({MAYDAYD_BINARY, "token", "create", "--db", db, "--role", "member", "--subject", "a"});
  CHECK(token.exit_code == 1);
  CHECK(token.text() == "maydayd: UNAVAILABLE: " + says);
}

}  // namespace
}  // namespace mayday::testing
