// maydayd's listener: it owns the listening sockets and accept(), and hands
// each connection to gRPC (ServerBuilder's external connection acceptor,
// which still applies the server's TLS credentials).
//
// Why not gRPC's own listener: in gRPC 1.51 it stops accepting for good
// after one "Failed accept4: Too many open files", and it has no cap on
// connections. Connected clients go on working, so nothing looks wrong
// while every new phone fails. This one:
// - takes at most `max_connections` at once (listener/descriptor_limit.h
//   derives it from the open-file limit); past that it accepts and closes
//   at once, so the client fails fast and retries, and connections never
//   take the descriptors the database and the rest of the server need;
// - on EMFILE or ENFILE all the same (descriptors taken by something
//   else), closes a spare descriptor it keeps for that, accepts the waiting
//   connection and closes it, opens the spare again, and goes on; without
//   a spare it waits 100 ms and tries again, never giving up;
// - checks every `probe_interval` that it still accepts, by connecting to
//   itself: a probe refused, or not accepted within `probe_timeout` while
//   no other connection was accepted either (the accept thread is stuck; a
//   probe queued behind a flood is busy, not dead), is reported once
//   through `on_lost`, as is an accept() error that says the socket itself
//   is broken. maydayd then says NOT_SERVING and exits for its supervisor
//   to restart it.
//
// Refusals are logged on stderr, at most one line per 10 s, with how many
// were refused since the line before.
#ifndef MAYDAY_SERVER_LISTENER_LISTENER_H_
#define MAYDAY_SERVER_LISTENER_LISTENER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "listener/listen_sockets.h"
#include "listener/open_connections.h"
#include "mayday/base/clock.h"

namespace mayday::server {

struct ListenerOptions {
  // Connections handed over and still open, at most; one more is accepted
  // and closed at once. Must be positive.
  int64_t max_connections = 0;
  // How often the listener connects to itself to check that it accepts;
  // zero: never.
  absl::Duration probe_interval = absl::Seconds(5);
  // How long its own connection may wait to be accepted before the
  // listener is reported lost.
  absl::Duration probe_timeout = absl::Seconds(5);
  // The time of the probes and of the refusal lines; null: the system
  // clock. Not owned.
  const base::Clock* clock = nullptr;
};

// Thread-safe.
class Listener {
 public:
  // Takes `fd`, a connected, non-blocking, close-on-exec socket accepted
  // on `listener_fd`, and owns it.
  using Handoff = std::function<void(int listener_fd, int fd)>;
  // Why the listener stopped accepting.
  using Lost = std::function<void(const absl::Status& why)>;

  // Binds and listens on `address` (listen_sockets.h for its forms) and
  // opens the spare descriptor. Connections queue in the backlog until
  // Start(). Errors as OpenListenSockets; INVALID_ARGUMENT if
  // max_connections is not positive.
  static absl::StatusOr<std::unique_ptr<Listener>> Open(const std::string& address,
                                                        ListenerOptions options);
  ~Listener();  // Stop()

  // The port listened on.
  int port() const;

  // Starts the accept thread ("mayday-accept"), which calls `handoff` with
  // each connection it takes, and the probe thread ("mayday-probe").
  // `on_lost` is called at most once, from either. Both must not block for
  // long: they hold up accepting. Call once.
  void Start(Handoff handoff, Lost on_lost);
  // Stops both threads and closes the listening sockets (connections
  // handed over stay open). Idempotent; not from `handoff` or `on_lost`.
  void Stop();

  // Connections handed over and not known to be closed (counted again
  // only at the cap).
  int64_t open_connections() const { return open_count_.load(); }
  // Connections accepted and closed at once: at the cap, and for want of a
  // descriptor.
  int64_t refused_at_cap() const { return refused_at_cap_.load(); }
  int64_t refused_out_of_descriptors() const { return refused_out_of_descriptors_.load(); }
  // Probes accepted in time.
  int64_t probes_answered() const { return probes_answered_.load(); }

 private:
  Listener(std::vector<ListenSocket> sockets, int wake_fd, ListenerOptions options);

  enum class Drained {
    kAll,      // nothing waits any more
    kBackOff,  // out of memory, or of descriptors with no spare: wait a little
    kBroken,   // the socket is broken (reported lost)
  };

  void AcceptLoop();
  // Accepts everything waiting on `socket` (or until Stop()).
  Drained AcceptAll(const ListenSocket& socket);
  // A connection just accepted on `socket`: the probe's, refused, or handed
  // over.
  void Take(const ListenSocket& socket, int fd, const sockaddr_storage& peer);
  // Whether `peer` is the probe's connection; if so it is answered.
  bool IsProbe(const sockaddr_storage& peer) ABSL_LOCKS_EXCLUDED(mu_);
  // EMFILE/ENFILE: refuses one waiting connection with the spare's
  // descriptor. Returns false if there was no spare to use.
  bool RefuseWithSpare(const ListenSocket& socket);
  // Whether the cap has room, counting the open connections again (rate
  // limited: at most every 50 ms, or every cap/16 refusals) when it is full.
  bool HasRoom();
  void NoteRefused(std::atomic<int64_t>& counter);
  // Writes the refusals not yet logged, unless a line went out within
  // kRefusalLineInterval.
  void LogRefusalsLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ProbeLoop();
  // Connects to the first socket, its local address in probe_from_ before
  // the connection can arrive. RESOURCE_EXHAUSTED if no descriptor was free
  // (not the listener's fault), UNAVAILABLE if refused (nothing listens).
  absl::StatusOr<int> ConnectProbe() ABSL_LOCKS_EXCLUDED(mu_);
  void ReportLost(const absl::Status& why);

  const std::vector<ListenSocket> sockets_;
  const int wake_fd_;  // an eventfd: written by Stop() to end the accept thread's poll
  const ListenerOptions options_;
  const base::Clock* const clock_;
  Handoff handoff_;
  Lost on_lost_;
  std::atomic<bool> lost_{false};
  std::atomic<bool> stopping_{false};

  // Accept thread only.
  OpenConnections open_;
  int spare_fd_ = -1;
  absl::Time last_recount_ = absl::InfinitePast();
  int64_t refused_since_recount_ = 0;

  // Connections accepted, refused ones included: a probe that times out
  // while this moves found a busy listener, not a dead one.
  std::atomic<int64_t> accepted_{0};
  std::atomic<int64_t> open_count_{0};
  std::atomic<int64_t> refused_at_cap_{0};
  std::atomic<int64_t> refused_out_of_descriptors_{0};
  std::atomic<int64_t> probes_answered_{0};

  absl::Mutex mu_;
  bool probe_stopping_ ABSL_GUARDED_BY(mu_) = false;
  // The probe connection waiting to be accepted, by its local address.
  std::optional<sockaddr_storage> probe_from_ ABSL_GUARDED_BY(mu_);
  // Refusals not yet logged, and when the last line was.
  int64_t unlogged_at_cap_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t unlogged_out_of_descriptors_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_refusal_line_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();

  absl::Mutex stop_mu_;
  bool started_ ABSL_GUARDED_BY(stop_mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread accept_thread_;
  std::thread probe_thread_;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_LISTENER_LISTENER_H_
