// dispatch_bench: the dispatch engine's nearest-responder query against a
// brute-force geodesic scan (and, with --redis, against Redis GEOSEARCH) for
// fleets of 1,000 to 1,000,000 responders spread over mainland France.
//
// Default output, one JSON object per line and fleet size:
//   responders, queries, index_median_ns, index_p99_ns, scan_median_ns,
//   scan_p99_ns, identical, updates_per_s
// "index" is the public Engine: AddCase + Step() until it returns the offer
// (the time a case waits for its decision, index query included). "scan" is
// a brute-force scan of every responder with the exact WGS84 geodesic, over
// the same queries. "queries" is how many both answered: fewer at large
// fleets, where one scan takes up to half a second. "identical" counts the
// queries whose answer (responder id, or nobody within the radius) equals the
// engine's; it must equal "queries". updates_per_s is
// Engine::UpdatePosition calls per second (each responder moving ~250 m).
//
// With --redis: the same fleet loaded into a redis-server started on
// 127.0.0.1 (free port, temporary directory, no persistence), and the same
// queries as GEOSEARCH key FROMLONLAT lon lat BYRADIUS r m ASC COUNT 1 over a
// RESP round trip. One JSON object per line: responders, queries,
// engine_median_ns, engine_p99_ns, redis_median_ns, redis_p99_ns,
// redis_different_nearest (queries whose Redis nearest, by its spherical
// haversine on 52-bit geohashes, is not the WGS84 geodesic nearest).
#include <GeographicLib/Geodesic.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "mayday/base/clock.h"
#include "mayday/dispatch/engine.h"
#include "resp_client.h"

namespace mayday::bench {
namespace {

using dispatch::CaseKind;
using dispatch::Decision;
using dispatch::GeoPoint;

// Mainland France, roughly.
constexpr double kLatLo = 42.5, kLatHi = 51.0, kLonLo = -4.5, kLonHi = 8.0;

struct Responder {
  std::string id;
  GeoPoint at;
  CaseKind kind;  // ambulances serve medical, tow trucks road
};

struct Query {
  GeoPoint at;
  CaseKind kind;
};

std::vector<Responder> MakeFleet(int n, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> lat(kLatLo, kLatHi), lon(kLonLo, kLonHi);
  std::vector<Responder> fleet;
  fleet.reserve(n);
  for (int i = 0; i < n; ++i) {
    fleet.push_back({absl::StrCat("r-", i),
                     {lat(rng), lon(rng)},
                     i % 2 == 0 ? CaseKind::kMedical : CaseKind::kRoad});
  }
  return fleet;
}

std::vector<Query> MakeQueries(int n, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> lat(kLatLo, kLatHi), lon(kLonLo, kLonHi);
  std::vector<Query> queries;
  for (int i = 0; i < n; ++i) {
    queries.push_back({{lat(rng), lon(rng)}, i % 2 == 0 ? CaseKind::kMedical : CaseKind::kRoad});
  }
  return queries;
}

int64_t NanosSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                              start)
      .count();
}

int64_t Percentile(std::vector<int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

// The engine under test, loaded with `fleet`. The clock never moves, so
// every responder is equally idle and ties go to the smaller id.
struct Loaded {
  base::ManualClock clock;
  std::unique_ptr<dispatch::Engine> engine;
};

std::unique_ptr<Loaded> Load(const std::vector<Responder>& fleet,
                             const dispatch::EngineOptions& options) {
  auto loaded = std::make_unique<Loaded>();
  auto engine = dispatch::Engine::Create(options, &loaded->clock);
  if (!engine.ok()) {
    std::fprintf(stderr, "dispatch_bench: %s\n", engine.status().ToString().c_str());
    std::exit(1);
  }
  loaded->engine = std::move(*engine);
  for (const Responder& r : fleet) {
    const dispatch::Capability cap = r.kind == CaseKind::kMedical ? dispatch::Capability::kAmbulance
                                                                  : dispatch::Capability::kTow;
    if (!loaded->engine->SetDuty(r.id, true, {cap}).ok() ||
        !loaded->engine->UpdatePosition(r.id, r.at, loaded->clock.Now()).ok()) {
      std::fprintf(stderr, "dispatch_bench: could not load responder %s\n", r.id.c_str());
      std::exit(1);
    }
  }
  return loaded;
}

// One case through the engine: the offered responder ("" if escalated) and
// the time AddCase + Step took.
std::pair<std::string, int64_t> EngineQuery(dispatch::Engine& engine, const Query& q, int n,
                                            absl::Time now) {
  const std::string case_id = absl::StrCat("c-", n);
  const auto start = std::chrono::steady_clock::now();
  (void)engine.AddCase(case_id, q.kind, q.at, now);
  const std::vector<Decision> decisions = engine.Step();
  const int64_t ns = NanosSince(start);
  std::string who;
  for (const Decision& d : decisions) {
    if (d.type == Decision::Type::kOffer) who = d.responder_id;
  }
  engine.CloseCase(case_id);  // the responder is free again
  return {who, ns};
}

// Brute force: every responder of the kind, exact geodesic, ties to the
// smaller id (the engine's tie-break when all are equally idle).
std::string ScanQuery(const std::vector<Responder>& fleet, const Query& q, double radius) {
  const GeographicLib::Geodesic& g = GeographicLib::Geodesic::WGS84();
  const Responder* best = nullptr;
  double best_d = 0;
  for (const Responder& r : fleet) {
    if (r.kind != q.kind) continue;
    double d = 0;
    g.Inverse(r.at.latitude_deg, r.at.longitude_deg, q.at.latitude_deg, q.at.longitude_deg, d);
    if (d > radius) continue;
    if (best == nullptr || d < best_d || (d == best_d && r.id < best->id)) {
      best = &r;
      best_d = d;
    }
  }
  return best == nullptr ? "" : best->id;
}

void RunIndexVsScan(int n, int queries, uint64_t seed) {
  std::mt19937_64 rng(seed + static_cast<uint64_t>(n));
  const std::vector<Responder> fleet = MakeFleet(n, rng);
  const std::vector<Query> qs = MakeQueries(queries, rng);
  const dispatch::EngineOptions options;  // 50 km radius
  std::unique_ptr<Loaded> loaded = Load(fleet, options);
  const absl::Time now = loaded->clock.Now();

  std::vector<std::string> answers;
  std::vector<int64_t> index_ns;
  for (int i = 0; i < queries; ++i) {
    auto [who, ns] = EngineQuery(*loaded->engine, qs[i], i, now);
    answers.push_back(std::move(who));
    index_ns.push_back(ns);
  }
  std::vector<int64_t> scan_ns;
  int identical = 0;
  for (int i = 0; i < queries; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const std::string who = ScanQuery(fleet, qs[i], options.max_radius_meters);
    scan_ns.push_back(NanosSince(start));
    if (who == answers[i]) ++identical;
  }
  // Position updates: everyone moves ~250 m, in a shuffled order.
  const int updates = std::min(n, 200'000);
  std::vector<std::pair<const std::string*, GeoPoint>> moves;
  std::normal_distribution<double> step(0, 0.0025);
  for (int i = 0; i < updates; ++i) {
    const Responder& r = fleet[static_cast<size_t>(rng() % fleet.size())];
    moves.emplace_back(&r.id, GeoPoint{std::clamp(r.at.latitude_deg + step(rng), kLatLo, kLatHi),
                                       r.at.longitude_deg + step(rng)});
  }
  const auto start = std::chrono::steady_clock::now();
  for (const auto& [id, at] : moves) {
    if (!loaded->engine->UpdatePosition(*id, at, now).ok()) std::exit(1);
  }
  const double seconds = static_cast<double>(NanosSince(start)) / 1e9;
  std::printf(
      "{\"responders\":%d,\"queries\":%d,\"index_median_ns\":%lld,\"index_p99_ns\":%lld,"
      "\"scan_median_ns\":%lld,\"scan_p99_ns\":%lld,\"identical\":%d,\"updates_per_s\":%.0f}\n",
      n, queries, static_cast<long long>(Percentile(index_ns, 0.5)),
      static_cast<long long>(Percentile(index_ns, 0.99)),
      static_cast<long long>(Percentile(scan_ns, 0.5)),
      static_cast<long long>(Percentile(scan_ns, 0.99)), identical,
      static_cast<double>(updates) / seconds);
  std::fflush(stdout);
}

bool Check(const absl::StatusOr<RespReply>& reply, const char* what) {
  if (reply.ok() && reply->type != RespReply::Type::kError) return true;
  std::fprintf(stderr, "dispatch_bench: redis %s failed: %s\n", what,
               reply.ok() ? reply->text.c_str() : reply.status().ToString().c_str());
  return false;
}

bool RunRedis(int n, int queries, uint64_t seed, const std::string& binary) {
  // Started before the fleet is loaded: forking a process with a big heap
  // would leave the engine's pages copy-on-write, and its first writes to
  // each would fault during the timed queries.
  absl::StatusOr<std::unique_ptr<RedisProcess>> redis = RedisProcess::Start(binary);
  if (!redis.ok()) {
    std::fprintf(stderr, "dispatch_bench: %s\n", redis.status().ToString().c_str());
    return false;
  }
  std::mt19937_64 rng(seed + static_cast<uint64_t>(n));
  const std::vector<Responder> fleet = MakeFleet(n, rng);
  const std::vector<Query> qs = MakeQueries(queries, rng);
  const dispatch::EngineOptions options;
  std::unique_ptr<Loaded> loaded = Load(fleet, options);

  absl::StatusOr<std::unique_ptr<RespClient>> client = RespClient::Connect((*redis)->port());
  if (!client.ok()) {
    std::fprintf(stderr, "dispatch_bench: %s\n", client.status().ToString().c_str());
    return false;
  }
  RespClient& c = **client;
  // Load in pipelined batches of 1,000 members per GEOADD.
  int pending = 0;
  for (CaseKind kind : {CaseKind::kMedical, CaseKind::kRoad}) {
    std::vector<std::string> args = {"GEOADD", kind == CaseKind::kMedical ? "medical" : "road"};
    auto send = [&] {
      if (args.size() > 2) {
        c.Append(args);
        ++pending;
      }
      args.resize(2);
    };
    for (const Responder& r : fleet) {
      if (r.kind != kind) continue;
      args.push_back(absl::StrCat(r.at.longitude_deg));
      args.push_back(absl::StrCat(r.at.latitude_deg));
      args.push_back(r.id);
      if (args.size() >= 2 + 3 * 1000) send();
    }
    send();
  }
  if (!c.Flush().ok()) return false;
  for (; pending > 0; --pending) {
    if (!Check(c.Read(), "GEOADD")) return false;
  }

  const absl::Time now = loaded->clock.Now();
  const std::string radius = absl::StrCat(options.max_radius_meters);
  // The engine's answers first, then Redis's: interleaving them would time
  // each side with caches cold from the other.
  std::vector<int64_t> engine_ns, redis_ns;
  std::vector<std::string> answers;
  for (int i = 0; i < queries; ++i) {
    auto [ours, ns] = EngineQuery(*loaded->engine, qs[i], i, now);
    answers.push_back(std::move(ours));
    engine_ns.push_back(ns);
  }
  int different = 0;
  for (int i = 0; i < queries; ++i) {
    const Query& q = qs[i];
    const std::string& ours = answers[i];
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<RespReply> reply =
        c.Call({"GEOSEARCH", q.kind == CaseKind::kMedical ? "medical" : "road", "FROMLONLAT",
                absl::StrCat(q.at.longitude_deg), absl::StrCat(q.at.latitude_deg), "BYRADIUS",
                radius, "m", "ASC", "COUNT", "1"});
    redis_ns.push_back(NanosSince(start));
    if (!Check(reply, "GEOSEARCH")) return false;
    const std::string theirs = reply->elements.empty() ? "" : reply->elements[0].text;
    if (theirs != ours) ++different;
  }
  std::printf(
      "{\"responders\":%d,\"queries\":%d,\"engine_median_ns\":%lld,\"engine_p99_ns\":%lld,"
      "\"redis_median_ns\":%lld,\"redis_p99_ns\":%lld,\"redis_different_nearest\":%d}\n",
      n, queries, static_cast<long long>(Percentile(engine_ns, 0.5)),
      static_cast<long long>(Percentile(engine_ns, 0.99)),
      static_cast<long long>(Percentile(redis_ns, 0.5)),
      static_cast<long long>(Percentile(redis_ns, 0.99)), different);
  std::fflush(stdout);
  return true;
}

int Main(int argc, char** argv) {
  std::vector<int> sizes = {1'000, 10'000, 100'000, 1'000'000};
  bool redis = false;
  std::string redis_binary = "redis-server";
  uint64_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--redis") {
      redis = true;
    } else if (arg.rfind("--redis-server=", 0) == 0) {
      redis_binary = arg.substr(15);
    } else if (arg.rfind("--sizes=", 0) == 0) {
      sizes.clear();
      for (absl::string_view s : absl::StrSplit(arg.substr(8), ',')) {
        int v = 0;
        if (!absl::SimpleAtoi(s, &v) || v <= 0) {
          std::fprintf(stderr, "dispatch_bench: bad size in %s\n", arg.c_str());
          return 2;
        }
        sizes.push_back(v);
      }
    } else if (arg.rfind("--seed=", 0) == 0 && absl::SimpleAtoi(arg.substr(7), &seed)) {
    } else {
      std::fprintf(stderr,
                   "usage: dispatch_bench [--sizes=1000,10000,100000,1000000] [--seed=N]\n"
                   "                      [--redis [--redis-server=PATH]]\n");
      return 2;
    }
  }
  for (int n : sizes) {
    // Enough queries for stable percentiles, and a scan that ends in about
    // 20 s per size (a scan of 1,000,000 takes about a second).
    const int queries = n <= 1'000 ? 4'000 : n <= 10'000 ? 2'000 : 1'000;
    if (redis) {
      if (!RunRedis(n, queries, seed, redis_binary)) return 1;
    } else {
      // Both sides answer the same queries; the scan bounds how many.
      const int compared = n <= 1'000 ? queries : n <= 10'000 ? 1'000 : n <= 100'000 ? 300 : 30;
      RunIndexVsScan(n, std::min(queries, compared), seed);
    }
  }
  return 0;
}

}  // namespace
}  // namespace mayday::bench

int main(int argc, char** argv) { return mayday::bench::Main(argc, argv); }
