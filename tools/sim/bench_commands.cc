// Flags and runners of `mayday-sim offers`, `positions` and `fanout`; see
// bench_commands.h.
#include "sim/bench_commands.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "maydayctl/json.h"
#include "sim/crowd.h"
#include "sim/fanout.h"
#include "sim/fleet.h"
#include "sim/fleet_feed.h"
#include "sim/load.h"

namespace mayday::tools {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
// How long offers may still arrive after the last alert was acknowledged.
constexpr absl::Duration kOfferGrace = absl::Seconds(3);

int Usage(const absl::Status& status) {
  std::cerr << "mayday-sim: " << status.message() << "\n";
  return kExitUsage;
}
int Failure(const absl::Status& status) {
  std::cerr << "mayday-sim: " << status.message() << "\n";
  return kExitFailure;
}

// Flags both crowd commands share.
struct CrowdFlags {
  CrowdOptions crowd;
  std::string token_file;
  std::string center = "52.09,5.12";
  std::string label;
};

absl::Status PrepareCrowd(CrowdFlags& flags) {
  auto tokens = ReadTokenFile(flags.token_file);
  if (!tokens.ok()) return tokens.status();
  flags.crowd.tokens = *std::move(tokens);
  auto center = ParseLatLng(flags.center);
  if (!center.ok()) return center.status();
  flags.crowd.center = *center;
  return absl::OkStatus();
}

void AddCrowdFlags(CLI::App* command, CrowdFlags* flags) {
  command->add_option("--server", flags->crowd.server.address, "HOST:PORT")
      ->envname("MAYDAY_SERVER")
      ->required();
  command->add_option("--responder-tokens", flags->token_file, "responder tokens, one crew each")
      ->required();
  command->add_option("--center", flags->center, "LAT,LON of the crews' area")
      ->capture_default_str();
  command->add_option("--radius-m", flags->crowd.radius_meters, "radius of the crews' area")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command->add_option("--connections", flags->crowd.connections, "connections the crews share")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  command->add_option("--label", flags->label, "name of this run in the JSON line")
      ->capture_default_str();
}

struct OfferFlags {
  OfferFlags() { crowd.label = "alert-to-offer"; }
  CrowdFlags crowd;
  std::string member_token_file;
  double rate = 500;
  double warmup_s = 2;
  double duration_s = 5;
  double report_every_s = 5;
  std::string timeline;  // a file for each offer's time and latency, if set
};

// Writes "acknowledged_s,latency_ms" per offered alert, in the order the
// alerts were acknowledged (seconds from the first): to see whether slow
// offers come together (a pause of the server) or alone.
absl::Status WriteOfferTimeline(const std::string& path,
                                std::vector<std::pair<absl::Time, absl::Duration>> offers) {
  std::sort(offers.begin(), offers.end());
  std::ofstream out(path, std::ios::trunc);
  out << "acknowledged_s,latency_ms\n";
  for (const auto& [at, latency] : offers) {
    out << absl::StrFormat("%.4f,%.3f\n", absl::ToDoubleSeconds(at - offers.front().first),
                           absl::ToDoubleMilliseconds(latency));
  }
  out.close();
  if (!out) return absl::UnavailableError("cannot write the offer timeline to " + path);
  return absl::OkStatus();
}

int RunOffers(OfferFlags& flags) {
  if (auto s = PrepareCrowd(flags.crowd); !s.ok()) return Usage(s);
  auto members = ReadTokenFile(flags.member_token_file);
  if (!members.ok()) return Usage(members.status());
  flags.crowd.crowd.report_period = absl::Seconds(flags.report_every_s);
  flags.crowd.crowd.accept_offers = true;
  const absl::Time setup = absl::Now();
  auto crowd = Crowd::Start(flags.crowd.crowd);
  if (!crowd.ok()) return Failure(crowd.status());
  const double setup_s = absl::ToDoubleSeconds(absl::Now() - setup);
  absl::SleepFor(absl::Seconds(1));

  // When each counted alert was sent, by case; when its offer arrived.
  absl::Mutex mu;
  std::map<std::string, absl::Time> sent;
  LoadOptions load;
  load.server = flags.crowd.crowd.server;
  load.tokens = *std::move(members);
  load.rate = flags.rate;
  load.concurrency = 4096;
  load.warmup = absl::Seconds(flags.warmup_s);
  load.duration = absl::Seconds(flags.duration_s);
  load.area_center = flags.crowd.crowd.center;
  load.area_radius_meters = flags.crowd.crowd.radius_meters;
  load.seed = flags.crowd.crowd.seed + 7;
  load.on_acknowledged = [&](const mayday::v1::Case& c, absl::Time at) {
    absl::MutexLock lock(&mu);
    sent.emplace(c.name(), at);
  };
  auto intake = RunAlertLoad(load);
  if (!intake.ok()) return Usage(intake.status());

  std::map<std::string, absl::Time> offered;  // first offer of each case
  auto collect = [&] {
    for (const OfferArrival& o : (*crowd)->TakeOffers()) offered.emplace(o.case_name, o.arrival);
  };
  const absl::Time grace_end = absl::Now() + kOfferGrace;
  while (absl::Now() < grace_end) {
    collect();
    int64_t missing = 0;
    {
      absl::MutexLock lock(&mu);
      for (const auto& [name, at] : sent) missing += offered.contains(name) ? 0 : 1;
    }
    if (missing == 0) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  collect();
  std::vector<int64_t> latencies;
  std::vector<std::pair<absl::Time, absl::Duration>> timeline;
  int64_t not_offered = 0;
  {
    absl::MutexLock lock(&mu);
    for (const auto& [name, at] : sent) {
      auto it = offered.find(name);
      if (it == offered.end()) {
        ++not_offered;
      } else {
        latencies.push_back(absl::ToInt64Nanoseconds(it->second - at));
        timeline.emplace_back(at, it->second - at);
      }
    }
  }
  if (!flags.timeline.empty() && !timeline.empty()) {
    if (auto s = WriteOfferTimeline(flags.timeline, std::move(timeline)); !s.ok()) {
      return Failure(s);
    }
  }
  std::sort(latencies.begin(), latencies.end());
  const int64_t accepted = (*crowd)->accepted(), accept_failures = (*crowd)->accept_failures();
  auto reports = (*crowd)->Stop();
  if (!reports.ok()) return Failure(reports.status());
  struct {
    double p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
  } offer_latency;
  SetLatencies(latencies, offer_latency);
  std::cout << absl::StrCat("{\"label\":", JsonString(flags.crowd.label),
                            ",\"responders\":", flags.crowd.crowd.tokens.size(),
                            ",\"report_every_s\":", JsonNumber(flags.report_every_s, 1),
                            ",\"rate\":", JsonNumber(flags.rate, 1), ",\"alerts\":", sent.size(),
                            ",\"offered\":", latencies.size(), ",\"not_offered\":", not_offered,
                            ",\"p50_ms\":", JsonNumber(offer_latency.p50_ms, 3),
                            ",\"p99_ms\":", JsonNumber(offer_latency.p99_ms, 3),
                            ",\"p999_ms\":", JsonNumber(offer_latency.p999_ms, 3),
                            ",\"max_ms\":", JsonNumber(offer_latency.max_ms, 3),
                            ",\"intake_p99_ms\":", JsonNumber(intake->p99_ms, 3),
                            ",\"intake_failed\":", intake->failed, ",\"accepted\":", accepted,
                            ",\"accept_failures\":", accept_failures,
                            ",\"position_reports\":", *reports,
                            ",\"setup_s\":", JsonNumber(setup_s, 1), "}")
            << std::endl;
  return sent.empty() ? kExitFailure : 0;
}

struct PositionFlags {
  PositionFlags() { crowd.label = "positions"; }
  CrowdFlags crowd;
  double duration_s = 5;
  double rate = 60'000;
};

int RunPositions(PositionFlags& flags) {
  if (auto s = PrepareCrowd(flags.crowd); !s.ok()) return Usage(s);
  // Each crew at its share of the rate; a crew whose last report is still
  // unwritten skips its turn, so a server that falls behind is offered less
  // rather than buffering a backlog.
  flags.crowd.crowd.report_period =
      absl::Seconds(static_cast<double>(flags.crowd.crowd.tokens.size()) / flags.rate);
  flags.crowd.crowd.accept_offers = false;
  auto crowd = Crowd::Start(flags.crowd.crowd);
  if (!crowd.ok()) return Failure(crowd.status());
  // Start returned once every crew's first report was written; the ones
  // after it are counted, over the time until the server had taken the last.
  const absl::Time start = absl::Now();
  absl::SleepFor(absl::Seconds(flags.duration_s));
  auto reports = (*crowd)->Stop();
  if (!reports.ok()) return Failure(reports.status());
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const int64_t counted = *reports - static_cast<int64_t>(flags.crowd.crowd.tokens.size());
  std::cout << absl::StrCat("{\"label\":", JsonString(flags.crowd.label),
                            ",\"responders\":", flags.crowd.crowd.tokens.size(),
                            ",\"offered_rate\":", JsonNumber(flags.rate, 0),
                            ",\"reports\":", counted, ",\"seconds\":", JsonNumber(seconds, 3),
                            ",\"per_second\":", JsonNumber(counted / seconds, 1), "}")
            << std::endl;
  return counted > 0 ? 0 : kExitFailure;
}

struct FleetFeedFlags {
  FleetFeedOptions feed;
  std::string fleet_token_file;
  std::string crews;  // PREFIX:COUNT
  std::string responder_token_file;
  std::string center = "52.09,5.12";
  double duration_s = 5;
  std::string label = "fleet-feed";
};

int RunFleetFeedCommand(FleetFeedFlags& flags) {
  auto fleet = ReadTokenFile(flags.fleet_token_file);
  if (!fleet.ok()) return Usage(fleet.status());
  if (fleet->empty()) return Usage(absl::InvalidArgumentError("no fleet token"));
  flags.feed.fleet_token = fleet->front();
  const size_t colon = flags.crews.rfind(':');
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(flags.crews.substr(colon + 1), &flags.feed.crews)) {
    return Usage(absl::InvalidArgumentError("--crews is PREFIX:COUNT, e.g. patrol:2000"));
  }
  flags.feed.prefix = flags.crews.substr(0, colon);
  auto center = ParseLatLng(flags.center);
  if (!center.ok()) return Usage(center.status());
  flags.feed.center = *center;
  flags.feed.duration = absl::Seconds(flags.duration_s);
  // The crews on duty, as crew apps would be: each with its own streams,
  // reporting once (the feed reports for them from then on).
  std::unique_ptr<Crowd> crowd;
  if (!flags.responder_token_file.empty()) {
    auto tokens = ReadTokenFile(flags.responder_token_file);
    if (!tokens.ok()) return Usage(tokens.status());
    CrowdOptions options;
    options.server = flags.feed.server;
    options.tokens = *std::move(tokens);
    options.center = flags.feed.center;
    options.radius_meters = flags.feed.radius_meters;
    options.report_period = absl::Hours(24);
    options.accept_offers = false;
    auto started = Crowd::Start(options);
    if (!started.ok()) return Failure(started.status());
    crowd = *std::move(started);
  }
  auto result = RunFleetFeed(flags.feed);
  if (crowd != nullptr) (void)crowd->Stop();
  if (!result.ok()) {
    return absl::IsInvalidArgument(result.status()) ? Usage(result.status())
                                                    : Failure(result.status());
  }
  const double seconds = absl::ToDoubleSeconds(result->took);
  std::cout << absl::StrCat("{\"label\":", JsonString(flags.label), ",\"crews\":", flags.feed.crews,
                            ",\"offered_rate\":", JsonNumber(flags.feed.rate, 0),
                            ",\"batch\":", flags.feed.batch, ",\"streams\":", flags.feed.streams,
                            ",\"sent\":", result->sent, ",\"positions\":", result->accepted,
                            ",\"skipped\":", result->skipped,
                            ",\"seconds\":", JsonNumber(seconds, 3),
                            ",\"per_second\":", JsonNumber(result->accepted / seconds, 1), "}")
            << std::endl;
  return result->accepted > 0 ? 0 : kExitFailure;
}

struct FanoutFlags {
  FanoutOptions options;
  std::string member_token_file;
  std::string operator_token_file;
  std::string label = "fan-out";
};

int RunFanoutCommand(FanoutFlags& flags) {
  auto members = ReadTokenFile(flags.member_token_file);
  if (!members.ok()) return Usage(members.status());
  flags.options.member_tokens = *std::move(members);
  auto operators = ReadTokenFile(flags.operator_token_file);
  if (!operators.ok()) return Usage(operators.status());
  if (operators->empty()) return Usage(absl::InvalidArgumentError("no operator token"));
  flags.options.operator_token = operators->front();
  auto result = RunFanout(flags.options);
  if (!result.ok()) {
    return absl::IsInvalidArgument(result.status()) ? Usage(result.status())
                                                    : Failure(result.status());
  }
  std::cout << FanoutResultJson(flags.label, flags.options, *result) << std::endl;
  return result->delivered == result->expected ? 0 : kExitFailure;
}

}  // namespace

void AddBenchCommands(CLI::App& app, int* exit_code) {
  // Owned by the callbacks, which live as long as `app`.
  auto offer_flags = std::make_shared<OfferFlags>();
  CLI::App* offers = app.add_subcommand(
      "offers", "benchmark: crews on duty, alerts at a steady rate; time to each offer (JSON)");
  AddCrowdFlags(offers, &offer_flags->crowd);
  offers->add_option("--member-tokens", offer_flags->member_token_file, "member tokens")
      ->required();
  offers->add_option("--rate", offer_flags->rate, "alerts per second")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  offers->add_option("--warmup-s", offer_flags->warmup_s, "seconds of alerts not counted")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  offers->add_option("--duration-s", offer_flags->duration_s, "seconds of alerts counted")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  offers->add_option("--report-every-s", offer_flags->report_every_s, "each crew's report period")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  offers->add_option("--timeline", offer_flags->timeline,
                     "file to write each offer's time and latency to (CSV)");
  offers->callback([offer_flags, exit_code] { *exit_code = RunOffers(*offer_flags); });

  auto position_flags = std::make_shared<PositionFlags>();
  CLI::App* positions = app.add_subcommand(
      "positions", "benchmark: crews reporting at a high rate; reports/s absorbed (JSON)");
  AddCrowdFlags(positions, &position_flags->crowd);
  positions->add_option("--duration-s", position_flags->duration_s, "seconds of reporting")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  positions->add_option("--rate", position_flags->rate, "reports per second offered, in all")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  positions->callback([position_flags, exit_code] { *exit_code = RunPositions(*position_flags); });

  auto feed_flags = std::make_shared<FleetFeedFlags>();
  CLI::App* feed =
      app.add_subcommand("fleet-feed",
                         "benchmark: a tracking feed reporting many crews' positions in batches "
                         "(FleetService); positions/s absorbed (JSON)");
  feed->add_option("--server", feed_flags->feed.server.address, "HOST:PORT")
      ->envname("MAYDAY_SERVER")
      ->required();
  feed->add_option("--fleet-token-file", feed_flags->fleet_token_file,
                   "a fleet token (first line) for PREFIX")
      ->required();
  feed->add_option("--crews", feed_flags->crews, "PREFIX:COUNT: the crews PREFIX-1 .. PREFIX-COUNT")
      ->required();
  feed->add_option("--responder-tokens", feed_flags->responder_token_file,
                   "the crews' own tokens: each goes on duty first (else their positions are "
                   "skipped)");
  feed->add_option("--rate", feed_flags->feed.rate, "positions per second offered, in all")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  feed->add_option("--batch", feed_flags->feed.batch, "positions per batch")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  feed->add_option("--streams", feed_flags->feed.streams, "streams, one connection each")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  feed->add_option("--duration-s", feed_flags->duration_s, "seconds of reporting")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  feed->add_option("--center", feed_flags->center, "LAT,LON of the crews' area")
      ->capture_default_str();
  feed->add_option("--radius-m", feed_flags->feed.radius_meters, "radius of the crews' area")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  feed->add_option("--label", feed_flags->label, "name of this run")->capture_default_str();
  feed->callback([feed_flags, exit_code] { *exit_code = RunFleetFeedCommand(*feed_flags); });

  auto fanout_flags = std::make_shared<FanoutFlags>();
  CLI::App* fanout = app.add_subcommand(
      "fanout", "benchmark: many WatchCase/WatchCases streams; delivery times, memory (JSON)");
  FanoutOptions& o = fanout_flags->options;
  fanout->add_option("--server", o.server.address, "HOST:PORT")
      ->envname("MAYDAY_SERVER")
      ->required();
  fanout->add_option("--member-tokens", fanout_flags->member_token_file, "one case per member")
      ->required();
  fanout
      ->add_option("--operator-token-file", fanout_flags->operator_token_file,
                   "an operator token (first line)")
      ->required();
  fanout->add_option("--watchers-per-case", o.watchers_per_case, "WatchCase streams per case")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  fanout->add_option("--operator-watchers", o.operator_watchers, "WatchCases streams")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  fanout->add_option("--connections", o.connections, "connections the streams share")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  fanout->add_option("--events", o.events, "messages posted")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  fanout->add_option("--events-per-second", o.events_per_second, "their pace")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  fanout->add_option("--server-pid", o.server_pid, "maydayd's pid, to read its memory")
      ->capture_default_str();
  fanout->add_option("--label", fanout_flags->label, "name of this run")->capture_default_str();
  fanout->callback([fanout_flags, exit_code] { *exit_code = RunFanoutCommand(*fanout_flags); });
}

}  // namespace mayday::tools
