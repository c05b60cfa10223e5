// mayday-sim: simulated Mayday clients for demos and load. `responders` runs
// a fleet of simulated crews (one SimResponder each, on its own thread)
// against a server until SIGINT/SIGTERM or --duration-s, then takes them off
// duty and exits 0. `load` raises alerts as fast as the server answers (or at
// --rate) and prints one JSON line of throughput and latency (load.h); the
// crash test's and the benchmarks' subcommands are in crash_commands.h and
// bench_commands.h. Exit codes: 1 when some responder could not go on duty or
// the load could not run, 2 for bad usage.
#include <signal.h>

#include <atomic>
#include <ctime>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "maydayctl/format.h"
#include "maydayctl/rpc.h"
#include "maydayctl/tls_flags.h"
#include "sim/bench_commands.h"
#include "sim/crash_commands.h"
#include "sim/fleet.h"
#include "sim/geo.h"
#include "sim/load.h"
#include "sim/responder.h"

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
// How often the main thread checks whether every responder has given up.
constexpr absl::Duration kSignalPoll = absl::Milliseconds(100);

struct ResponderFlags {
  mayday::tools::ServerOptions server;
  std::string token_file;
  std::string center;
  double radius_m = 3000;
  std::string fleet = "tow:2,ambulance:2,paramedic:1";
  int accept_delay_ms = 500;
  double drive_seconds = 3;
  double on_scene_seconds = 2;
  int decline_every = 0;
  double duration_s = 0;
  unsigned long long seed = 1;
};

int UsageError(const absl::Status& status) {
  std::cerr << "mayday-sim: " << status.message() << "\n";
  return kExitUsage;
}

// Runs the fleet until a signal, the duration, or every responder failing.
int RunResponders(const ResponderFlags& flags) {
  auto fleet = mayday::tools::ParseFleet(flags.fleet);
  if (!fleet.ok()) return UsageError(fleet.status());
  auto tokens = mayday::tools::ReadTokenFile(flags.token_file);
  if (!tokens.ok()) return UsageError(tokens.status());
  auto specs = mayday::tools::AssignTokens(*fleet, *tokens);
  if (!specs.ok()) return UsageError(specs.status());
  auto center = mayday::tools::ParseLatLng(flags.center);
  if (!center.ok()) return UsageError(center.status());

  // Block the signals before gRPC or our threads start, so that they all
  // inherit the mask and only sigtimedwait below sees SIGINT/SIGTERM.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto channel = mayday::tools::OpenChannel(flags.server);
  if (!channel.ok()) return UsageError(channel.status());

  mayday::tools::SimBehavior behavior;
  behavior.accept_delay = absl::Milliseconds(flags.accept_delay_ms);
  behavior.drive_time = absl::Seconds(flags.drive_seconds);
  behavior.on_scene_time = absl::Seconds(flags.on_scene_seconds);
  behavior.decline_every = flags.decline_every;

  mayday::tools::SimLog log(&std::cout);
  log.Line("mayday-sim",
           absl::StrCat(specs->size(), specs->size() == 1 ? " responder" : " responders",
                        " within ", mayday::tools::FormatDistance(flags.radius_m), " of ",
                        mayday::tools::FormatLocation(mayday::tools::ToLocation(*center)),
                        ", server ", flags.server.address));

  std::mt19937_64 random(flags.seed);
  std::vector<std::unique_ptr<mayday::tools::SimResponder>> responders;
  for (std::size_t i = 0; i < specs->size(); ++i) {
    const mayday::tools::LatLng start =
        mayday::tools::RandomPointWithin(*center, flags.radius_m, random);
    responders.push_back(std::make_unique<mayday::tools::SimResponder>(
        *channel, (*specs)[i], start, behavior, absl::StrCat("sim-", i + 1), &log));
  }

  std::atomic<int> running = static_cast<int>(responders.size());
  std::atomic<bool> failed = false;
  std::vector<std::thread> threads;
  threads.reserve(responders.size());
  for (auto& responder : responders) {
    threads.emplace_back([&, r = responder.get()] {
      if (!r->Run().ok()) failed = true;
      --running;
    });
  }

  const absl::Time end =
      flags.duration_s > 0 ? absl::Now() + absl::Seconds(flags.duration_s) : absl::InfiniteFuture();
  const timespec poll = absl::ToTimespec(kSignalPoll);
  while (running > 0 && absl::Now() < end) {
    if (sigtimedwait(&signals, nullptr, &poll) > 0) break;
  }
  log.Line("mayday-sim", "stopping");
  for (auto& responder : responders) responder->Stop();
  for (std::thread& thread : threads) thread.join();
  return failed ? kExitFailure : 0;
}

struct LoadFlags {
  mayday::tools::LoadOptions options;
  std::string token_file;
  std::string label = "maydayd";
  double warmup_s = 1;
  double duration_s = 5;
  double timeline_ms = 0;
};

int RunLoad(LoadFlags flags) {
  auto tokens = mayday::tools::ReadTokenFile(flags.token_file);
  if (!tokens.ok()) return UsageError(tokens.status());
  flags.options.tokens = *std::move(tokens);
  flags.options.warmup = absl::Seconds(flags.warmup_s);
  flags.options.duration = absl::Seconds(flags.duration_s);
  flags.options.timeline = absl::Milliseconds(flags.timeline_ms);
  auto result = mayday::tools::RunAlertLoad(flags.options);
  if (!result.ok()) return UsageError(result.status());
  std::cout << mayday::tools::LoadResultJson(flags.label, flags.options, *result) << std::endl;
  return result->completed > 0 ? 0 : kExitFailure;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mayday-sim: simulated Mayday clients for demos and load.", "mayday-sim"};
  app.set_version_flag("--version", "mayday-sim " MAYDAY_VERSION);
  app.require_subcommand(1);

  ResponderFlags flags;
  CLI::App* responders = app.add_subcommand(
      "responders", "simulated crews that take offers, drive to the member and resolve");
  responders
      ->add_option("--server", flags.server.address,
                   "maydayd address, HOST:PORT; several replicas: ipv4:H1:P1,H2:P2 or "
                   "dns:///NAME:PORT")
      ->envname("MAYDAY_SERVER")
      ->required();
  mayday::tools::AddTlsFlags(responders, &flags.server);
  responders
      ->add_option("--token-file", flags.token_file, "responder tokens, one per line (# comments)")
      ->required();
  responders->add_option("--center", flags.center, "LAT,LON around which the responders start")
      ->required();
  responders
      ->add_option("--radius-m", flags.radius_m,
                   "responders start within this many metres of the centre")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  responders
      ->add_option("--fleet", flags.fleet,
                   "CAPABILITY:COUNT,... (tow, patrol, mechanic, ambulance, "
                   "paramedic)")
      ->capture_default_str();
  responders
      ->add_option("--accept-delay-ms", flags.accept_delay_ms, "wait before accepting an offer")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  responders->add_option("--drive-seconds", flags.drive_seconds, "time to drive to the member")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  responders
      ->add_option("--on-scene-seconds", flags.on_scene_seconds, "time on scene before resolving")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  responders
      ->add_option("--decline-every", flags.decline_every,
                   "each responder declines every Nth offer (0: never)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  responders
      ->add_option("--duration-s", flags.duration_s,
                   "stop after this many seconds (0: until SIGINT/SIGTERM)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  responders->add_option("--seed", flags.seed, "seed of the start positions")
      ->capture_default_str();

  LoadFlags load_flags;
  CLI::App* load = app.add_subcommand(
      "load", "raise alerts as fast as the server answers, or at --rate; print one JSON line");
  load->add_option("--server", load_flags.options.server.address, "HOST:PORT")
      ->envname("MAYDAY_SERVER")
      ->required();
  load->add_option("--token-file", load_flags.token_file, "member tokens, one per line")
      ->required();
  mayday::tools::AddTlsFlags(load, &load_flags.options.server);
  load->add_option("--concurrency", load_flags.options.concurrency, "calls in flight at most")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  load->add_option("--connections", load_flags.options.connections, "connections to spread over")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  load->add_option("--rate", load_flags.options.rate, "alerts per second (0: as fast as answered)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  load->add_option("--warmup-s", load_flags.warmup_s, "seconds not counted at the start")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  load->add_option("--duration-s", load_flags.duration_s, "seconds counted")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  load->add_option("--label", load_flags.label, "name of this run in the JSON line")
      ->capture_default_str();
  load->add_option("--seed", load_flags.options.seed, "seed of the alerts")->capture_default_str();
  load->add_option("--timeline-ms", load_flags.timeline_ms,
                   "also print the worst latency of the alerts due in each slice this long "
                   "(\"worst_ms\", from the start, warm-up included): where a stall happened")
      ->check(CLI::NonNegativeNumber);

  int crash_exit = -1;  // set when a crash-test subcommand ran
  mayday::tools::AddCrashCommands(app, &crash_exit);
  int bench_exit = -1;  // set when a benchmark subcommand ran
  mayday::tools::AddBenchCommands(app, &bench_exit);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }
  if (crash_exit >= 0) return crash_exit;
  if (bench_exit >= 0) return bench_exit;
  if (responders->parsed()) return RunResponders(flags);
  if (load->parsed()) return RunLoad(load_flags);
  return kExitUsage;
}
