// Flags and runners of `mayday-sim crash-load` and `crash-verify`; see
// crash_commands.h.
#include "sim/crash_commands.h"

#include <signal.h>

#include <atomic>
#include <ctime>
#include <iostream>
#include <memory>
#include <thread>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "sim/crash_load.h"
#include "sim/crash_verify.h"
#include "sim/fleet.h"
#include "sim/geo.h"

namespace mayday::tools {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr absl::Duration kSignalPoll = absl::Milliseconds(100);

struct LoadFlags {
  CrashLoadOptions options;
  std::string token_file;
  double duration_s = 0;
  std::string near;           // "LAT,LON"
  std::string watch_servers;  // "H1:P1,H2:P2"
};

struct VerifyFlags {
  CrashVerifyOptions options;
  std::string token_file;
  std::string operator_token_file;
};

int Usage(const absl::Status& status) {
  std::cerr << "mayday-sim: " << status.message() << "\n";
  return kExitUsage;
}

// Runs the load until SIGINT/SIGTERM (or the duration), then drains it.
int RunLoad(LoadFlags& flags) {
  auto tokens = ReadTokenFile(flags.token_file);
  if (!tokens.ok()) return Usage(tokens.status());
  flags.options.tokens = *std::move(tokens);
  if (!flags.near.empty()) {
    auto center = ParseLatLng(flags.near);
    if (!center.ok()) return Usage(center.status());
    flags.options.near = std::make_pair(center->latitude, center->longitude);
  }
  if (!flags.watch_servers.empty()) {
    flags.options.watch_servers = absl::StrSplit(flags.watch_servers, ',', absl::SkipEmpty());
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::atomic<bool> stop = false;
  absl::StatusOr<CrashLoadResult> result;
  std::thread load([&] { result = RunCrashLoad(flags.options, &stop); });
  const absl::Time end =
      flags.duration_s > 0 ? absl::Now() + absl::Seconds(flags.duration_s) : absl::InfiniteFuture();
  const timespec poll = absl::ToTimespec(kSignalPoll);
  while (absl::Now() < end) {
    if (sigtimedwait(&signals, nullptr, &poll) > 0) break;
  }
  stop = true;
  load.join();
  if (!result.ok()) return Usage(result.status());
  std::cout << CrashLoadResultJson(*result) << std::endl;
  const bool clean =
      result->refused == 0 && result->reraise_mismatches == 0 && !result->drain_timed_out;
  return clean ? 0 : kExitFailure;
}

int RunVerify(VerifyFlags& flags) {
  if (!flags.options.address.empty()) {
    auto members = ReadTokenFile(flags.token_file);
    if (!members.ok()) return Usage(members.status());
    flags.options.member_tokens = *std::move(members);
    auto operators = ReadTokenFile(flags.operator_token_file);
    if (!operators.ok()) return Usage(operators.status());
    if (operators->empty()) return Usage(absl::InvalidArgumentError("no operator token"));
    flags.options.operator_token = operators->front();
  }
  auto result = VerifyCrash(flags.options);
  if (!result.ok()) return Usage(result.status());
  std::cout << CrashVerifyResultJson(*result) << std::endl;
  return result->ok() ? 0 : kExitFailure;
}

}  // namespace

void AddCrashCommands(CLI::App& app, int* exit_code) {
  // Owned by the callbacks, which live as long as `app`.
  auto load_flags = std::make_shared<LoadFlags>();
  CLI::App* load = app.add_subcommand(
      "crash-load",
      "raise alerts, retrying each until acknowledged, while the server is killed and "
      "restarted; write every acknowledgement to --acked; stop on SIGINT/SIGTERM");
  load->add_option("--server", load_flags->options.address, "HOST:PORT")->required();
  load->add_option("--token-file", load_flags->token_file, "member tokens, one per line")
      ->required();
  load->add_option("--acked", load_flags->options.acked_path, "file to write acknowledgements to")
      ->required();
  load->add_option("--clients", load_flags->options.clients, "client threads")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  load->add_option("--reraise-every", load_flags->options.reraise_every,
                   "raise every Nth alert again after its acknowledgement (0: never)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  load->add_option("--duration-s", load_flags->duration_s,
                   "stop after this many seconds (0: at SIGINT/SIGTERM)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  load->add_option("--seed", load_flags->options.seed, "seed of the request_ids")
      ->capture_default_str();
  load->add_option("--per-second", load_flags->options.per_second,
                   "alerts a second over all clients (0: as fast as they go)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  load->add_flag("--keep-open", load_flags->options.keep_open,
                 "leave each case open for the crews instead of cancelling it");
  load->add_option("--near", load_flags->near, "LAT,LON: raise within about 2 km of it");
  load->add_flag("--sdk", load_flags->options.through_sdk,
                 "raise through the SDK's RaiseAlert (its retries, with the same request_id)");
  load->add_option("--watch-every", load_flags->options.watch_every,
                   "follow one acknowledged alert in N with the member's SDK WatchCase")
      ->check(CLI::NonNegativeNumber);
  load->add_option("--watch-servers", load_flags->watch_servers,
                   "H1:P1,H2:P2: the replicas the watchers use, in turn");
  load->add_option("--watch-log", load_flags->options.watch_log,
                   "file the watchers write each event to (CASE SEQUENCE STATE)");
  load->callback([load_flags, exit_code] { *exit_code = RunLoad(*load_flags); });

  auto verify_flags = std::make_shared<VerifyFlags>();
  CLI::App* verify = app.add_subcommand(
      "crash-verify",
      "check the acknowledgements of crash-load against a running server (--server) "
      "and/or the integrity of a stopped server's database (--db); print one JSON line");
  verify->add_option("--acked", verify_flags->options.acked_path, "crash-load's --acked file")
      ->required();
  verify->add_option("--server", verify_flags->options.address, "HOST:PORT");
  verify->add_option("--token-file", verify_flags->token_file, "crash-load's member tokens");
  verify->add_option("--operator-token-file", verify_flags->operator_token_file,
                     "a file holding an operator token");
  verify->add_option("--db", verify_flags->options.db_path,
                     "database of a stopped server: PRAGMA integrity_check");
  verify->add_option("--members-prefix", verify_flags->options.members_prefix,
                     "only cases of members named so count as stored but unacknowledged");
  verify->add_flag("--dispatch-checks", verify_flags->options.dispatch_checks,
                   "also: no case offered to two crews at once, no crew with two cases");
  verify->add_option("--watch-log", verify_flags->options.watch_log,
                     "crash-load's --watch-log: each watched event in order, once, as stored");
  verify->add_option("--faults", verify_flags->options.faults_path,
                     "faults injected (UNIX_MS KIND per line): time to the next ack and offer");
  verify->add_option("--threads", verify_flags->options.threads, "calls in flight")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  verify->callback([verify_flags, exit_code] { *exit_code = RunVerify(*verify_flags); });
}

}  // namespace mayday::tools
