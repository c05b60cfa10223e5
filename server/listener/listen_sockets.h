// The listening sockets of `maydayd --listen HOST:PORT`, opened by maydayd
// itself rather than by gRPC so that it owns accept() (listener/listener.h).
#ifndef MAYDAY_SERVER_LISTENER_LISTEN_SOCKETS_H_
#define MAYDAY_SERVER_LISTENER_LISTEN_SOCKETS_H_

#include <sys/socket.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace mayday::server {

// One bound, listening socket. The descriptor is owned by whoever holds it.
struct ListenSocket {
  int fd = -1;
  sockaddr_storage address{};  // as bound, with the port the kernel gave
  socklen_t length = 0;
};

// Opens HOST:PORT for listening: an IPv4 address, a bracketed IPv6 one
// ("[::1]:7433"), a name (every address it resolves to: "localhost" is
// 127.0.0.1 and ::1), or all interfaces ("0.0.0.0:7433" for IPv4 only;
// "[::]:7433" or ":7433" for IPv6 and IPv4, or IPv4 alone where IPv6 is
// off). All sockets share one port; port 0 takes the one the kernel picks
// for the first. Sockets are non-blocking and close-on-exec, with
// SO_REUSEADDR (a restart binds while the old connections linger in
// TIME_WAIT) but not SO_REUSEPORT (a second maydayd on the port is refused,
// not load-balanced with the first). INVALID_ARGUMENT if `address` is
// malformed, UNAVAILABLE with the system's reason if it cannot be resolved
// or bound ("Address already in use"). Any thread.
absl::StatusOr<std::vector<ListenSocket>> OpenListenSockets(const std::string& address);

// The port a socket is bound to.
int PortOf(const ListenSocket& socket);
// Its address and port, for messages: "127.0.0.1:7433", "[::]:7433".
std::string AddressOf(const ListenSocket& socket);

// Where a connection from this machine reaches `socket`: its own address,
// or the loopback address of its family if it listens on all interfaces.
sockaddr_storage LocalTarget(const ListenSocket& socket);

// Whether two socket addresses name the same IP address and port, an IPv4
// one and its IPv4-mapped IPv6 form alike.
bool SameEndpoint(const sockaddr_storage& a, const sockaddr_storage& b);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_LISTENER_LISTEN_SOCKETS_H_
