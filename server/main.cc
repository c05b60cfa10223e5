// maydayd: the Mayday server. Serves by default; `maydayd token create`
// issues access tokens into the database.
//
//   maydayd --listen 127.0.0.1:7433 --db mayday.db
//   maydayd --db mayday.db --tls-cert server.pem --tls-key server.key \
//           --tls-client-ca devices-ca.pem
//   maydayd token create --db mayday.db --role member --subject alice
//   maydayd token create --db mayday.db --role responder --subject van --count 50
//   maydayd backup --db mayday.db --to mayday-2026-12-06.db
//
// Exit status when serving: 0 after SIGINT or SIGTERM; 1 if it could not
// start (database, address, open-file limit); 2 for bad flags or files; 3 if
// it stopped accepting connections (docs/operations.md): its supervisor
// restarts it.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "auth/token.h"
#include "listener/descriptor_limit.h"
#include "log/log.h"
#include "server.h"
#include "store/backup.h"
#include "store/store.h"

namespace {

// Issues `count` tokens: for `subject` itself when count is 1, otherwise
// for "subject-1" .. "subject-N" (a fleet or a test population), printed one
// per line in that order. Many at once share group commits.
int CreateTokens(const std::string& db, const std::string& role_name, const std::string& subject,
                 int count) {
  auto role = mayday::server::ParseRole(role_name);
  if (!role.ok()) {
    std::fprintf(stderr, "maydayd: %s\n", std::string(role.status().message()).c_str());
    return 2;
  }
  auto store = mayday::server::Store::Open(db);
  if (!store.ok()) {
    std::fprintf(stderr, "maydayd: %s\n", store.status().ToString().c_str());
    return 1;
  }
  const absl::Time now = mayday::base::SystemClock()->Now();
  std::vector<absl::StatusOr<std::string>> tokens(count, absl::UnknownError("not issued"));
  constexpr int kIssuers = 32;
  std::vector<std::thread> issuers;
  for (int t = 0; t < std::min(count, kIssuers); ++t) {
    issuers.emplace_back([&, t] {
      for (int i = t; i < count; i += kIssuers) {
        const std::string name = count == 1 ? subject : absl::StrCat(subject, "-", i + 1);
        tokens[i] = mayday::server::IssueToken(**store, *role, name, now);
      }
    });
  }
  for (std::thread& issuer : issuers) issuer.join();
  for (const auto& token : tokens) {
    if (!token.ok()) {
      std::fprintf(stderr, "maydayd: %s\n", std::string(token.status().message()).c_str());
      return absl::IsInvalidArgument(token.status()) ? 2 : 1;
    }
  }
  // Closed first: its last line on stderr comes before the tokens, never
  // inside one when both go to the same place.
  store->reset();
  for (const auto& token : tokens) std::printf("%s\n", token->c_str());
  return 0;
}

// The exit status after the listener stopped accepting connections.
constexpr int kListenerLostStatus = 3;
// How long a shutdown after that may take before maydayd exits anyway: a
// stuck accept thread must not keep the supervisor from restarting it.
constexpr absl::Duration kListenerLostShutdownLimit = absl::Seconds(10);

// What ends serving: a stop signal, or the server's listener lost. One for
// the process, never destroyed: the thread waiting for signals outlives main.
struct StopRequest {
  absl::Mutex mu;
  int signal ABSL_GUARDED_BY(mu) = 0;
  std::optional<absl::Status> listener_lost ABSL_GUARDED_BY(mu);
};

int Serve(mayday::server::ServerOptions options) {
  // Every connection and file takes a descriptor: use all the hard limit
  // allows (listener/descriptor_limit.h), before anything opens one.
  auto limit = mayday::server::RaiseDescriptorLimit();
  if (!limit.ok()) {
    mayday::server::LogWarning("descriptor_limit", "%s; going on with the limit as it is",
                               limit.status().message());
  }

  // Block the stop signals in every thread; one thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  static auto* const stop = new StopRequest;
  std::thread([stop_signals] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    absl::MutexLock lock(&stop->mu);
    stop->signal = signal;
  }).detach();
  options.on_listener_lost = [](const absl::Status& why) {
    absl::MutexLock lock(&stop->mu);
    stop->listener_lost = why;
  };

  auto server = mayday::server::Server::Start(options);
  if (!server.ok()) {
    // Bad flags or files (TLS, dispatch options) are usage errors, and so
    // is a file or port another maydayd serves: exit 2.
    if (absl::IsInvalidArgument(server.status()) || absl::IsAlreadyExists(server.status())) {
      mayday::server::LogError("start_failed", "%s", server.status().message());
      return 2;
    }
    mayday::server::LogError("start_failed", "%s", server.status().ToString());
    return 1;
  }
  const char* transport = !options.tls.enabled() ? "plaintext"
                          : options.tls.client_ca_file.empty()
                              ? "TLS"
                              : "TLS, client certificates required for responders and operators";
  const int64_t soft = mayday::server::SoftDescriptorLimit();
  const std::string raised = limit.ok() && limit->soft != limit->soft_before
                                 ? absl::StrCat(" (raised from ", limit->soft_before, ")")
                                 : "";
  mayday::server::LogInfo("start",
                          "open-file limit %lld%s: serving up to %lld connections at once%s, "
                          "refusing more",
                          static_cast<long long>(soft), raised.c_str(),
                          static_cast<long long>((*server)->max_connections()),
                          options.max_connections > 0 ? " (--max-connections)" : "");
  mayday::server::LogInfo("start", "serving on port %d, database %s, %s (maydayd %s)",
                          (*server)->port(), options.db_path, transport, MAYDAY_VERSION);
  if ((*server)->metrics_port() != 0) {
    const std::string& listen = options.metrics_listen;
    mayday::server::LogInfo("start", "metrics on http://%s:%d/metrics",
                            listen.substr(0, listen.rfind(':')), (*server)->metrics_port());
  }
  int signal = 0;
  std::optional<absl::Status> listener_lost;
  {
    absl::MutexLock lock(&stop->mu);
    stop->mu.Await(absl::Condition(
        +[](StopRequest* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu) {
          return s->signal != 0 || s->listener_lost.has_value();
        },
        stop));
    signal = stop->signal;
    listener_lost = stop->listener_lost;
  }
  if (listener_lost.has_value()) {
    mayday::server::LogError("stop", "exiting with status %d for its supervisor to start it again",
                             kListenerLostStatus);
    std::thread([] {
      absl::SleepFor(kListenerLostShutdownLimit);
      mayday::server::LogError("stop", "the shutdown took over %s: exiting now",
                               absl::FormatDuration(kListenerLostShutdownLimit));
      _exit(kListenerLostStatus);
    }).detach();
  } else {
    mayday::server::LogInfo("stop", "%s received, shutting down",
                            signal == SIGINT ? "SIGINT" : "SIGTERM");
  }
  (*server)->Shutdown(absl::Seconds(5));
  mayday::server::LogInfo("stop", "stopped");
  return listener_lost.has_value() ? kListenerLostStatus : 0;
}

// One --rate-limit flag: CLASS=PER_SECOND/BURST or CLASS=off.
absl::Status ParseRateLimitFlag(const std::string& flag, mayday::server::RateLimitOptions& out) {
  using mayday::server::RateLimit;
  const std::vector<std::string> parts = absl::StrSplit(flag, absl::MaxSplits('=', 1));
  RateLimit* limit = nullptr;
  if (parts[0] == "member_reads") limit = &out.member_reads;
  if (parts[0] == "member_updates") limit = &out.member_updates;
  if (parts[0] == "responder_updates") limit = &out.responder_updates;
  if (parts[0] == "staff_reads") limit = &out.staff_reads;
  if (parts[0] == "staff_updates") limit = &out.staff_updates;
  if (limit == nullptr || parts.size() != 2) {
    return absl::InvalidArgumentError(
        "expected CLASS=PER_SECOND/BURST or CLASS=off, CLASS one of member_reads, "
        "member_updates, responder_updates, staff_reads, staff_updates");
  }
  if (parts[1] == "off") {
    limit->unlimited = true;
    return absl::OkStatus();
  }
  const std::vector<std::string> numbers = absl::StrSplit(parts[1], absl::MaxSplits('/', 1));
  RateLimit parsed;
  if (numbers.size() != 2 || !absl::SimpleAtod(numbers[0], &parsed.per_second) ||
      !absl::SimpleAtod(numbers[1], &parsed.burst)) {
    return absl::InvalidArgumentError("expected PER_SECOND/BURST, for example 20/200");
  }
  *limit = parsed;
  return out.Validate();
}

// One --speed flag: CAPABILITY=KMH, the average driving speed the ETAs of
// that capability's crews assume.
absl::Status ParseSpeedFlag(const std::string& flag, mayday::dispatch::EngineOptions& out) {
  const std::vector<std::string> parts = absl::StrSplit(flag, absl::MaxSplits('=', 1));
  double* speed = nullptr;
  if (parts[0] == "tow") speed = &out.tow_speed_mps;
  if (parts[0] == "patrol") speed = &out.patrol_speed_mps;
  if (parts[0] == "mechanic") speed = &out.mechanic_speed_mps;
  if (parts[0] == "ambulance") speed = &out.ambulance_speed_mps;
  if (parts[0] == "paramedic") speed = &out.paramedic_speed_mps;
  double kmh = 0;
  if (speed == nullptr || parts.size() != 2 || !absl::SimpleAtod(parts[1], &kmh)) {
    return absl::InvalidArgumentError(
        "expected CAPABILITY=KMH, CAPABILITY one of tow, patrol, mechanic, ambulance, paramedic "
        "(for example ambulance=60)");
  }
  if (!(kmh >= 1 && kmh <= 300)) {
    return absl::InvalidArgumentError("the speed must be 1 to 300 km/h");
  }
  *speed = kmh / 3.6;
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's Abseil checks every mutex acquisition for lock-order cycles
  // (its debug default); that is for tests, not for serving.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  CLI::App app{"maydayd: the Mayday roadside and medical alert server"};
  app.set_version_flag("--version", "maydayd " MAYDAY_VERSION);
  mayday::server::ServerOptions options;
  double offer_timeout_s = absl::ToDoubleSeconds(options.dispatch.offer_timeout);
  double max_radius_km = options.dispatch.max_radius_meters / 1000;
  app.add_option("--listen", options.listen_address, "host:port to listen on")
      ->capture_default_str();
  auto* db_flag =
      app.add_option("--db", options.db_path, "SQLite database file (created if missing)");
  app.add_option("--store", options.db_path,
                 "where cases are stored: a SQLite file (sqlite:FILE, or a plain path, as --db) "
                 "or a PostgreSQL database (a libpq URI, postgresql://user@host/db?...)")
      ->excludes(db_flag);
  app.add_flag("--accept-data-loss", options.store.accept_data_loss,
               "serve from a database that lost acknowledged history (its -wal file deleted, an "
               "older copy put back), which maydayd otherwise refuses; the loss is recorded in "
               "the audit trail");
  app.add_option("--tls-cert", options.tls.cert_file,
                 "serve TLS with this certificate chain (PEM); needs --tls-key");
  app.add_option("--tls-key", options.tls.key_file, "private key of --tls-cert (PEM)");
  app.add_option("--tls-client-ca", options.tls.client_ca_file,
                 "CA certificates (PEM) of responder and operator devices: their calls need a "
                 "client certificate it signed; members need none");
  app.add_option("--tls-peer-ca", options.tls.peer_ca_file,
                 "with --store postgresql://: CA certificates (PEM) that signed the other "
                 "replicas' --tls-cert (default: the system's roots)");
  app.add_option("--medical-key-file", options.medical_key_file,
                 "keep members' medical profiles, sealed (AES-256-GCM) with the keys this file "
                 "lists (mode 0600; lines \"ID HEX\", the first seals: see docs/operators.md); "
                 "without it the medical profile calls answer FAILED_PRECONDITION");
  app.add_option("--advertise", options.advertise_address,
                 "with --store postgresql://: host:port where the other replicas reach this one "
                 "(default: the --listen host, or this machine's name, and its port)");
  app.add_option("--offer-timeout", offer_timeout_s, "seconds a responder has to answer an offer")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-radius-km", max_radius_km, "farthest responder offered a case, km")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  // When an assigned crew counts as stalled, and when a member's fix is
  // asked again (docs/dispatch.md gives the reasons of the defaults).
  double stall_silent_s = absl::ToDoubleSeconds(options.stalls.silent_after);
  app.add_option("--stall-silent", stall_silent_s,
                 "seconds without a position from an assigned crew before the desk is told")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  double stall_window_s = absl::ToDoubleSeconds(options.stalls.progress_window);
  app.add_option("--stall-window", stall_window_s,
                 "seconds over which an assigned crew must close in at walking pace or better")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--stall-eta-overrun", options.stalls.eta_overrun,
                 "fraction of its ETA (and 3 min at least) a crew may overrun before the desk "
                 "is told")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--fix-max-accuracy", options.fixes.max_accuracy_meters,
                 "metres: a member's fix less certain than this is asked again from the phone")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  double fix_max_age_s = absl::ToDoubleSeconds(options.fixes.max_age);
  app.add_option("--fix-max-age", fix_max_age_s,
                 "seconds: a member's fix older than this when it arrives is asked again")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option(
         "--stall-second-crew", options.second_crew,
         "which cases get a second crew when theirs stalls: never, medical (the default) or always")
      ->transform(
          CLI::CheckedTransformer(mayday::server::SecondCrewPolicyNames(), CLI::ignore_case))
      ->option_text("never|medical|always")
      ->default_str("medical");

  // Resource limits (docs/RELIABILITY.md §7). Never applied to raising,
  // cancelling or answering an emergency.
  std::vector<std::string> speeds;
  app.add_option("--speed", speeds,
                 "CAPABILITY=KMH, repeatable: the average driving speed ETAs assume for that "
                 "capability's crews (defaults tow=39.6, patrol=50.4, mechanic=43.2, "
                 "ambulance=54, paramedic=57.6); maydayctl stats shows how ETAs compare with "
                 "arrivals");
  std::vector<std::string> rate_limits;
  app.add_option("--rate-limit", rate_limits,
                 "CLASS=PER_SECOND/BURST or CLASS=off, repeatable; CLASS is member_reads, "
                 "member_updates, responder_updates, staff_reads or staff_updates "
                 "(defaults 20/200, 10/100, 10/100, 1000/50000, 100/1000)");
  app.add_option(
         "--max-watch-streams-per-member", options.stream_caps.watch_case_per_member,
         "WatchCase streams a member may hold open; a newer one ends the oldest (0: no cap)")
      ->capture_default_str();
  app.add_option("--max-feeds-per-operator", options.stream_caps.watch_cases_per_operator,
                 "WatchCases streams an operator may hold open; a newer one ends the oldest")
      ->capture_default_str();
  app.add_option("--max-report-streams-per-responder",
                 options.stream_caps.report_location_per_responder,
                 "ReportLocation streams a responder may hold open; a newer one ends the oldest")
      ->capture_default_str();
  double position_interval_ms = absl::ToDoubleMilliseconds(options.positions.interval);
  app.add_option("--position-batch-ms", position_interval_ms,
                 "longest a crew's position report waits for dispatch when it is neither its "
                 "first nor a jump (0: every report at once)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  double alert_spacing_ms = absl::ToDoubleMilliseconds(options.alert_spacing);
  app.add_option("--alert-spacing-ms", alert_spacing_ms,
                 "a member's alerts of one kind start at least this far apart; presses in a loop "
                 "wait their turn and get the open case, never an error (0: no spacing)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-connections", options.max_connections,
                 "connections served at once; more are closed as soon as accepted (default: the "
                 "open-file limit, raised to its hard limit, less 64 kept for the database and "
                 "the rest)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  app.add_option("--call-threads", options.call_threads,
                 "threads for the calls that wait for a commit or for dispatch (all but "
                 "RaiseAlert and the streams), so that gRPC's own threads never wait")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));

  std::string log_format = "text";
  app.add_option("--log-format", log_format,
                 "text (a timestamped, levelled line per event) or json (one object per line)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_option("--metrics-listen", options.metrics_listen,
                 "host:port to serve Prometheus metrics on, at /metrics (off unless given; "
                 "for example 127.0.0.1:9433)");

  // Webhooks (docs/integrations.md).
  mayday::server::webhooks::DelivererOptions& hooks = options.webhooks;
  app.add_flag("--webhook-allow-private", hooks.limits.allow_private,
               "deliver webhooks to loopback and private addresses too (refused by default, so "
               "that an endpoint cannot reach into this network)");
  app.add_flag("--webhook-allow-http", hooks.limits.allow_http,
               "accept plain http:// webhook URLs (https:// only by default)");
  app.add_option("--webhook-ca-file", hooks.limits.ca_file,
                 "PEM bundle of the CAs webhook receivers' certificates must chain to (default: "
                 "the system's)")
      ->check(CLI::ExistingFile);
  double webhook_timeout_s = absl::ToDoubleSeconds(hooks.limits.timeout);
  app.add_option("--webhook-timeout", webhook_timeout_s,
                 "seconds one webhook POST may take before it counts as failed")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 300.0));
  double webhook_retry_hours = absl::ToDoubleHours(hooks.retry_for);
  app.add_option("--webhook-retry-hours", webhook_retry_hours,
                 "hours a webhook delivery is retried before it is dead (until redelivered)")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 24.0 * 30));
  double webhook_max_backoff_s = absl::ToDoubleSeconds(hooks.max_backoff);
  app.add_option("--webhook-max-backoff", webhook_max_backoff_s,
                 "seconds: the longest wait between two attempts of a webhook delivery")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 86400.0));
  app.add_option("--webhook-agency", hooks.agency,
                 "the organisation's domain: the sender of CAP and the agency of EIDO webhook "
                 "bodies")
      ->capture_default_str();

  // Every flag above also from the environment, MAYDAY_ and its name in
  // capitals (--offer-timeout: MAYDAY_OFFER_TIMEOUT), and from a config
  // file: NAME = VALUE lines (offer-timeout = 30). A flag given wins over
  // the file, which wins over the environment (CLI11's order).
  for (CLI::Option* option : app.get_options()) {
    const std::string& name = option->get_single_name();
    if (name.empty() || name == "help" || name == "version") continue;
    std::string env = "MAYDAY_" + name;
    for (char& c : env) c = c == '-' ? '_' : static_cast<char>(std::toupper(c));
    option->envname(env);
  }
  app.set_config("--config", "",
                 "read flags from this file, NAME = VALUE per line (listen = "
                 "\"127.0.0.1:7433\"); flags win over it, and it over MAYDAY_ variables")
      ->envname("MAYDAY_CONFIG");

  auto* token = app.add_subcommand("token", "manage access tokens");
  auto* create = token->add_subcommand("create", "issue a token and print it");
  std::string token_db, role, subject;
  auto* token_db_flag = create->add_option("--db", token_db, "SQLite database file");
  create->add_option("--store", token_db, "the store maydayd serves (as its --store)")
      ->excludes(token_db_flag);
  create
      ->add_option("--role", role,
                   "member, responder, operator, admin (an operator who also manages tokens) "
                   "or fleet (a vehicle tracking feed for the responders SUBJECT-*)")
      ->required();
  create
      ->add_option("--subject", subject,
                   "the member, responder or operator id, or the fleet's organisation")
      ->required();
  int count = 1;
  create
      ->add_option("--count", count,
                   "issue this many, for SUBJECT-1 .. SUBJECT-N, one per line (default: one, "
                   "for SUBJECT)")
      ->check(CLI::Range(1, 1'000'000));
  token->require_subcommand(1);

  auto* backup = app.add_subcommand(
      "backup", "copy a SQLite store to a new file while maydayd serves it, and check the copy");
  std::string backup_from, backup_to;
  auto* backup_db = backup->add_option("--db", backup_from, "the SQLite file maydayd serves");
  backup->add_option("--store", backup_from, "the same, as maydayd's --store (sqlite:FILE)")
      ->excludes(backup_db);
  backup->add_option("--to", backup_to, "the new file to write (never overwritten)")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints the help, the version or the error
    return code == 0 ? 0 : 2;      // bad flags, values or config file: exit 2
  }
  if (backup->parsed()) {
    if (backup_from.empty()) {
      std::fprintf(stderr, "maydayd: backup needs --db FILE (or --store sqlite:FILE)\n");
      return 2;
    }
    auto copied = mayday::server::BackupStore(backup_from, backup_to);
    if (!copied.ok()) {
      std::fprintf(stderr, "maydayd: backup: %s\n", std::string(copied.status().message()).c_str());
      return absl::IsUnavailable(copied.status()) || absl::IsDataLoss(copied.status()) ? 1 : 2;
    }
    std::printf("%s: %lld cases, %lld bytes, integrity check ok\n", backup_to.c_str(),
                static_cast<long long>(copied->cases), static_cast<long long>(copied->bytes));
    return 0;
  }
  if (create->parsed()) {
    if (token_db.empty()) {
      std::fprintf(stderr, "maydayd: token create needs --db FILE or --store TARGET\n");
      return 2;
    }
    return CreateTokens(token_db, role, subject, count);
  }
  if (options.db_path.empty()) {
    std::fprintf(stderr,
                 "maydayd: --db FILE (a SQLite file) or --store TARGET (sqlite:FILE or "
                 "postgresql://...) is required\n");
    return 2;
  }
  mayday::server::ConfigureLog(*mayday::server::ParseLogFormat(log_format));
  options.dispatch.offer_timeout = absl::Seconds(offer_timeout_s);
  options.stalls.silent_after = absl::Seconds(stall_silent_s);
  options.stalls.progress_window = absl::Seconds(stall_window_s);
  options.fixes.max_age = absl::Seconds(fix_max_age_s);
  options.dispatch.max_radius_meters = max_radius_km * 1000;
  options.positions.interval = absl::Milliseconds(position_interval_ms);
  options.alert_spacing = absl::Milliseconds(alert_spacing_ms);
  hooks.limits.timeout = absl::Seconds(webhook_timeout_s);
  hooks.retry_for = absl::Seconds(webhook_retry_hours * 3600);
  hooks.max_backoff = absl::Seconds(webhook_max_backoff_s);
  for (const std::string& flag : speeds) {
    if (auto s = ParseSpeedFlag(flag, options.dispatch); !s.ok()) {
      std::fprintf(stderr, "maydayd: --speed %s: %s\n", flag.c_str(),
                   std::string(s.message()).c_str());
      return 2;
    }
  }
  for (const std::string& flag : rate_limits) {
    if (auto s = ParseRateLimitFlag(flag, options.rate_limits); !s.ok()) {
      std::fprintf(stderr, "maydayd: --rate-limit %s: %s\n", flag.c_str(),
                   std::string(s.message()).c_str());
      return 2;
    }
  }
  return Serve(options);
}
