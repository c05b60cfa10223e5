// maydayd assembled; see server.h.
#include "server.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "api/proto_time.h"
#include "auth/authenticator.h"
#include "auth/revocation_watch.h"
#include "cases/case_log.h"
#include "cases/commit_follower.h"
#include "cases/event_hub.h"
#include "cases/timer_keeper.h"
#include "dispatcher/dispatch_feed.h"
#include "dispatcher/dispatcher.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "listener/descriptor_limit.h"
#include "listener/listener.h"
#include "log/log.h"
#include "metrics/metrics.h"
#include "responders/position_log.h"
#include "responders/responder_streams.h"
#include "rpc/call_pool.h"
#include "services/alert_service.h"
#include "services/dispatch_relay.h"
#include "services/fleet_service.h"
#include "services/medical_profiles.h"
#include "services/operator_service.h"
#include "services/responder_service.h"
#include "store/commit_signal.h"
#include "store/dispatch_lease.h"
#include "store/serving_lock.h"
#include "tls/server_tls.h"

namespace mayday::server {
namespace {

// The grpc.health.v1 names: the one that says SERVING on the replica that
// runs dispatch, and the services' own.
constexpr char kDispatchHealth[] = "mayday.dispatch";
constexpr char kAlertHealth[] = "mayday.v1.AlertService";
constexpr char kResponderHealth[] = "mayday.v1.ResponderService";
constexpr char kOperatorHealth[] = "mayday.v1.OperatorService";
constexpr char kFleetHealth[] = "mayday.v1.FleetService";

// How old the store's figures on /metrics may be: Prometheus scrapes every
// 15 s or more as commonly set up, and counting the open cases reads them
// all (~50 ms at 150,000 open cases).
constexpr absl::Duration kFiguresMaxAge = absl::Seconds(15);

// Largest request accepted: requests are small; this stops abuse early.
constexpr int kMaxRequestBytes = 64 * 1024;

class ServerImpl final : public Server {
 public:
  ~ServerImpl() override { Shutdown(absl::Seconds(2)); }

  absl::Status Init(const ServerOptions& options) {
    clock_ = options.clock != nullptr ? options.clock : base::SystemClock();
    on_lost_ = options.on_listener_lost;
    auto credentials = MakeServerCredentials(options.tls);
    if (!credentials.ok()) return credentials.status();
    // Checked on any store, with the other files: what replicas use to call
    // each other (on PostgreSQL).
    auto peers = MakePeerCredentials(options.tls);
    if (!peers.ok()) return peers.status();
    if (auto s = CheckServerOptions(options); !s.ok()) return s;
    auto keys = OpenMedicalKeys(options.medical_key_file);
    if (!keys.ok()) return keys.status();
    medical_keys_ = *std::move(keys);
    if (!options.metrics_listen.empty()) {
      // Bound before the store opens: a taken port is a usage error.
      metrics_ = Metrics::Create();
      if (auto s = metrics_->Expose(options.metrics_listen); !s.ok()) return s;
    }
    auto cap = ConnectionCap(SoftDescriptorLimit(), options.max_connections);
    if (!cap.ok()) return cap.status();
    max_connections_ = *cap;
    StoreOptions store_options = options.store;
    if (store_options.clock == nullptr) store_options.clock = clock_;
    store_options.on_writable = [this](bool writable, absl::string_view reason) {
      StoreWritable(writable, reason);
    };
    if (metrics_ != nullptr) {
      store_options.on_batch = [metrics = metrics_.get()](size_t writes, absl::Duration took,
                                                          bool committed) {
        metrics->CommitDone(writes, took, committed);
      };
    }
    // Replicas share a PostgreSQL database; a SQLite file has one server.
    shared_ = IsPostgresTarget(options.db_path);
    if (!shared_) {
      // Before the store is opened: a second server must not even migrate.
      auto serving = ServingLock::Take(options.db_path);
      if (!serving.ok()) return serving.status();
      serving_lock_ = std::move(*serving);
    }
    auto store = Store::Open(options.db_path, store_options);
    if (!store.ok()) return store.status();
    store_ = std::move(*store);
    if (options.wrap_store) store_ = options.wrap_store(std::move(store_));
    auto engine = dispatch::Engine::Create(options.dispatch, clock_);
    if (!engine.ok()) return engine.status();

    auth_ = std::make_unique<Authenticator>(
        store_.get(), clock_,
        options.tls.client_ca_file.empty() ? StaffDevices::kAnyPeer
                                           : StaffDevices::kClientCertificateRequired,
        // Another replica's revocation reaches this one's new calls within
        // a second (and its streams through revocations_).
        shared_ ? absl::Milliseconds(900) : absl::Seconds(10));
    // On a shared database every replica's events reach this one's
    // watchers through the commit follower, in commit order, its own
    // included: the case log publishes nothing itself.
    log_ = std::make_unique<CaseLog>(store_.get(), shared_ ? nullptr : &hub_, clock_, nullptr,
                                     metrics_.get());
    if (shared_) {
      // Dispatch's writes (the watchdog's too) are fenced by its lease.
      dispatch_log_ = std::make_unique<CaseLog>(
          store_.get(), nullptr, clock_, [this](WriteTxn& txn) { return DispatchFence(txn); },
          metrics_.get());
    }
    // Webhooks are delivered where dispatch runs, under the same fence.
    deliverer_ = std::make_unique<webhooks::Deliverer>(
        store_.get(), clock_, &hub_, options.webhooks,
        shared_ ? webhooks::Deliverer::Fence([this](WriteTxn& txn) { return DispatchFence(txn); })
                : nullptr,
        [metrics = metrics_.get()](const webhooks::AttemptReport& attempt) {
          if (metrics != nullptr) {
            metrics->WebhookAttempt(webhooks::OutcomeName(attempt.outcome), attempt.dead);
          }
        });
    CaseWriter* const case_writer = shared_ ? dispatch_log_.get() : log_.get();
    std::unique_ptr<dispatch::Engine> dispatch_engine = std::move(*engine);
    if (options.wrap_engine) dispatch_engine = options.wrap_engine(std::move(dispatch_engine));
    CaseWriter* dispatch_writer = case_writer;
    if (options.wrap_dispatch_writer) {
      wrapped_writer_ = options.wrap_dispatch_writer(case_writer);
      dispatch_writer = wrapped_writer_.get();
    }
    watchdog_ = std::make_unique<DispatchWatchdog>(
        case_writer, clock_,
        WatchdogOptions{.on_stalled = [this](bool stalled) { DispatchStalled(stalled); }});
    dispatcher_ = std::make_unique<Dispatcher>(
        std::move(dispatch_engine), dispatch_writer, store_.get(), &streams_, watchdog_.get(),
        clock_, options.positions, options.dispatch.max_position_age, metrics_.get(),
        DispatchWatchOptions{options.stalls, options.fixes, options.second_crew});
    if (shared_) {
      // Dispatch starts when this replica takes the lease (StartShared).
      auto signal = CommitSignal::Listen(options.db_path);
      if (!signal.ok()) return signal.status();
      follower_ = std::make_unique<CommitFollower>(store_.get(), &hub_, *std::move(signal),
                                                   options.follower);
      if (auto s = follower_->Start(); !s.ok()) return s;
      feed_ = std::make_unique<DispatchFeed>(dispatcher_.get(), store_.get());
    } else {
      if (auto s = dispatcher_->Start(); !s.ok()) return s;
      watchdog_->Start();
      deliverer_->Start();
    }

    // Every replica keeps the timers: whichever gets to a due one first
    // fires it, once (cases/timer_keeper.h).
    timers_ = std::make_unique<TimerKeeper>(
        store_.get(), log_.get(),
        shared_ ? static_cast<CaseObserver*>(&told_by_store_) : dispatcher_.get(), clock_);
    timers_->Start();
    positions_ = std::make_unique<PositionLog>(store_.get(), clock_, options.track_interval);
    crews_ = std::make_unique<CrewWatch>(clock_, options.dispatch);
    crews_->Start();
    limits_ = std::make_unique<RateLimiter>(options.rate_limits, clock_, metrics_.get());
    calls_ = std::make_unique<CallPool>(options.call_threads);
    // A responder whose token expires leaves dispatch as a revoked one does.
    if (shared_) {
      relay_ = std::make_unique<DispatchRelay>(DispatchRelayOptions{
          .holder = [this] { return DispatchAddress(); }, .credentials = *std::move(peers)});
    }
    sessions_ = std::make_unique<TokenSessions>(clock_, [this](const Principal& principal) {
      if (principal.role == Role::kResponder) dispatcher_->Withdraw(principal.subject);
    });
    ServiceContext services{
        .store = store_.get(),
        .auth = auth_.get(),
        .log = log_.get(),
        .hub = &hub_,
        .dispatcher = dispatcher_.get(),
        .changes = shared_ ? static_cast<CaseObserver*>(&told_by_store_) : dispatcher_.get(),
        .dispatch_here =
            shared_ ? std::function<absl::Status()>([this] { return DispatchHere(); }) : nullptr,
        .relay = relay_.get(),
        .clock = clock_,
        .positions = positions_.get(),
        .crews = crews_.get(),
        .limits = limits_.get(),
        .streams = &open_streams_,
        .sessions = sessions_.get(),
        .stream_caps = options.stream_caps,
        .calls = calls_.get(),
        .metrics = metrics_.get(),
        .timers = timers_.get(),
        .medical_keys = medical_keys_.get(),
        .webhooks = deliverer_.get(),
        .webhook_allow_http = options.webhooks.limits.allow_http};
    ResealAtStart(services);  // before any call is served
    alerts_ = std::make_unique<AlertServiceImpl>(services, options.alert_spacing);
    responders_ = std::make_unique<ResponderServiceImpl>(services);
    fleets_ = std::make_unique<FleetServiceImpl>(services);
    operators_ = std::make_unique<OperatorServiceImpl>(services);

    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    // maydayd accepts connections itself and hands them to gRPC, which
    // still applies `credentials` (TLS) to each (listener/listener.h).
    auto listener = Listener::Open(
        options.listen_address, ListenerOptions{.max_connections = max_connections_,
                                                .probe_interval = options.listener_probe_interval,
                                                .probe_timeout = options.listener_probe_timeout});
    if (!listener.ok()) return listener.status();
    listener_ = std::move(*listener);
    port_ = listener_->port();
    grpc::ServerBuilder builder;
    acceptor_ = builder.experimental().AddExternalConnectionAcceptor(
        grpc::ServerBuilder::experimental_type::ExternalConnectionType::FROM_FD, *credentials);
    builder.RegisterService(alerts_.get());
    builder.RegisterService(responders_.get());
    builder.RegisterService(fleets_.get());
    builder.RegisterService(operators_.get());
    builder.SetMaxReceiveMessageSize(kMaxRequestBytes);
    // Mobile clients ping every 30 s or more to keep NAT mappings alive:
    // allow that without calls in flight, and ping idle clients ourselves
    // every 60 s to notice dead ones.
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 20'000);
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60'000);
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20'000);
    grpc_server_ = builder.BuildAndStart();
    if (grpc_server_ == nullptr) {
      return absl::UnavailableError(
          absl::StrCat("gRPC could not start serving on ", options.listen_address));
    }
    ServerOptions::Handoff handoff = [acceptor = acceptor_.get()](int listener_fd, int fd) {
      grpc::experimental::ExternalConnectionAcceptor::NewConnectionParameters connection;
      connection.listener_fd = listener_fd;
      connection.fd = fd;
      acceptor->HandleNewConnection(&connection);
    };
    if (options.wrap_handoff) handoff = options.wrap_handoff(std::move(handoff));
    listener_->Start(std::move(handoff),
                     [this, on_lost = options.on_listener_lost](const absl::Status& why) {
                       ServingLost("no longer accepting connections", why, on_lost);
                     });
    {
      absl::MutexLock lock(&health_mu_);
      health_ = grpc_server_->GetHealthCheckService();
      ApplyHealthLocked();
    }
    if (metrics_ != nullptr) metrics_->SetLiveFigures([this] { return Figures(); });
    if (shared_) return StartShared(options);
    return absl::OkStatus();
  }

  // What a scrape of /metrics reads now. The store's figures are read at
  // most once per kFiguresMaxAge: a scrape reads the open cases, and
  // several Prometheus servers may scrape.
  LiveFigures Figures() {
    LiveFigures figures;
    const absl::Time now = clock_->Now();
    {
      absl::MutexLock lock(&figures_mu_);
      if (!stored_figures_.ok() || now - stored_at_ >= kFiguresMaxAge) {
        stored_figures_ = store_->Figures();
        stored_at_ = now;
      }
      if (stored_figures_.ok()) {
        const StoreFigures& stored = *stored_figures_;
        figures.open_cases = stored.open_cases;
        figures.store_bytes = stored.bytes;
        figures.disk_free_bytes = stored.disk_free_bytes;
        figures.disk_size_bytes = stored.disk_size_bytes;
        figures.oldest_untaken_escalation = absl::ZeroDuration();
        for (const mayday::v1::Case& c : stored.oldest_escalated) {
          if (!c.operator_().empty()) continue;
          figures.oldest_untaken_escalation =
              std::max(*figures.oldest_untaken_escalation, now - FromProtoTime(c.update_time()));
        }
      }
    }
    figures.open_streams = open_streams_.OpenByCall();
    figures.open_streams["Subscribe"] = static_cast<int64_t>(streams_.Count());
    figures.dispatching = DispatchHere().ok();
    absl::MutexLock lock(&health_mu_);
    figures.serving = writable_ && listening_ && !stalled_;
    figures.store_writable = writable_;
    figures.dispatch_stalled = stalled_;
    return figures;
  }

  // A replica on a shared database, once it serves: it follows the other
  // replicas' revocations, and stands by for dispatch until it holds the
  // lease (store/dispatch_lease.h).
  absl::Status StartShared(const ServerOptions& options) {
    revocations_ = std::make_unique<RevocationWatch>(
        store_.get(), clock_, [this](const std::string& token_id) { Revoked(token_id); });
    if (auto s = revocations_->Start(); !s.ok()) return s;
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    DispatchLeaseOptions lease_options = options.lease;
    lease_options.address = options.advertise_address.empty()
                                ? AdvertisedAddress(options.listen_address, host, port_)
                                : options.advertise_address;
    auto lease = DispatchLease::Start(
        options.db_path,
        absl::StrCat("maydayd pid ", ::getpid(), " on ", host, " at ", lease_options.address),
        lease_options,
        DispatchLease::Callbacks{
            .on_acquired = [this](int64_t epoch) { TakeOverDispatch(epoch); },
            .on_lost =
                [this, on_lost = options.on_listener_lost](const absl::Status& why) {
                  ServingLost("lost dispatch", why, on_lost);
                }},
        clock_);
    if (!lease.ok()) return lease.status();
    lease_ = *std::move(lease);
    lease_ready_.Notify();
    return absl::OkStatus();
  }

  // This replica now holds dispatch: it hears every commit from here on,
  // rebuilds the engine from the store (the restart path: open cases,
  // their offers recorded as lapsed), then takes the commits that came
  // meanwhile, and dispatches.
  void TakeOverDispatch(int64_t epoch) {
    // The lease may be taken before Start() returned it into lease_, which
    // dispatch's fence reads.
    lease_ready_.WaitForNotification();
    const absl::Time start = clock_->Now();
    follower_->OnCommit([feed = feed_.get()](const CommitRecord& commit) { feed->Commit(commit); });
    if (absl::Status s = dispatcher_->Start(); !s.ok()) {
      LogError("dispatch_start_failed", "could not start dispatch (epoch %lld): %s",
               static_cast<long long>(epoch), s.ToString().c_str());
      ServingLost("could not start dispatch", s, on_lost_);
      return;
    }
    watchdog_->Start();
    feed_->Begin();
    deliverer_->Start();
    {
      absl::MutexLock lock(&dispatch_mu_);
      dispatching_ = true;
    }
    {
      absl::MutexLock lock(&health_mu_);
      ApplyHealthLocked();
    }
    LogInfo("dispatch_taken", "dispatching (epoch %lld), ready %.3f s after taking the lease",
            static_cast<long long>(epoch), absl::ToDoubleSeconds(clock_->Now() - start));
  }

  // Dispatch's writes on a shared database: OK while this replica holds
  // the lease under the epoch it took it with (store/dispatch_lease.h).
  absl::Status DispatchFence(WriteTxn& txn) {
    const std::optional<int64_t> epoch = lease_->epoch();
    if (!epoch.has_value()) return absl::AbortedError("this replica does not hold dispatch");
    return txn.CheckDispatchLease(lease_->region(), lease_->holder(), *epoch);
  }

  absl::Status DispatchHere() {
    absl::MutexLock lock(&dispatch_mu_);
    if (!shared_ || dispatching_) return absl::OkStatus();
    return absl::UnavailableError(
        "this replica stands by and dispatch is changing hands (another replica of this "
        "database runs it: the one whose grpc.health.v1 service \"mayday.dispatch\" is "
        "SERVING); try again");
  }

  // A token revoked through another replica (or this one: then again,
  // harmlessly).
  void Revoked(const std::string& token_id) {
    auth_->ForgetAll();
    sessions_->Revoke(token_id);
    absl::StatusOr<std::vector<TokenRecord>> tokens = store_->ListTokens();
    if (!tokens.ok()) return;
    for (const TokenRecord& token : *tokens) {
      if (TokenId(token.token_hash) == token_id && token.role == Role::kResponder) {
        dispatcher_->Withdraw(token.subject);
      }
    }
  }

  // The listener stopped accepting, or the lock on the database was lost:
  // say NOT_SERVING for good, so that load balancers and probes send phones
  // elsewhere, and tell the owner (maydayd exits for its supervisor to
  // restart it).
  void ServingLost(absl::string_view what, const absl::Status& why,
                   const std::function<void(const absl::Status&)>& on_lost) {
    LogError("serving_lost", "%s: %s; health: NOT_SERVING", std::string(what).c_str(),
             std::string(why.message()).c_str());
    {
      absl::MutexLock lock(&health_mu_);
      listening_ = false;
      ApplyHealthLocked();
    }
    if (on_lost) on_lost(why);
  }

  // The store's file stopped or started taking writes: a server that cannot
  // store alerts says NOT_SERVING, so that a load balancer or an operator's
  // probe sends phones elsewhere, until a write succeeds again.
  void StoreWritable(bool writable, absl::string_view reason) {
    if (writable) {
      LogInfo("storage_recovered", "the database takes writes again; health: SERVING");
    } else {
      LogError("storage_failed",
               "the database takes no writes (%.*s); health: NOT_SERVING until a "
               "write succeeds",
               static_cast<int>(reason.size()), reason.data());
    }
    absl::MutexLock lock(&health_mu_);
    writable_ = writable;
    ApplyHealthLocked();
  }

  // Dispatch stalled past the watchdog's bound (a case went undecided and
  // was escalated to the care desk), or is deciding again.
  void DispatchStalled(bool stalled) {
    if (stalled) {
      LogError("dispatch_stalled",
               "dispatch is stalled: a case went undecided past the watchdog's "
               "bound and was escalated to the care desk; health: NOT_SERVING for \"\", "
               "%s, %s and %s until dispatch decides again",
               kResponderHealth, kFleetHealth, kDispatchHealth);
    } else {
      LogInfo("dispatch_recovered", "dispatch decides again; health: SERVING");
    }
    absl::MutexLock lock(&health_mu_);
    stalled_ = stalled;
    ApplyHealthLocked();
  }

  // grpc.health.v1, for "" and each service (docs/operations.md):
  // - AlertService and OperatorService serve while the store takes writes
  //   and the listener accepts: alerts are stored and reach the care desk
  //   even while dispatch is stalled (the watchdog escalates them), and the
  //   desk is what handles them then;
  // - ResponderService, FleetService and "" (the whole server) also need
  //   dispatch not to be stalled;
  // - kDispatchHealth, also that this replica runs dispatch (on a shared
  //   database, the one that holds the lease), so that operators and tools
  //   see which replica dispatches.
  // Each name is set by itself, and only when it changes: gRPC sends every
  // setting to the Watch streams, changed or not, and its overall setter
  // would set every name to one value before the right one.
  void ApplyHealthLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(health_mu_) {
    if (health_ == nullptr) return;
    const bool stores = writable_ && listening_;
    const bool whole = stores && !stalled_;
    // The whole server's status last: once "" has changed, every service's
    // has, so a probe that reads "" and then a service sees them agree.
    const std::pair<const char*, bool> statuses[] = {
        {kAlertHealth, stores},
        {kOperatorHealth, stores},
        {kResponderHealth, whole},
        {kFleetHealth, whole},
        {kDispatchHealth, whole && DispatchHere().ok()},
        {"", whole}};
    for (const auto& [service, serving] : statuses) {
      auto [it, added] = health_set_.try_emplace(service, serving);
      if (!added && it->second == serving) continue;
      it->second = serving;
      health_->SetServingStatus(service, serving);
    }
  }

  int port() const override { return port_; }
  int metrics_port() const override { return metrics_ != nullptr ? metrics_->port() : 0; }
  int64_t max_connections() const override { return max_connections_; }
  const base::Clock& clock() const override { return *clock_; }
  Store& store() override { return *store_; }
  void SettleDispatch() override { dispatcher_->Settle(); }
  Dispatcher& dispatcher() override { return *dispatcher_; }
  bool Dispatching() override { return DispatchHere().ok(); }
  std::optional<std::string> DispatchAddress() override {
    if (!shared_ || !lease_ready_.HasBeenNotified()) return std::nullopt;
    return lease_->holder_address();
  }

  void Shutdown(absl::Duration grace) override {
    absl::MutexLock lock(&shutdown_mu_);
    if (shut_down_) return;
    shut_down_ = true;
    // No scrape reads the parts stopped below.
    if (metrics_ != nullptr) metrics_->StopServing();
    // New connections are refused by the kernel from here on.
    if (listener_ != nullptr) listener_->Stop();
    if (grpc_server_ != nullptr) {
      grpc::HealthCheckServiceInterface* health = nullptr;
      {
        absl::MutexLock health_lock(&health_mu_);
        std::swap(health, health_);
      }
      if (health != nullptr) health->Shutdown();
      // gRPC's own deadline, on the real clock whatever clock_ is: it bounds
      // how long open calls may take to finish, a matter of the transport.
      grpc_server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(grace));
      grpc_server_->Wait();
    }
    // Runs what the finished calls left queued (Subscribe streams' detach),
    // then stops the threads.
    calls_.reset();
    revocations_.reset();
    sessions_.reset();  // every stream has ended: only its thread is left
    // Nothing more to dispatch from the store's commits, nor a take-over;
    // dispatch stops, its last writes still fenced by the lease it holds;
    // then the lease ends (a standby takes over at its next try).
    if (timers_ != nullptr) timers_->Stop();
    if (crews_ != nullptr) crews_->Stop();
    if (deliverer_ != nullptr) deliverer_->Stop();
    if (follower_ != nullptr) follower_->Stop();
    if (lease_ != nullptr) lease_->StopRenewing();
    if (dispatcher_ != nullptr) dispatcher_->Stop();
    if (watchdog_ != nullptr) watchdog_->Stop();
    if (lease_ != nullptr) lease_->Release();
    positions_.reset();  // flushes the last reports
  }

 private:
  const base::Clock* clock_ = nullptr;
  // Before store_, whose writer thread tells StoreWritable: destroyed after it.
  absl::Mutex health_mu_;
  grpc::HealthCheckServiceInterface* health_ ABSL_GUARDED_BY(health_mu_) = nullptr;
  bool writable_ ABSL_GUARDED_BY(health_mu_) = true;
  bool listening_ ABSL_GUARDED_BY(health_mu_) = true;
  bool stalled_ ABSL_GUARDED_BY(health_mu_) = false;  // dispatch (DispatchStalled)
  // The store's figures for /metrics, and when they were read (Figures()).
  absl::Mutex figures_mu_;
  absl::StatusOr<StoreFigures> stored_figures_ ABSL_GUARDED_BY(figures_mu_) =
      absl::UnavailableError("not read yet");
  absl::Time stored_at_ ABSL_GUARDED_BY(figures_mu_);
  // What each grpc.health.v1 name was last set to.
  absl::flat_hash_map<std::string, bool> health_set_ ABSL_GUARDED_BY(health_mu_);
  // Counted and served at /metrics; null without ServerOptions::metrics_listen.
  // Before everything that counts into it: destroyed after them.
  std::unique_ptr<Metrics> metrics_;
  // Released after the store closed.
  std::unique_ptr<ServingLock> serving_lock_;
  // shared_ only: dispatch's lease. Destroyed after the store, whose last
  // queued dispatch writes still ask it (refused once it is released).
  std::unique_ptr<DispatchLease> lease_;
  absl::Notification lease_ready_;  // lease_ is set
  std::unique_ptr<Store> store_;
  // A PostgreSQL database, which other replicas may share.
  bool shared_ = false;
  EventHub hub_;
  // What the services tell of their changes on a shared database: nothing,
  // for the commit follower feeds dispatch (feed_).
  struct ToldByStore final : CaseObserver {
    void CaseOpened(const mayday::v1::Case&) override {}
    void CaseChanged(const CommittedChange&) override {}
  } told_by_store_;
  ResponderStreams streams_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<CaseLog> log_;
  std::unique_ptr<CaseLog> dispatch_log_;       // shared_: log_ with dispatch's fence
  std::unique_ptr<CaseWriter> wrapped_writer_;  // ServerOptions::wrap_dispatch_writer's
  std::unique_ptr<DispatchWatchdog> watchdog_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<TimerKeeper> timers_;
  std::unique_ptr<webhooks::Deliverer> deliverer_;
  std::unique_ptr<ProfileKeys> medical_keys_;
  std::unique_ptr<CrewWatch> crews_;
  // shared_ only: every replica's commits, dispatch's share of them, the
  // revocations made elsewhere, and the lease.
  std::unique_ptr<CommitFollower> follower_;
  std::unique_ptr<DispatchFeed> feed_;
  std::unique_ptr<RevocationWatch> revocations_;
  std::unique_ptr<DispatchRelay> relay_;  // how a standby reaches the holder
  absl::Mutex dispatch_mu_;
  bool dispatching_ ABSL_GUARDED_BY(dispatch_mu_) = false;
  std::function<void(const absl::Status&)> on_lost_;
  std::unique_ptr<PositionLog> positions_;
  std::unique_ptr<RateLimiter> limits_;
  StreamCaps open_streams_;
  std::unique_ptr<TokenSessions> sessions_;
  std::unique_ptr<CallPool> calls_;
  std::unique_ptr<AlertServiceImpl> alerts_;
  std::unique_ptr<ResponderServiceImpl> responders_;
  std::unique_ptr<FleetServiceImpl> fleets_;
  std::unique_ptr<OperatorServiceImpl> operators_;
  std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor_;
  std::unique_ptr<grpc::Server> grpc_server_;
  // Stopped first in Shutdown(); its threads use acceptor_.
  std::unique_ptr<Listener> listener_;
  int port_ = 0;
  int64_t max_connections_ = 0;
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options) {
  auto server = std::make_unique<ServerImpl>();
  if (auto s = server->Init(options); !s.ok()) return s;
  return server;
}

}  // namespace mayday::server
