// Replicas on one PostgreSQL, measured side by side in one run (issue 19's
// figures for docs/BENCHMARKS.md), printing one JSON line per measurement:
//
//   intake-sqlite, intake-pg-1, intake-pg-3
//       durable alert intake (mayday-sim load, 128 calls in flight, every
//       answered alert committed): maydayd on a SQLite file; on PostgreSQL
//       (the throw-away cluster of tests/postgres, fsync on) with one
//       replica; with three, the load spread round them (round_robin)
//   watch
//       how long after a RaiseAlert was sent through replica A its Raised
//       event reached an operator's WatchCases on A itself and on replica
//       B (the commit follower): p50, p99, max over the alerts
//   relay
//       a crew on the replica that holds dispatch and one on a standby
//       (whose calls it relays there), taking turns: the time from sending
//       a RaiseAlert (through the holder) to the offer on the crew's
//       Subscribe, and a SetDuty's round trip (one round in four), for
//       each: p50, p99
//   hand-over
//       SIGKILL of the replica that holds dispatch, until another answers
//       grpc.health.v1 "mayday.dispatch" SERVING (the lease runs out, a
//       standby takes it and rebuilds dispatch): min, median, max over
//       the rounds; the killed one is started again as a standby
//
//   replicas_bench [SECONDS] [ALERTS] [KILLS]   (5, 300, 20)
#include <signal.h>
#include <sys/wait.h>

// The test cluster's library reports through Catch2; its implementation
// is compiled here (this program has its own main).
#define CATCH_CONFIG_RUNNER
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "daemon.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "mayday/v1/alert_service.grpc.pb.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "mayday/v1/responder_service.grpc.pb.h"
#include "test_postgres.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "replicas_bench: %s\n", what.c_str());
  std::exit(1);
}

// `count` tokens of `role` made on `target`, one per line.
std::vector<std::string> Tokens(const std::string& target, const std::string& role,
                                const std::string& subject, int count) {
  std::vector<std::string> argv = {MAYDAYD_BINARY, "token", "create",    "--store", target,
                                   "--role",       role,    "--subject", subject};
  if (count > 1) argv.insert(argv.end(), {"--count", std::to_string(count)});
  Output made = Run(argv);
  if (made.exit_code != 0) Fail("token create: " + made.text());
  std::vector<std::string> tokens;
  for (const std::string& line : made.lines) {
    if (line.rfind("mdy_", 0) == 0) tokens.push_back(line);
  }
  if (static_cast<int>(tokens.size()) != count) Fail("token create printed " + made.text());
  return tokens;
}

std::string Intake(const std::string& label, const std::string& server,
                   const std::string& token_file, int seconds) {
  Output out = Run({MAYDAY_SIM_BINARY, "load", "--server", server, "--token-file", token_file,
                    "--concurrency", "128", "--warmup-s", "1", "--duration-s",
                    std::to_string(seconds), "--label", label});
  if (out.exit_code != 0 || out.lines.empty()) Fail(label + ": " + out.text());
  return out.lines.back();
}

std::string WriteLines(const std::filesystem::path& path, const std::vector<std::string>& lines) {
  FILE* f = std::fopen(path.c_str(), "w");
  for (const std::string& line : lines) std::fprintf(f, "%s\n", line.c_str());
  std::fclose(f);
  return path.string();
}

double Quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t at = std::min(values.size() - 1, static_cast<size_t>(q * values.size()));
  return values[at];
}

// An operator's WatchCases, recording when each case's Raised event came.
class Feed {
 public:
  Feed(const std::string& address, const std::string& token) {
    stub_ = v1::OperatorService::NewStub(
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    context_.AddMetadata("authorization", "Bearer " + token);
    reader_ = stub_->WatchCases(&context_, v1::WatchCasesRequest());
    reader_->WaitForInitialMetadata();
    thread_ = std::thread([this] {
      v1::CaseEvent event;
      while (reader_->Read(&event)) {
        if (!event.has_raised()) continue;
        absl::MutexLock lock(&mu_);
        seen_[event.case_()] = absl::Now();
      }
    });
  }
  ~Feed() {
    context_.TryCancel();
    thread_.join();
  }
  std::optional<absl::Time> When(const std::string& name) {
    absl::MutexLock lock(&mu_);
    auto it = seen_.find(name);
    if (it == seen_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::unique_ptr<v1::OperatorService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::CaseEvent>> reader_;
  std::thread thread_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, absl::Time> seen_;
};

// A crew on one replica: on duty as an ambulance at `latitude`, 2.35,
// recording when each offer reached its Subscribe.
class BenchCrew {
 public:
  BenchCrew(const std::string& address, std::string token, double latitude)
      : token_(std::move(token)), latitude_(latitude) {
    stub_ = v1::ResponderService::NewStub(
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    if (!GoOnDuty().ok()) Fail("a bench crew could not go on duty");
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token_);
    v1::ReportLocationResponse reported;
    auto writer = stub_->ReportLocation(&context, &reported);
    v1::ReportLocationRequest where;
    where.mutable_location()->set_latitude(latitude_);
    where.mutable_location()->set_longitude(2.35);
    writer->Write(where);
    writer->WritesDone();
    if (!writer->Finish().ok()) Fail("a bench crew could not report its position");
    stream_.AddMetadata("authorization", "Bearer " + token_);
    reader_ = stub_->Subscribe(&stream_, v1::SubscribeRequest());
    reader_->WaitForInitialMetadata();
    thread_ = std::thread([this] {
      v1::ResponderUpdate update;
      while (reader_->Read(&update)) {
        if (!update.has_offer()) continue;
        absl::MutexLock lock(&mu_);
        offered_[update.offer().case_()] = absl::Now();
      }
    });
  }
  ~BenchCrew() {
    stream_.TryCancel();
    thread_.join();
  }
  grpc::Status GoOnDuty() {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token_);
    v1::SetDutyRequest duty;
    duty.set_on_duty(true);
    duty.add_capabilities(v1::CAPABILITY_AMBULANCE);
    v1::Responder me;
    return stub_->SetDuty(&context, duty, &me);
  }
  // When `name` was offered to this crew, waiting up to 5 s.
  std::optional<absl::Time> Offered(const std::string& name) {
    absl::MutexLock lock(&mu_);
    auto known = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return offered_.contains(name); };
    if (!mu_.AwaitWithTimeout(absl::Condition(&known), absl::Seconds(5))) return std::nullopt;
    return offered_[name];
  }
  double latitude() const { return latitude_; }

 private:
  const std::string token_;
  const double latitude_;
  std::unique_ptr<v1::ResponderService::Stub> stub_;
  grpc::ClientContext stream_;
  std::unique_ptr<grpc::ClientReader<v1::ResponderUpdate>> reader_;
  std::thread thread_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, absl::Time> offered_ ABSL_GUARDED_BY(mu_);
};

// Index of the replica that dispatches, waiting up to 15 s.
int FindHolder(const std::vector<std::unique_ptr<Daemon>>& replicas) {
  const absl::Time look = absl::Now();
  while (absl::Now() - look < absl::Seconds(15)) {
    for (size_t i = 0; i < replicas.size(); ++i) {
      if (HealthServing(replicas[i]->address(), "mayday.dispatch")) return static_cast<int>(i);
    }
  }
  Fail("no replica dispatches");
}

// Offers to a crew on the holder and to one on a standby, taking turns.
void Relay(const std::string& uri, const std::vector<std::unique_ptr<Daemon>>& replicas,
           int rounds) {
  const int holder = FindHolder(replicas);
  const int standby = (holder + 1) % static_cast<int>(replicas.size());
  // Whoever took the lease last, every standby knows it within 250 ms.
  absl::SleepFor(absl::Milliseconds(500));
  const std::vector<std::string> crew_tokens = Tokens(uri, "responder", "relay-crew", 2);
  const std::vector<std::string> people = Tokens(uri, "member", "r", rounds * 2);
  BenchCrew direct(replicas[holder]->address(), crew_tokens[0], 48.80);
  BenchCrew relayed(replicas[standby]->address(), crew_tokens[1], 48.90);
  auto alerts = v1::AlertService::NewStub(
      grpc::CreateChannel(replicas[holder]->address(), grpc::InsecureChannelCredentials()));
  std::vector<double> offer_direct, offer_relayed, duty_direct, duty_relayed;
  for (int i = 0; i < rounds * 2; ++i) {
    BenchCrew& crew = i % 2 == 0 ? direct : relayed;
    v1::RaiseAlertRequest request;
    request.set_request_id(absl::StrCat("relay-", i));
    request.set_kind(v1::CASE_KIND_MEDICAL);
    request.mutable_location()->set_latitude(crew.latitude());
    request.mutable_location()->set_longitude(2.35);
    request.mutable_location()->set_horizontal_accuracy_meters(10);
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + people[i]);
    const absl::Time t0 = absl::Now();
    v1::Case opened;
    if (!alerts->RaiseAlert(&context, request, &opened).ok()) Fail("a relay alert failed");
    const std::optional<absl::Time> offered = crew.Offered(opened.name());
    if (!offered.has_value()) Fail("an offer did not reach its crew within 5 s");
    (i % 2 == 0 ? offer_direct : offer_relayed)
        .push_back(absl::ToDoubleMilliseconds(*offered - t0));
    // The member cancels: the offer is withdrawn and the crew is free.
    grpc::ClientContext cancel_context;
    cancel_context.AddMetadata("authorization", "Bearer " + people[i]);
    v1::CancelCaseRequest cancel;
    cancel.set_name(opened.name());
    cancel.set_reason("bench");
    v1::Case cancelled;
    if (!alerts->CancelCase(&cancel_context, cancel, &cancelled).ok()) Fail("cancel failed");
    // SetDuty's round trip, once every four of each crew's rounds: within
    // maydayd's default budget of responder updates (10 a second).
    if (i % 8 >= 2) continue;
    const absl::Time d0 = absl::Now();
    if (grpc::Status duty = crew.GoOnDuty(); !duty.ok()) {
      Fail("SetDuty failed: " + duty.error_message());
    }
    (i % 2 == 0 ? duty_direct : duty_relayed)
        .push_back(absl::ToDoubleMilliseconds(absl::Now() - d0));
  }
  std::printf(
      "{\"label\":\"relay\",\"rounds\":%d,\"offer_direct_p50_ms\":%.2f,"
      "\"offer_direct_p99_ms\":%.2f,\"offer_relayed_p50_ms\":%.2f,"
      "\"offer_relayed_p99_ms\":%.2f,\"duty_direct_p50_ms\":%.2f,\"duty_direct_p99_ms\":%.2f,"
      "\"duty_relayed_p50_ms\":%.2f,\"duty_relayed_p99_ms\":%.2f}\n",
      rounds, Quantile(offer_direct, 0.5), Quantile(offer_direct, 0.99),
      Quantile(offer_relayed, 0.5), Quantile(offer_relayed, 0.99), Quantile(duty_direct, 0.5),
      Quantile(duty_direct, 0.99), Quantile(duty_relayed, 0.5), Quantile(duty_relayed, 0.99));
  std::fflush(stdout);
}

std::string NewDatabase() {
  absl::StatusOr<TestPostgres*> cluster = TestPostgres::Shared();
  if (!cluster.ok()) Fail(cluster.status().ToString());
  absl::StatusOr<std::string> uri = (*cluster)->NewDatabase();
  if (!uri.ok()) Fail(uri.status().ToString());
  return *uri;
}

int Main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 5;
  const int alerts = argc > 2 ? std::atoi(argv[2]) : 300;
  const int kills = argc > 3 ? std::atoi(argv[3]) : 20;
  Scratch scratch("mayday-replicas-bench");
  const int members = 60000;

  // Intake, side by side.
  {
    const std::string file = (scratch.dir / "mayday.db").string();
    const std::string tokens =
        WriteLines(scratch.dir / "sqlite.tokens", Tokens(file, "member", "m", members));
    Daemon sqlite(MAYDAYD_BINARY, file);
    std::printf("%s\n", Intake("intake-sqlite", sqlite.address(), tokens, seconds).c_str());
  }
  {
    const std::string uri = NewDatabase();
    const std::string tokens =
        WriteLines(scratch.dir / "pg1.tokens", Tokens(uri, "member", "m", members));
    Daemon one(MAYDAYD_BINARY, uri);
    std::printf("%s\n", Intake("intake-pg-1", one.address(), tokens, seconds).c_str());
  }
  const std::string uri = NewDatabase();
  std::vector<std::unique_ptr<Daemon>> replicas = StartReplicas(MAYDAYD_BINARY, uri, 3);
  {
    const std::string tokens =
        WriteLines(scratch.dir / "pg3.tokens", Tokens(uri, "member", "m", members));
    const std::vector<std::string> addresses = Addresses(replicas);
    std::printf(
        "%s\n",
        Intake("intake-pg-3", "ipv4:" + absl::StrJoin(addresses, ","), tokens, seconds).c_str());
  }

  // Cross-replica watch: raised through A, seen on A and on B.
  {
    const std::string agent = Tokens(uri, "operator", "desk", 1)[0];
    const std::vector<std::string> people = Tokens(uri, "member", "w", alerts);
    Feed on_a(replicas[0]->address(), agent), on_b(replicas[1]->address(), agent);
    auto stub = v1::AlertService::NewStub(
        grpc::CreateChannel(replicas[0]->address(), grpc::InsecureChannelCredentials()));
    std::vector<std::pair<std::string, absl::Time>> sent;
    for (int i = 0; i < alerts; ++i) {
      v1::RaiseAlertRequest request;
      request.set_request_id(absl::StrCat("watch-", i));
      request.set_kind(v1::CASE_KIND_ROAD);
      request.mutable_location()->set_latitude(48.85);
      request.mutable_location()->set_longitude(2.35);
      request.mutable_location()->set_horizontal_accuracy_meters(10);
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + people[i]);
      const absl::Time t0 = absl::Now();
      v1::Case opened;
      if (!stub->RaiseAlert(&context, request, &opened).ok()) Fail("a watched alert failed");
      sent.emplace_back(opened.name(), t0);
      absl::SleepFor(absl::Milliseconds(20));  // 50 alerts a second
    }
    absl::SleepFor(absl::Seconds(2));
    std::vector<double> same, cross;
    int missing = 0;
    for (const auto& [name, t0] : sent) {
      const auto a = on_a.When(name), b = on_b.When(name);
      if (!a || !b) {
        ++missing;
        continue;
      }
      same.push_back(absl::ToDoubleMilliseconds(*a - t0));
      cross.push_back(absl::ToDoubleMilliseconds(*b - t0));
    }
    std::printf(
        "{\"label\":\"watch\",\"alerts\":%d,\"missing\":%d,\"same_p50_ms\":%.2f,"
        "\"same_p99_ms\":%.2f,\"cross_p50_ms\":%.2f,\"cross_p99_ms\":%.2f,\"cross_max_ms\":%.2f}\n",
        alerts, missing, Quantile(same, 0.5), Quantile(same, 0.99), Quantile(cross, 0.5),
        Quantile(cross, 0.99), Quantile(cross, 1.0));
    std::fflush(stdout);
  }

  Relay(uri, replicas, alerts / 2);

  // Hand-over after SIGKILL of the holder.
  std::vector<double> took;
  for (int round = 0; round < kills; ++round) {
    const int holder = FindHolder(replicas);
    replicas[holder]->Stop(SIGKILL);
    const absl::Time killed = absl::Now();
    bool moved = false;
    while (!moved && absl::Now() - killed < absl::Seconds(15)) {
      for (int i = 0; i < 3 && !moved; ++i) {
        moved = i != holder && HealthServing(replicas[i]->address(), "mayday.dispatch");
      }
      if (!moved) absl::SleepFor(absl::Milliseconds(5));
    }
    if (!moved) Fail("dispatch did not move within 15 s");
    took.push_back(absl::ToDoubleSeconds(absl::Now() - killed));
    replicas[holder] = std::make_unique<Daemon>(MAYDAYD_BINARY, uri);
  }
  std::printf(
      "{\"label\":\"hand-over\",\"kills\":%d,\"min_s\":%.3f,\"median_s\":%.3f,\"max_s\":%.3f}\n",
      kills, Quantile(took, 0), Quantile(took, 0.5), Quantile(took, 1.0));
  return 0;
}

}  // namespace
}  // namespace mayday::testing

int main(int argc, char** argv) { return mayday::testing::Main(argc, argv); }
