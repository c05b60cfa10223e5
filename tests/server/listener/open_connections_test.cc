// Counting the connections handed over (server/listener/open_connections.*):
// a closed descriptor, or its number reused for another socket, is a
// connection gone.
#include "listener/open_connections.h"

#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <utility>
#include <vector>

namespace mayday::testing {
namespace {

// A connected pair of sockets; the first end is the "connection".
std::pair<int, int> Pair() {
  int fds[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  return {fds[0], fds[1]};
}

TEST_CASE("Connections closed since they were added are no longer counted") {
  server::OpenConnections open;
  std::vector<std::pair<int, int>> pairs = {Pair(), Pair(), Pair()};
  for (const auto& [end, _] : pairs) REQUIRE(open.Add(end));
  CHECK(open.Recount() == 3);

  close(pairs[1].first);    // gRPC closed it
  CHECK(open.size() == 3);  // not noticed until counted again
  CHECK(open.Recount() == 2);

  // The kernel gives the lowest free number: the closed one, to a new socket
  // that is no connection of ours.
  close(pairs[0].first);
  const auto reused = Pair();
  REQUIRE((reused.first == pairs[0].first || reused.second == pairs[0].first));
  CHECK(open.Recount() == 1);

  // Added again under the reused number: counted once.
  REQUIRE(open.Add(reused.first));
  REQUIRE(open.Add(reused.first));
  CHECK(open.Recount() == 2);

  // A descriptor already closed is not counted at all.
  const auto gone = Pair();
  close(gone.first);
  CHECK_FALSE(open.Add(gone.first));
  close(gone.second);

  close(pairs[2].first);
  close(reused.first);
  CHECK(open.Recount() == 0);
  for (const auto& [_, other] : pairs) close(other);
  close(reused.second);
}

}  // namespace
}  // namespace mayday::testing
