// maydayd assembled: storage, the case log, live fan-out, dispatch and the
// three gRPC services, listening on one address. Tests start it in-process
// on 127.0.0.1:0 with a temporary database; main.cc starts it from flags.
#ifndef MAYDAY_SERVER_SERVER_H_
#define MAYDAY_SERVER_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cases/commit_follower.h"
#include "dispatcher/fix_rule.h"
#include "dispatcher/second_crew.h"
#include "mayday/base/clock.h"
#include "mayday/dispatch/engine.h"
#include "mayday/dispatch/stall_watch.h"
#include "responders/position_coalescer.h"
#include "rpc/rate_limits.h"
#include "rpc/stream_caps.h"
#include "store/dispatch_lease.h"
#include "store/store.h"
#include "tls/server_tls.h"
#include "webhooks/deliverer.h"

namespace mayday::server {

class CaseWriter;
class Dispatcher;

struct ServerOptions {
  // host:port to listen on; port 0 picks a free one (see Server::port()).
  // The server owns the listening socket and accept() (listener/listener.h).
  std::string listen_address = "127.0.0.1:7433";
  // Connections served at once; one more is accepted and closed at once.
  // 0: as many as the open-file limit leaves room for (its soft limit less
  // the descriptors the rest of the server keeps,
  // listener/descriptor_limit.h); a larger number is INVALID_ARGUMENT.
  int64_t max_connections = 0;
  // How often the server connects to itself to check that it still accepts
  // connections, and how long that connection may wait; a zero interval:
  // never. On the system clock whatever `clock` is: whether a socket is
  // accepted is a matter of the transport, as gRPC's own deadlines are.
  absl::Duration listener_probe_interval = absl::Seconds(5);
  absl::Duration listener_probe_timeout = absl::Seconds(5);
  // Called on a thread of the server's, once per cause, if it stopped
  // accepting connections (its probe went unanswered, or its socket broke)
  // or lost its lock on a PostgreSQL database (ServingLock); health is
  // NOT_SERVING by then, for good. maydayd exits non-zero for its
  // supervisor to restart it. Must not block; must not call Shutdown().
  std::function<void(const absl::Status& why)> on_listener_lost;
  // TLS certificate, key and client CA files. All empty (the default):
  // plaintext. With a client CA, the responder and operator services need
  // a client certificate it signed; the member-facing AlertService works
  // with or without one.
  ServerTlsOptions tls;
  // The store, as Store::Open takes it: a SQLite file (created if
  // missing; "sqlite:FILE" too) or a PostgreSQL URI ("postgresql://...").
  std::string db_path;
  // The key file members' medical profiles are sealed with
  // (medical/profile_keys.h); empty: the server keeps no medical profiles
  // (their calls answer FAILED_PRECONDITION).
  std::string medical_key_file;
  // How the database is opened (tests pass a fault-injecting VFS).
  StoreOptions store;
  // Replicas on a shared (PostgreSQL) database: how each follows every
  // replica's commits (cases/commit_follower.h), and the lease that makes
  // one of them dispatch (store/dispatch_lease.h).
  CommitFollowerOptions follower;
  DispatchLeaseOptions lease;
  // Where the other replicas reach this one ("host:port"): a standby relays
  // a crew's or a care agent's dispatch calls to the replica that holds
  // dispatch there. Empty: listen_address's host (this machine's name if
  // it listens on every address) with the port it listens on.
  std::string advertise_address;
  // host:port to serve Prometheus metrics on, at /metrics
  // (metrics/metrics.h); port 0 picks a free one (see metrics_port()).
  // Empty (the default): no metrics are kept nor served.
  std::string metrics_listen;
  // How webhooks are delivered (webhooks/deliverer.h): the limits of each
  // POST (timeouts, size caps, whether private addresses and plain http are
  // allowed, the CAs), the retries, the CAP/EIDO agency. `clock` is the
  // server's.
  webhooks::DelivererOptions webhooks;
  // Dispatch rules (radius, offer timeout, ...).
  dispatch::EngineOptions dispatch;
  // When an assigned crew counts as stalled (a `stalled` event for the
  // desk), and when the member's phone is asked for a fresher fix.
  dispatch::StallOptions stalls;
  FixLimits fixes;
  // Which stalled cases dispatch seeks a second crew for.
  SecondCrewPolicy second_crew = SecondCrewPolicy::kMedical;
  // Per-principal budgets of the chatty calls (rpc/rate_limits.h); never
  // applied to raising, cancelling or answering an emergency.
  RateLimitOptions rate_limits;
  // How many streams of each kind one principal may hold open; a newer one
  // ends the oldest (rpc/stream_caps.h).
  StreamCapOptions stream_caps;
  // Which crews' position reports dispatch gets at once and which wait for
  // the next batch (responders/position_coalescer.h).
  CoalescingOptions positions;
  // How often the crews' latest positions and the tracks of their cases are
  // written to the database (responders/position_log.h): a track keeps at
  // most one point per crew per interval.
  absl::Duration track_interval = absl::Seconds(1);
  // A member's alerts of one kind start one at a time and at least this far
  // apart (rpc/call_turns.h): an app pressing in a loop is answered, its open
  // case every time, at this pace rather than as fast as it sends. A
  // member's first alert, and other members' alerts, never wait. Never a
  // refusal.
  absl::Duration alert_spacing = absl::Milliseconds(100);
  // Threads for the unary calls other than RaiseAlert, whose work may wait
  // for a commit or for dispatch (rpc/call_pool.h); as many such calls run
  // at once, the others queue without holding any gRPC thread.
  int call_threads = 16;
  // The time of everything the server times or stamps (dispatch, case
  // events, tokens, the watchdog, rate limits, alert spacing, position
  // flushes); null means the system clock. Not owned.
  const base::Clock* clock = nullptr;

  // Fault injection, for tests: each, if set, gets what dispatch would run
  // on and returns what it runs on instead, a decorator of it (an engine
  // whose Step() hangs, a writer whose commits fail). The watchdog and the
  // services keep the undecorated case log. wrap_store decorates the store
  // for the whole server (store/store_wrapper.h: a writer's queue held to
  // make a batch).
  std::function<std::unique_ptr<dispatch::Engine>(std::unique_ptr<dispatch::Engine>)> wrap_engine;
  std::function<std::unique_ptr<CaseWriter>(CaseWriter*)> wrap_dispatch_writer;
  std::function<std::unique_ptr<Store>(std::unique_ptr<Store>)> wrap_store;
  // wrap_handoff decorates what each accepted connection is given to (gRPC):
  // one that blocks holds up the accept thread, as a stuck listener would.
  using Handoff = std::function<void(int listener_fd, int fd)>;
  std::function<Handoff(Handoff)> wrap_handoff;
};

// The options' limits and rules, checked before anything is opened:
// INVALID_ARGUMENT naming the first that is out of range (a rate limit, a
// stall or fix rule, the track interval) or missing (the database).
absl::Status CheckServerOptions(const ServerOptions& options);

class Server {
 public:
  // Opens the store, restores open cases into dispatch and starts serving.
  // UNAVAILABLE if the database can't be opened or the address can't be
  // bound; INVALID_ARGUMENT for bad dispatch options, TLS files or
  // max_connections (checked first, before the database is opened) or a
  // malformed listen address; FAILED_PRECONDITION if the open-file limit
  // leaves no room for connections.
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options);
  virtual ~Server() = default;

  // The port actually listened on.
  virtual int port() const = 0;
  // The port /metrics is served on; 0 without ServerOptions::metrics_listen.
  virtual int metrics_port() const = 0;
  // Connections served at once (ServerOptions::max_connections, or what the
  // open-file limit allows).
  virtual int64_t max_connections() const = 0;
  // The clock the server runs on (ServerOptions::clock, or the system's).
  virtual const base::Clock& clock() const = 0;
  // The store the server writes (to issue tokens in tests and tools).
  virtual Store& store() = 0;
  // Runs dispatch now on everything acknowledged so far (dispatch otherwise
  // runs on its own thread right after each alert), and returns when its
  // decisions are committed. For tests that check what follows an alert.
  virtual void SettleDispatch() = 0;
  // The dispatcher, for tests that look at what it holds.
  virtual Dispatcher& dispatcher() = 0;
  // Whether this server runs dispatch now: always on a SQLite file; on a
  // shared database, while it holds the dispatch lease.
  virtual bool Dispatching() = 0;
  // On a shared database: where this replica last saw the dispatch holder
  // reached (its own address while it holds dispatch), the address a
  // standby relays dispatch's calls to; nullopt while it knows none, and
  // on a SQLite file.
  virtual std::optional<std::string> DispatchAddress() = 0;
  // Stops accepting calls, ends open streams after `grace`, stops dispatch.
  // Idempotent; also done by the destructor.
  virtual void Shutdown(absl::Duration grace) = 0;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_SERVER_H_
