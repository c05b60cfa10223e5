// mayday-sim: simulated Mayday clients for demos and load. `responders` runs
// a fleet of simulated crews (one SimResponder each, on its own thread)
// against a server until SIGINT/SIGTERM or --duration-s, then takes them off
// duty and exits 0. Exit codes: 1 when some responder could not go on duty,
// 2 for bad usage.
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
#include "sim/fleet.h"
#include "sim/geo.h"
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
  log.Line(
      "mayday-sim",
      absl::StrCat(
          specs->size(), specs->size() == 1 ? " responder" : " responders",
          " within ", mayday::tools::FormatDistance(flags.radius_m), " of ",
          mayday::tools::FormatLocation(mayday::tools::ToLocation(*center)),
          ", server ", flags.server.address));

  std::mt19937_64 random(flags.seed);
  std::vector<std::unique_ptr<mayday::tools::SimResponder>> responders;
  for (std::size_t i = 0; i < specs->size(); ++i) {
    const mayday::tools::LatLng start =
        mayday::tools::RandomPointWithin(*center, flags.radius_m, random);
    responders.push_back(std::make_unique<mayday::tools::SimResponder>(
        *channel, (*specs)[i], start, behavior, absl::StrCat("sim-", i + 1),
        &log));
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

  const absl::Time end = flags.duration_s > 0
                             ? absl::Now() + absl::Seconds(flags.duration_s)
                             : absl::InfiniteFuture();
  const timespec poll = absl::ToTimespec(kSignalPoll);
  while (running > 0 && absl::Now() < end) {
    if (sigtimedwait(&signals, nullptr, &poll) > 0) break;
  }
  log.Line("mayday-sim", "stopping");
  for (auto& responder : responders) responder->Stop();
  for (std::thread& thread : threads) thread.join();
  return failed ? kExitFailure : 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mayday-sim: simulated Mayday clients for demos and load.",
               "mayday-sim"};
  app.require_subcommand(1);

  ResponderFlags flags;
  CLI::App* responders = app.add_subcommand(
      "responders",
      "simulated crews that take offers, drive to the member and resolve");
  responders
      ->add_option("--server", flags.server.address,
                   "maydayd address, HOST:PORT")
      ->envname("MAYDAY_SERVER")
      ->required();
  responders->add_flag("--tls", flags.server.tls, "connect with TLS");
  responders
      ->add_option("--ca-file", flags.server.ca_file,
                   "with --tls: PEM roots to trust")
      ->check(CLI::ExistingFile);
  responders
      ->add_option("--token-file", flags.token_file,
                   "responder tokens, one per line (# comments)")
      ->required();
  responders
      ->add_option("--center", flags.center,
                   "LAT,LON around which the responders start")
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
      ->add_option("--accept-delay-ms", flags.accept_delay_ms,
                   "wait before accepting an offer")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  responders
      ->add_option("--drive-seconds", flags.drive_seconds,
                   "time to drive to the member")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  responders
      ->add_option("--on-scene-seconds", flags.on_scene_seconds,
                   "time on scene before resolving")
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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }
  if (responders->parsed()) return RunResponders(flags);
  return kExitUsage;
}
