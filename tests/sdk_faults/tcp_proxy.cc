// The fault-injecting proxy; see tcp_proxy.h. POSIX sockets: tests run on
// Linux only, the SDK itself stays portable.
#include "tcp_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "absl/strings/str_cat.h"

namespace mayday::testing {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  return address;
}

// Closes with RST rather than FIN, like a dropped mobile link.
void Reset(int fd) {
  if (fd < 0) return;
  linger hard{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
  close(fd);
}

}  // namespace

TcpProxy::TcpProxy(int upstream_port) : upstream_port_(upstream_port) {
  listener_ = socket(AF_INET, SOCK_STREAM, 0);
  if (listener_ < 0) throw std::runtime_error("proxy: socket");
  int one = 1;
  setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address = Loopback(0);
  if (bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) < 0 ||
      listen(listener_, 64) < 0) {
    throw std::runtime_error("proxy: bind/listen");
  }
  socklen_t size = sizeof(address);
  getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size);
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { Run(); });
}

TcpProxy::~TcpProxy() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
  for (Link& link : links_) CloseLink(&link);
  close(listener_);
}

std::string TcpProxy::address() const { return absl::StrCat("127.0.0.1:", port_); }

void TcpProxy::SetMode(Mode mode) {
  absl::MutexLock lock(&mu_);
  mode_ = mode;
}

void TcpProxy::SetUpstream(int upstream_port) {
  absl::MutexLock lock(&mu_);
  upstream_port_ = upstream_port;
}

void TcpProxy::DropAll() {
  absl::MutexLock lock(&mu_);
  drop_all_ = true;
  // Wait until the proxy thread has done it, so the caller can rely on it.
  auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !drop_all_; };
  mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(5));
}

int TcpProxy::accepted() const {
  absl::MutexLock lock(&mu_);
  return accepted_;
}

void TcpProxy::CloseLink(Link* link) {
  Reset(link->client);
  Reset(link->server);
  link->client = link->server = -1;
}

void TcpProxy::Run() {
  char buffer[64 * 1024];
  while (true) {
    Mode mode;
    int upstream_port;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      if (drop_all_) {
        for (Link& link : links_) CloseLink(&link);
        links_.clear();
        drop_all_ = false;
      }
      mode = mode_;
      upstream_port = upstream_port_;
    }
    // Accept first, then the links; in kStall nothing but the listener.
    std::vector<pollfd> fds;
    fds.push_back({listener_, POLLIN, 0});
    if (mode != Mode::kStall) {
      for (const Link& link : links_) {
        fds.push_back({link.client, POLLIN, 0});
        fds.push_back({link.server, POLLIN, 0});
      }
    }
    if (poll(fds.data(), fds.size(), 20) <= 0) continue;

    if (fds[0].revents & POLLIN) {
      int client = accept(listener_, nullptr, nullptr);
      if (client >= 0) {
        {
          absl::MutexLock lock(&mu_);
          ++accepted_;
        }
        if (mode == Mode::kRefuse) {
          Reset(client);
        } else {
          int server = socket(AF_INET, SOCK_STREAM, 0);
          sockaddr_in address = Loopback(upstream_port);
          if (server < 0 ||
              connect(server, reinterpret_cast<sockaddr*>(&address), sizeof(address)) < 0) {
            Reset(server);
            Reset(client);
          } else {
            int one = 1;
            setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            links_.push_back({client, server});
          }
        }
      }
    }
    if (mode == Mode::kStall) continue;
    // fds[1 + 2i] / fds[2 + 2i] belong to links_[i] as it was when polled.
    const size_t polled = (fds.size() - 1) / 2;
    for (size_t i = 0; i < polled; ++i) {
      Link& link = links_[i];
      for (int side = 0; side < 2 && link.client >= 0; ++side) {
        const pollfd& fd = fds[1 + 2 * i + side];
        if ((fd.revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        const int from = side == 0 ? link.client : link.server;
        const int to = side == 0 ? link.server : link.client;
        const ssize_t n = read(from, buffer, sizeof(buffer));
        if (n <= 0) {
          CloseLink(&link);
          break;
        }
        if (side == 1 && mode == Mode::kDropReplies) continue;
        ssize_t sent = 0;
        while (sent < n) {
          const ssize_t w = send(to, buffer + sent, n - sent, MSG_NOSIGNAL);
          if (w <= 0) break;
          sent += w;
        }
        if (sent < n) {
          CloseLink(&link);
          break;
        }
      }
    }
    std::erase_if(links_, [](const Link& link) { return link.client < 0; });
  }
}

}  // namespace mayday::testing
