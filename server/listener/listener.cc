// Accepting connections ourselves; see listener.h.
#include "listener/listener.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "log/log.h"

namespace mayday::server {
namespace {

// How long the accept thread waits before trying again when accept() failed
// for want of memory, or of descriptors with no spare to free one.
constexpr int kBackOffMs = 100;
// The cap is counted again at most this often while it is full, or after
// every cap/16 refusals, whichever comes first: a count costs one fstat per
// open connection.
constexpr absl::Duration kRecountInterval = absl::Milliseconds(50);
// At most one line about refusals per this, on stderr.
constexpr absl::Duration kRefusalLineInterval = absl::Seconds(10);

int OpenSpare() { return open("/dev/null", O_RDONLY | O_CLOEXEC); }

}  // namespace

absl::StatusOr<std::unique_ptr<Listener>> Listener::Open(const std::string& address,
                                                         ListenerOptions options) {
  if (options.max_connections <= 0) {
    return absl::InvalidArgumentError("the listener's max_connections must be positive");
  }
  auto sockets = OpenListenSockets(address);
  if (!sockets.ok()) return sockets.status();
  const int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd < 0) {
    for (const ListenSocket& s : *sockets) close(s.fd);
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, ": no eventfd: ", std::strerror(errno)));
  }
  return std::unique_ptr<Listener>(new Listener(*std::move(sockets), wake_fd, options));
}

Listener::Listener(std::vector<ListenSocket> sockets, int wake_fd, ListenerOptions options)
    : sockets_(std::move(sockets)),
      wake_fd_(wake_fd),
      options_(options),
      clock_(options.clock != nullptr ? options.clock : base::SystemClock()),
      spare_fd_(OpenSpare()) {}

Listener::~Listener() { Stop(); }

int Listener::port() const { return PortOf(sockets_.front()); }

void Listener::Start(Handoff handoff, Lost on_lost) {
  absl::MutexLock lock(&stop_mu_);
  if (started_ || stopped_) return;
  started_ = true;
  handoff_ = std::move(handoff);
  on_lost_ = std::move(on_lost);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  if (options_.probe_interval > absl::ZeroDuration()) {
    probe_thread_ = std::thread([this] { ProbeLoop(); });
  }
}

void Listener::Stop() {
  absl::MutexLock lock(&stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  stopping_ = true;
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
  {
    absl::MutexLock probe_lock(&mu_);
    probe_stopping_ = true;
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  if (probe_thread_.joinable()) probe_thread_.join();
  for (const ListenSocket& s : sockets_) close(s.fd);
  close(wake_fd_);
  if (spare_fd_ >= 0) close(spare_fd_);
  spare_fd_ = -1;
}

void Listener::AcceptLoop() {
  pthread_setname_np(pthread_self(), "mayday-accept");
  std::vector<pollfd> polled = {{.fd = wake_fd_, .events = POLLIN, .revents = 0}};
  for (const ListenSocket& s : sockets_)
    polled.push_back({.fd = s.fd, .events = POLLIN, .revents = 0});
  bool back_off = false;
  while (!stopping_) {
    const bool retry = back_off;
    back_off = false;
    for (pollfd& p : polled) p.revents = 0;
    if (poll(polled.data(), polled.size(), retry ? kBackOffMs : -1) < 0) {
      if (errno != EINTR) back_off = true;  // ENOMEM: the kernel's trouble, not ours
      continue;
    }
    if (stopping_) return;
    for (size_t i = 1; i < polled.size(); ++i) {
      const ListenSocket& socket = sockets_[i - 1];
      if ((polled[i].revents & POLLNVAL) != 0) {
        ReportLost(absl::InternalError(
            absl::StrCat("the listening socket on ", AddressOf(socket), " was closed")));
        return;
      }
      if (!retry && polled[i].revents == 0) continue;
      switch (AcceptAll(socket)) {
        case Drained::kAll:
          break;
        case Drained::kBackOff:
          back_off = true;
          break;
        case Drained::kBroken:
          return;
      }
    }
  }
}

Listener::Drained Listener::AcceptAll(const ListenSocket& socket) {
  while (!stopping_) {
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    const int fd = accept4(socket.fd, reinterpret_cast<sockaddr*>(&peer), &length,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      ++accepted_;
      Take(socket, fd, peer);
      continue;
    }
    switch (errno) {
      case EAGAIN:
        return Drained::kAll;
      case EMFILE:
      case ENFILE:
        if (!RefuseWithSpare(socket)) return Drained::kBackOff;
        continue;
      case ENOBUFS:
      case ENOMEM:
        return Drained::kBackOff;
      case EBADF:
      case EINVAL:
      case ENOTSOCK:
      case EFAULT:
        // The socket itself is broken (EINVAL: it no longer listens).
        ReportLost(absl::InternalError(
            absl::StrCat("accept() on ", AddressOf(socket), " failed: ", std::strerror(errno))));
        return Drained::kBroken;
      default:
        // The connection's own trouble (ECONNABORTED, EPROTO, EPERM from a
        // firewall, a network error passed on): on to the next one.
        continue;
    }
  }
  return Drained::kAll;
}

bool Listener::IsProbe(const sockaddr_storage& peer) {
  absl::MutexLock lock(&mu_);
  if (!probe_from_.has_value() || !SameEndpoint(*probe_from_, peer)) return false;
  probe_from_.reset();
  ++probes_answered_;
  return true;
}

void Listener::Take(const ListenSocket& socket, int fd, const sockaddr_storage& peer) {
  if (IsProbe(peer)) {
    close(fd);
    return;
  }
  // Counted before the close, which the client may see at once.
  if (!HasRoom()) {
    NoteRefused(refused_at_cap_);
    close(fd);
    return;
  }
  if (!open_.Add(fd)) {
    close(fd);
    return;
  }
  open_count_ = static_cast<int64_t>(open_.size());
  handoff_(socket.fd, fd);
}

bool Listener::HasRoom() {
  const int64_t cap = options_.max_connections;
  if (static_cast<int64_t>(open_.size()) < cap) return true;
  const absl::Time now = clock_->Now();
  if (now - last_recount_ >= kRecountInterval ||
      refused_since_recount_ >= std::max<int64_t>(1, cap / 16)) {
    open_.Recount();
    open_count_ = static_cast<int64_t>(open_.size());
    last_recount_ = now;
    refused_since_recount_ = 0;
    if (static_cast<int64_t>(open_.size()) < cap) return true;
  }
  ++refused_since_recount_;
  return false;
}

bool Listener::RefuseWithSpare(const ListenSocket& socket) {
  if (spare_fd_ < 0) spare_fd_ = OpenSpare();
  if (spare_fd_ < 0) return false;
  close(spare_fd_);
  spare_fd_ = -1;
  sockaddr_storage peer{};
  socklen_t length = sizeof peer;
  const int fd = accept4(socket.fd, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_CLOEXEC);
  const int error = errno;
  spare_fd_ = OpenSpare();
  if (fd < 0) return error != EMFILE && error != ENFILE;  // taken meanwhile: back off
  ++accepted_;
  if (!IsProbe(peer)) NoteRefused(refused_out_of_descriptors_);
  close(fd);
  return true;
}

void Listener::NoteRefused(std::atomic<int64_t>& counter) {
  ++counter;
  absl::MutexLock lock(&mu_);
  ++(&counter == &refused_at_cap_ ? unlogged_at_cap_ : unlogged_out_of_descriptors_);
  LogRefusalsLocked(clock_->Now());
}

void Listener::LogRefusalsLocked(absl::Time now) {
  if (unlogged_at_cap_ + unlogged_out_of_descriptors_ == 0) return;
  if (now - last_refusal_line_ < kRefusalLineInterval) return;
  last_refusal_line_ = now;
  LogWarning("connections_refused",
             "new connections refused at once (closed as soon as accepted) since the "
             "last such line: %lld at the cap of %lld open connections, %lld for want of a "
             "file descriptor",
             static_cast<long long>(unlogged_at_cap_),
             static_cast<long long>(options_.max_connections),
             static_cast<long long>(unlogged_out_of_descriptors_));
  unlogged_at_cap_ = 0;
  unlogged_out_of_descriptors_ = 0;
}

absl::StatusOr<int> Listener::ConnectProbe() {
  const ListenSocket& socket = sockets_.front();
  const sockaddr_storage target = LocalTarget(socket);
  const int fd = ::socket(target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::ResourceExhaustedError(absl::StrCat("no socket: ", std::strerror(errno)));
  }
  // Bound first, so that the accept thread knows it by its address before
  // it can arrive.
  sockaddr_storage local = target;
  if (local.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in&>(local).sin_port = 0;
  } else {
    reinterpret_cast<sockaddr_in6&>(local).sin6_port = 0;
  }
  socklen_t length = local.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&local), length) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) {
    const int error = errno;
    close(fd);
    return absl::ResourceExhaustedError(absl::StrCat("cannot bind: ", std::strerror(error)));
  }
  {
    absl::MutexLock lock(&mu_);
    probe_from_ = local;
  }
  if (connect(fd, reinterpret_cast<const sockaddr*>(&target), length) != 0 &&
      errno != EINPROGRESS) {
    const int error = errno;
    close(fd);
    absl::MutexLock lock(&mu_);
    probe_from_.reset();
    return absl::UnavailableError(
        absl::StrCat("connecting to ", AddressOf(socket), " failed: ", std::strerror(error)));
  }
  return fd;
}

void Listener::ProbeLoop() {
  pthread_setname_np(pthread_self(), "mayday-probe");
  const auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return probe_stopping_; };
  const auto answered = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return probe_stopping_ || !probe_from_.has_value();
  };
  mu_.Lock();
  absl::Time next = clock_->Now() + options_.probe_interval;
  while (true) {
    // It also writes the refusals a quiet spell left unlogged, when their
    // line is due (or at the next probe, if they came while it slept).
    absl::Time wake = next;
    if (unlogged_at_cap_ + unlogged_out_of_descriptors_ > 0) {
      wake = std::min(wake, last_refusal_line_ + kRefusalLineInterval);
    }
    clock_->AwaitWithDeadline(&mu_, absl::Condition(&stopping), wake);
    if (probe_stopping_) break;
    LogRefusalsLocked(clock_->Now());
    if (clock_->Now() < next) continue;
    mu_.Unlock();
    const absl::StatusOr<int> probe = ConnectProbe();
    mu_.Lock();
    if (probe_stopping_) {
      if (probe.ok()) close(*probe);
      break;
    }
    if (!probe.ok()) {
      // Connection refused: nothing listens any more.
      if (absl::IsUnavailable(probe.status())) {
        mu_.Unlock();
        ReportLost(probe.status());
        return;
      }
      // No descriptor for the probe: the accept thread copes with that (a
      // spare); the next probe will tell.
      next = clock_->Now() + options_.probe_interval;
      continue;
    }
    const int64_t accepted_before = accepted_;
    const bool in_time = clock_->AwaitWithDeadline(&mu_, absl::Condition(&answered),
                                                   clock_->Now() + options_.probe_timeout);
    close(*probe);
    if (probe_stopping_) break;
    if (!in_time) {
      probe_from_.reset();
      // Busy (it accepted others meanwhile, the probe waits behind them in
      // a full backlog) is not dead: try again next time.
      if (accepted_ == accepted_before) {
        mu_.Unlock();
        ReportLost(absl::DeadlineExceededError(absl::StrCat(
            "the listener on ", AddressOf(sockets_.front()), " accepted no connection in ",
            absl::FormatDuration(options_.probe_timeout), ", its own probe connection included")));
        return;
      }
    }
    next = clock_->Now() + options_.probe_interval;
  }
  mu_.Unlock();
}

void Listener::ReportLost(const absl::Status& why) {
  if (lost_.exchange(true)) return;
  if (on_lost_) on_lost_(why);
}

}  // namespace mayday::server
