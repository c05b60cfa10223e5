// Opening the listening sockets; see listen_sockets.h.
#include "listener/listen_sockets.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace mayday::server {
namespace {

struct HostPort {
  std::string host;  // without brackets; empty: all interfaces
  int port = 0;
};

absl::StatusOr<HostPort> Split(absl::string_view address) {
  const auto malformed = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot listen on \"", address, "\": ", why,
        "; expected HOST:PORT, e.g. 127.0.0.1:7433, [::1]:7433, 0.0.0.0:7433 or [::]:7433"));
  };
  HostPort out;
  absl::string_view port;
  if (!address.empty() && address.front() == '[') {
    const size_t close = address.find(']');
    if (close == absl::string_view::npos || close + 1 >= address.size() ||
        address[close + 1] != ':') {
      return malformed("no \"]:\" after the IPv6 address");
    }
    out.host = std::string(address.substr(1, close - 1));
    port = address.substr(close + 2);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == absl::string_view::npos) return malformed("no port");
    out.host = std::string(address.substr(0, colon));
    if (out.host.find(':') != std::string::npos) return malformed("an IPv6 address needs brackets");
    port = address.substr(colon + 1);
  }
  if (!absl::SimpleAtoi(port, &out.port) || out.port < 0 || out.port > 65535) {
    return malformed("the port is not a number from 0 to 65535");
  }
  return out;
}

bool IsWildcard(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET) {
    return reinterpret_cast<const sockaddr_in&>(address).sin_addr.s_addr == htonl(INADDR_ANY);
  }
  if (address.ss_family == AF_INET6) {
    return IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6&>(address).sin6_addr);
  }
  return false;
}

void SetPort(sockaddr_storage& address, int port) {
  if (address.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in&>(address).sin_port = htons(static_cast<uint16_t>(port));
  } else if (address.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6&>(address).sin6_port = htons(static_cast<uint16_t>(port));
  }
}

std::string Describe(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (address.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(address).sin_addr, text, sizeof text);
    return text;
  }
  inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(address).sin6_addr, text, sizeof text);
  return absl::StrCat("[", text, "]");
}

// Binds and listens on one address; `dual_stack` for the IPv6 wildcard. On
// failure errno is the system's reason.
absl::StatusOr<ListenSocket> Listen(sockaddr_storage address, socklen_t length, bool dual_stack) {
  const int fd = socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    const int error = errno;
    absl::Status status = absl::UnavailableError(
        absl::StrCat("cannot open a socket for ", Describe(address), ": ", std::strerror(error)));
    errno = error;
    return status;
  }
  const int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  // Accepted connections inherit it: gRPC's own listener sets it too.
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  if (address.ss_family == AF_INET6) {
    const int v6_only = dual_stack ? 0 : 1;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6_only, sizeof v6_only);
  }
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0 ||
      listen(fd, SOMAXCONN) != 0) {
    const int error = errno;
    close(fd);
    // Another process on the port is a usage error the caller names (exit 2
    // for maydayd); sockets no longer share ports (no SO_REUSEPORT).
    absl::Status status = error == EADDRINUSE
                              ? absl::AlreadyExistsError(absl::StrCat(
                                    "cannot listen on ", AddressOf({.address = address}),
                                    ": the port is in use by another process "
                                    "(another maydayd?)"))
                              : absl::UnavailableError(absl::StrCat("cannot listen on ",
                                                                    AddressOf({.address = address}),
                                                                    ": ", std::strerror(error)));
    errno = error;
    return status;
  }
  ListenSocket out{.fd = fd};
  out.length = sizeof out.address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&out.address), &out.length);
  return out;
}

// The addresses `host` names, each with `port`.
absl::StatusOr<std::vector<std::pair<sockaddr_storage, socklen_t>>> Resolve(const HostPort& where) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(where.port);
  if (const int rc = getaddrinfo(where.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", where.host, ": ", gai_strerror(rc)));
  }
  std::vector<std::pair<sockaddr_storage, socklen_t>> out;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_family != AF_INET && a->ai_family != AF_INET6) continue;
    sockaddr_storage address{};
    std::memcpy(&address, a->ai_addr, a->ai_addrlen);
    bool seen = false;
    for (const auto& [other, _] : out) seen = seen || SameEndpoint(other, address);
    if (!seen) out.emplace_back(address, a->ai_addrlen);
  }
  freeaddrinfo(found);
  return out;
}

void CloseAll(std::vector<ListenSocket>& sockets) {
  for (ListenSocket& s : sockets) close(s.fd);
  sockets.clear();
}

}  // namespace

int PortOf(const ListenSocket& socket) {
  if (socket.address.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in&>(socket.address).sin_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in6&>(socket.address).sin6_port);
}

std::string AddressOf(const ListenSocket& socket) {
  return absl::StrCat(Describe(socket.address), ":", PortOf(socket));
}

absl::StatusOr<std::vector<ListenSocket>> OpenListenSockets(const std::string& address) {
  auto where = Split(address);
  if (!where.ok()) return where.status();
  std::vector<ListenSocket> sockets;
  if (where->host.empty() || where->host == "::") {
    // All interfaces: one dual-stack IPv6 socket, or IPv4 where IPv6 is off.
    sockaddr_in6 any6{};
    any6.sin6_family = AF_INET6;
    any6.sin6_addr = in6addr_any;
    any6.sin6_port = htons(static_cast<uint16_t>(where->port));
    sockaddr_storage storage{};
    std::memcpy(&storage, &any6, sizeof any6);
    auto socket = Listen(storage, sizeof any6, /*dual_stack=*/true);
    if (!socket.ok() && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL)) {
      sockaddr_in any4{};
      any4.sin_family = AF_INET;
      any4.sin_addr.s_addr = htonl(INADDR_ANY);
      any4.sin_port = any6.sin6_port;
      storage = {};
      std::memcpy(&storage, &any4, sizeof any4);
      auto socket4 = Listen(storage, sizeof any4, false);
      if (!socket4.ok()) return socket.status();  // IPv6's reason: it was asked for
      socket = socket4;
    }
    if (!socket.ok()) return socket.status();
    sockets.push_back(*socket);
    return sockets;
  }
  auto addresses = Resolve(*where);
  if (!addresses.ok()) return addresses.status();
  absl::Status first_error;
  for (auto [resolved, length] : *addresses) {
    if (!sockets.empty()) SetPort(resolved, PortOf(sockets.front()));
    auto socket = Listen(resolved, length, /*dual_stack=*/false);
    if (socket.ok()) {
      sockets.push_back(*socket);
      continue;
    }
    // An address of a family this machine has turned off (::1 of
    // "localhost" without IPv6) is skipped; anything else fails the whole.
    if (errno != EADDRNOTAVAIL && errno != EAFNOSUPPORT) {
      CloseAll(sockets);
      return socket.status();
    }
    if (first_error.ok()) first_error = socket.status();
  }
  if (sockets.empty()) {
    return first_error.ok() ? absl::UnavailableError(absl::StrCat("cannot listen on ", address,
                                                                  ": it names no IP address"))
                            : first_error;
  }
  return sockets;
}

sockaddr_storage LocalTarget(const ListenSocket& socket) {
  sockaddr_storage target = socket.address;
  if (!IsWildcard(target)) return target;
  if (target.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in&>(target).sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  } else {
    reinterpret_cast<sockaddr_in6&>(target).sin6_addr = in6addr_loopback;
  }
  return target;
}

bool SameEndpoint(const sockaddr_storage& a, const sockaddr_storage& b) {
  // Both as IPv6 (IPv4 mapped) address and port.
  const auto normal = [](const sockaddr_storage& s) {
    std::pair<std::array<unsigned char, 16>, int> out{};
    if (s.ss_family == AF_INET) {
      const auto& in = reinterpret_cast<const sockaddr_in&>(s);
      out.first[10] = out.first[11] = 0xff;
      std::memcpy(out.first.data() + 12, &in.sin_addr, 4);
      out.second = ntohs(in.sin_port);
    } else if (s.ss_family == AF_INET6) {
      const auto& in6 = reinterpret_cast<const sockaddr_in6&>(s);
      std::memcpy(out.first.data(), &in6.sin6_addr, 16);
      out.second = ntohs(in6.sin6_port);
    } else {
      out.second = -1;
    }
    return out;
  };
  const auto left = normal(a);
  return left.second >= 0 && left == normal(b);
}

}  // namespace mayday::server
