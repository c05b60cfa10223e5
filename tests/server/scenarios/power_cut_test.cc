// Power loss under a real maydayd: members raise alerts over gRPC from
// several threads (and dispatch escalates them, writing more events) while
// the database's FaultyVfs cuts the power at a chosen write or sync; the
// files are left as the power cut leaves them and the server starts again.
// Every alert whose RaiseAlert was answered OK must be there, with its
// events 1..n, and a retry of its request_id must return the same case.
// tests/server/store/power_loss_test.cc sweeps 1,000 crash points of the store
// alone; this runs fewer, end to end.
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "faulty_vfs.h"
#include "test_server.h"
#include "test_support.h"

namespace mayday::testing {
namespace {

using server::testing::FaultyVfs;

constexpr int kMembers = 3;           // client threads
constexpr int kAlertsPerMember = 12;  // each from a member of its own (a
                                      // member's next road alert would join
                                      // the open one)
constexpr int kCrashPoints = 100;

// RaiseAlerts acknowledged: request_id -> case name, per member token.
struct Acks {
  absl::Mutex mu;
  std::map<std::string, std::map<std::string, std::string>> by_token ABSL_GUARDED_BY(mu);
};

// Each thread raises its alerts one after another until done or the server
// fails to answer OK (the power is gone).
void RaiseAlerts(TestServer& server, const std::vector<std::string>& tokens, Acks& acks) {
  std::vector<std::thread> members;
  for (int m = 0; m < kMembers; ++m) {
    members.emplace_back([&server, &acks, &tokens, m] {
      auto alerts = server.Alerts();
      for (int i = 0; i < kAlertsPerMember; ++i) {
        const std::string& token = tokens[m * kAlertsPerMember + i];
        const std::string request_id = absl::StrCat("m", m, "-alert-", i);
        mayday::v1::Case reply;
        if (!alerts->RaiseAlert(Call(token).get(), Alert(request_id), &reply).ok()) return;
        absl::MutexLock lock(&acks.mu);
        acks.by_token[token][request_id] = reply.name();
      }
    });
  }
  for (std::thread& member : members) member.join();
}

struct RunResult {
  int64_t operations = 0;  // writes and syncs after the server started
  int acked = 0;
  std::vector<std::string> problems;
};

// One run: a fresh server on a fresh FaultyVfs, the power cut `crash_after`
// writes or syncs into the workload (0: at its end), a restart on what
// survived, and the checks.
RunResult Run(int64_t crash_after, uint32_t seed) {
  RunResult result;
  FaultyVfs vfs("mayday-power-cut");  // outlives the server
  server::StoreOptions store;
  store.vfs = vfs.name();
  TestServer server(absl::Seconds(30), store);
  std::vector<std::string> tokens;
  for (int m = 0; m < kMembers * kAlertsPerMember; ++m) {
    tokens.push_back(server.Token("member", absl::StrCat("m", m)));
  }
  const int64_t start = vfs.operations();
  if (crash_after > 0) vfs.CrashAt(start + crash_after);
  Acks acks;
  RaiseAlerts(server, tokens, acks);
  if (crash_after == 0) server.server().SettleDispatch();
  result.operations = vfs.operations() - start;
  server.Restart([&] {
    vfs.CutPower();
    vfs.RestoreDurable(seed);
  });

  auto alerts = server.Alerts();
  absl::MutexLock lock(&acks.mu);
  for (const auto& [token, cases] : acks.by_token) {
    for (const auto& [request_id, name] : cases) {
      ++result.acked;
      mayday::v1::GetCaseRequest get;
      get.set_name(name);
      mayday::v1::Case found;
      grpc::Status status = alerts->GetCase(Call(token).get(), get, &found);
      if (!status.ok()) {
        result.problems.push_back(absl::StrCat(
            name, " (", request_id, ") acknowledged, then lost: ", status.error_message()));
        continue;
      }
      mayday::v1::Case retried;
      status = alerts->RaiseAlert(Call(token).get(), Alert(request_id), &retried);
      if (!status.ok() || retried.name() != name) {
        result.problems.push_back(
            absl::StrCat("retry of ", request_id, " gave ", retried.name(), " instead of ", name));
      }
    }
  }
  const int64_t broken = server::testing::QueryInt(
      server.db_path(),
      "SELECT COUNT(*) FROM cases c WHERE last_sequence != "
      "(SELECT COUNT(*) FROM case_events e WHERE e.case_id = c.id) OR last_sequence != "
      "(SELECT MAX(sequence) FROM case_events e WHERE e.case_id = c.id)");
  if (broken != 0) result.problems.push_back(absl::StrCat(broken, " cases with gaps"));
  const std::string integrity = server::testing::CheckIntegrity(server.db_path());
  if (integrity != "ok") result.problems.push_back("integrity: " + integrity);
  return result;
}

TEST_CASE("maydayd loses no acknowledged alert when the power fails") {
  RunResult whole = Run(0, 0);
  INFO("the workload without a crash: " << (whole.problems.empty() ? std::string()
                                                                   : whole.problems.front()));
  REQUIRE(whole.problems.empty());
  REQUIRE(whole.acked == kMembers * kAlertsPerMember);

  int acked = 0, failed_runs = 0;
  std::string first_problem;
  for (int i = 0; i < kCrashPoints; ++i) {
    const int64_t crash_after = 1 + i * whole.operations / kCrashPoints;
    const uint32_t seed = i % 2 == 1 ? static_cast<uint32_t>(i) : 0;
    RunResult run = Run(crash_after, seed);
    acked += run.acked;
    if (!run.problems.empty()) {
      ++failed_runs;
      if (first_problem.empty()) {
        first_problem =
            absl::StrCat("crash after ", crash_after, " seed ", seed, ": ", run.problems.front());
      }
    }
  }
  WARN("maydayd power cut: " << kCrashPoints << " crash points over " << whole.operations
                             << " writes and syncs, " << acked << " acknowledged alerts checked, "
                             << failed_runs << " runs with a problem");
  INFO(first_problem);
  CHECK(failed_runs == 0);
  CHECK(acked > 0);
}

}  // namespace
}  // namespace mayday::testing
