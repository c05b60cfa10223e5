// gRPC's connection failures in plain words (base/connect_words.h), against
// the messages gRPC 1.51 gives.
#include "mayday/base/connect_words.h"

#include <catch2/catch.hpp>

namespace {

using mayday::base::DescribeRefusedConnection;

TEST_CASE("A refused connection names the address, anything else keeps gRPC's words",
          "[base][connect]") {
  struct Row {
    const char* message;
    const char* said;  // nullptr: nothing
  };
  auto row = GENERATE(values<Row>({
      {"failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:7433: Failed "
       "to connect to remote host: Connection refused",
       "cannot reach 127.0.0.1:7433: connection refused"},
      {"connections to all backends failing; last error: UNKNOWN: ipv4:127.0.0.1:38141: "
       "Failed to connect to remote host: Connection refused",
       "cannot reach 127.0.0.1:38141: connection refused"},
      {"failed to connect to all addresses; last error: UNKNOWN: ipv6:[::1]:7433: Failed to "
       "connect to remote host: Connection refused",
       "cannot reach [::1]:7433: connection refused"},
      {"failed to connect to all addresses; last error: UNAVAILABLE: ipv4:127.0.0.1:1: Socket "
       "closed",
       nullptr},
      {"failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:1: Ssl "
       "handshake failed: SSL_ERROR_SSL: error:0A000086:SSL routines::certificate verify failed",
       nullptr},
      {"DNS resolution failed for nowhere.invalid:7433: C-ares status is not ARES_SUCCESS",
       nullptr},
      {"failed to connect to all addresses", nullptr},
      {"Connection refused", nullptr},
      {"", nullptr},
  }));
  INFO(row.message);
  const std::optional<std::string> said = DescribeRefusedConnection(row.message);
  if (row.said == nullptr) {
    CHECK_FALSE(said.has_value());
  } else {
    REQUIRE(said.has_value());
    CHECK(*said == row.said);
  }
}

}  // namespace
