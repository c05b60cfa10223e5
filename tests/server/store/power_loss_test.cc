// Power loss at any instant. The alert workload (cases created and moved
// on through the group commit, as CaseLog does in maydayd) runs through a
// FaultyVfs that cuts the power at its k-th write or sync; then every file is
// put back to what a power cut leaves (synced bytes, and for half the runs a
// random subset of the unsynced writes too), the file is reopened with the
// normal VFS, and every acknowledged write must be there: each acknowledged
// case with all its acknowledged events, events 1..n without gaps, the file
// intact. A quarter of the runs also get an fsync that fails and loses its
// writes before the power cut. With synchronous=NORMAL instead of FULL the
// same harness shows acknowledged writes lost.
//
// MAYDAY_POWER_LOSS_POINTS sets how many crash points the sweep runs
// (default 1000; tools/dev power-loss-test runs more).
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "faulty_vfs.h"
#include "store/store.h"
#include "test_support.h"

namespace mayday::server {
namespace {

using ::mayday::v1::CaseState;
using testing::FaultyVfs;

// Workload size: kBursts rounds of kCasesPerBurst new cases, each with
// kEventsPerCase events, all queued at once so that they share commits.
constexpr int kBursts = 40;
constexpr int kCasesPerBurst = 4;
constexpr int kEventsPerCase = 3;
constexpr size_t kNoteBytes = 500;
// maydayd's writer checkpoints the WAL into the database file every 1,000
// WAL pages (4 MB); the workload forces one every few bursts instead, so
// that a small workload crosses several checkpoints (database writes, its
// fsync, the WAL restarting from its start) and the crashes inside them.
constexpr int kCheckpointEvery = 6;
constexpr CaseState kSteps[] = {mayday::v1::CASE_STATE_ASSIGNED, mayday::v1::CASE_STATE_EN_ROUTE};

// What the workload was told was stored: case id -> highest acknowledged
// sequence.
struct Acknowledged {
  absl::Mutex mu;
  std::map<std::string, int64_t> sequences ABSL_GUARDED_BY(mu);

  void Record(const std::string& id, int64_t sequence) {
    absl::MutexLock lock(&mu);
    int64_t& acked = sequences[id];
    acked = std::max(acked, sequence);
  }
};

// How one run goes wrong besides the power cut.
struct RunPlan {
  StoreOptions::Sync sync = StoreOptions::Sync::kFull;
  int64_t crash_at = 0;         // 0: no power cut during the workload
  int fail_sync_at_burst = -1;  // before this burst the next fsync fails
};

// Copies the WAL into the database file through `vfs`, from a connection
// of its own, as SQLite's automatic checkpoint would. Does nothing once the
// power is cut.
void Checkpoint(const std::string& path, const FaultyVfs& vfs) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, vfs.name().c_str()) == SQLITE_OK) {
    sqlite3_exec(db, "PRAGMA wal_checkpoint(PASSIVE)", nullptr, nullptr, nullptr);
  }
  sqlite3_close_v2(db);
}

// Runs the workload on `path` through `vfs` until it is done or the power is
// cut, then closes the store. Returns the acknowledged writes.
std::map<std::string, int64_t> RunWorkload(const std::string& path, FaultyVfs& vfs,
                                           const RunPlan& plan) {
  vfs.CrashAt(plan.crash_at);
  Acknowledged acked;
  StoreOptions options;
  options.vfs = vfs.name();
  options.synchronous = plan.sync;
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path, options);
  if (!store.ok()) return {};  // the power went while opening: nothing acknowledged
  for (int burst = 0; burst < kBursts && !vfs.power_cut(); ++burst) {
    if (burst == plan.fail_sync_at_burst) vfs.FailSyncs(1);
    absl::BlockingCounter done(kCasesPerBurst * kEventsPerCase);
    for (int c = 0; c < kCasesPerBurst; ++c) {
      const std::string id = absl::StrCat("power-", burst, "-", c);
      mayday::v1::Case snapshot = testing::NewCase(id, absl::StrCat("members/m", c), id);
      snapshot.set_note(std::string(kNoteBytes, 'n'));
      (*store)->Submit(
          [snapshot](WriteTxn& txn) {
            return txn.CreateCase(snapshot, testing::RaisedEvent(snapshot)).status();
          },
          [&acked, &done, id](absl::Status status) {
            if (status.ok()) acked.Record(id, 1);
            done.DecrementCount();
          });
      for (int step = 0; step + 1 < kEventsPerCase; ++step) {
        (*store)->Submit(
            [id, step](WriteTxn& txn) -> absl::Status {
              absl::StatusOr<mayday::v1::Case> current = txn.GetCase(id);
              if (!current.ok()) return current.status();
              auto [next, event] = testing::NextStep(*current, kSteps[step]);
              return txn.AppendEvent(next, event);
            },
            [&acked, &done, id, step](absl::Status status) {
              if (status.ok()) acked.Record(id, step + 2);
              done.DecrementCount();
            });
      }
    }
    done.Wait();
    if (burst % kCheckpointEvery == kCheckpointEvery - 1) Checkpoint(path, vfs);
  }
  store->reset();  // after a power cut SQLite can write nothing on close
  absl::MutexLock lock(&acked.mu);
  return acked.sequences;
}

// What one reopened file shows.
struct Survey {
  int acked_cases = 0;
  int acked_events = 0;
  int lost_events = 0;   // acknowledged, not found
  bool intact = true;    // integrity_check ok and no case with gaps
  bool refused = false;  // Open found the history behind the high-water mark
  std::vector<std::string> problems;
};

// Reopens `path` with the default VFS and checks the acknowledged writes in
// `acked` and the shape of every stored case.
Survey Check(const std::string& path, const std::map<std::string, int64_t>& acked) {
  Survey survey;
  absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(path);
  if (absl::IsDataLoss(opened.status())) {
    survey.refused = true;
    survey.problems.push_back(absl::StrCat("refused: ", opened.status().message()));
    StoreOptions accept;
    accept.accept_data_loss = true;
    opened = Store::Open(path, accept);
  }
  INFO(opened.status());
  REQUIRE(opened.ok());
  std::unique_ptr<Store> store = *std::move(opened);
  for (const auto& [id, sequence] : acked) {
    ++survey.acked_cases;
    survey.acked_events += static_cast<int>(sequence);
    absl::StatusOr<mayday::v1::Case> found = store->GetCase(id);
    const int64_t stored = found.ok() ? found->last_sequence() : 0;
    if (stored < sequence) {
      survey.lost_events += static_cast<int>(sequence - stored);
      survey.problems.push_back(
          absl::StrCat(id, ": acknowledged up to event ", sequence, ", stored up to ", stored));
    }
  }
  // Nothing half-written anywhere: every stored case has exactly its events
  // 1..last_sequence.
  const int64_t broken = testing::QueryInt(
      path,
      "SELECT COUNT(*) FROM cases c WHERE last_sequence != "
      "(SELECT COUNT(*) FROM case_events e WHERE e.case_id = c.id) OR last_sequence != "
      "(SELECT MAX(sequence) FROM case_events e WHERE e.case_id = c.id)");
  if (broken != 0) {
    survey.intact = false;
    survey.problems.push_back(absl::StrCat(broken, " cases with gaps"));
  }
  store.reset();
  if (std::string integrity = testing::CheckIntegrity(path); integrity != "ok") {
    survey.intact = false;
    survey.problems.push_back("integrity: " + integrity);
  }
  return survey;
}

// One run: the workload with `plan`, the power cut, the files put back with
// `seed`, the reopened file surveyed.
// `operations`, if set, gets the writes and syncs the run made, and
// `failed_syncs` how many fsyncs failed before the power cut.
Survey RunAndSurvey(const RunPlan& plan, uint32_t seed, int64_t* operations = nullptr,
                    int64_t* failed_syncs = nullptr) {
  testing::ScratchDir dir;
  const std::string path = dir.File("mayday.db");
  std::map<std::string, int64_t> acked;
  {
    FaultyVfs vfs("mayday-power-loss");
    acked = RunWorkload(path, vfs, plan);
    if (operations != nullptr) *operations = vfs.operations();
    if (failed_syncs != nullptr) *failed_syncs = vfs.syncs_failed();
    vfs.CutPower();  // a run that finished loses power at its end
    vfs.RestoreDurable(seed);
  }
  return Check(path, acked);
}

int CrashPoints() {
  const char* points = std::getenv("MAYDAY_POWER_LOSS_POINTS");
  return points != nullptr && std::atoi(points) > 0 ? std::atoi(points) : 1000;
}

TEST_CASE("No acknowledged write is lost when the power fails at any of 1,000 points",
          "[store][power]") {
  // A run without a crash counts the workload's writes and syncs; the crash
  // points are spread evenly over them.
  int64_t total = 0;
  Survey whole = RunAndSurvey(RunPlan{}, 0, &total);
  INFO("the workload without a crash: " << (whole.problems.empty() ? "" : whole.problems[0]));
  REQUIRE(whole.problems.empty());
  REQUIRE(whole.acked_cases == kBursts * kCasesPerBurst);
  // How commits batch varies from run to run; about 1,400 to 2,000.
  REQUIRE(total > 0);

  const int points = CrashPoints();
  int acked_cases = 0, acked_events = 0, lost_events = 0, failed_runs = 0;
  int runs_with_failed_fsync = 0;
  std::string first_problem;
  for (int i = 0; i < points; ++i) {
    RunPlan plan;
    plan.crash_at = 1 + static_cast<int64_t>(i) * total / points;
    // Odd runs keep a random half of the unsynced writes; one run in four
    // also has an fsync fail (and lose its writes) along the way.
    const uint32_t seed = i % 2 == 1 ? static_cast<uint32_t>(i) : 0;
    if (i % 4 == 2) plan.fail_sync_at_burst = static_cast<int>(plan.crash_at * kBursts / total / 2);
    int64_t failed_syncs = 0;
    Survey survey = RunAndSurvey(plan, seed, nullptr, &failed_syncs);
    if (failed_syncs > 0) ++runs_with_failed_fsync;
    acked_cases += survey.acked_cases;
    acked_events += survey.acked_events;
    lost_events += survey.lost_events;
    if (!survey.problems.empty()) {
      ++failed_runs;
      if (first_problem.empty()) {
        first_problem = absl::StrCat("crash at op ", plan.crash_at, " seed ", seed, ": ",
                                     survey.problems.front());
      }
    }
  }
  WARN("power loss: " << points << " crash points over " << total << " writes and syncs, "
                      << acked_cases << " acknowledged cases (" << acked_events
                      << " events) checked, " << lost_events << " events lost; "
                      << runs_with_failed_fsync << " runs had an fsync fail first");
  INFO(first_problem);
  CHECK(failed_runs == 0);
  CHECK(lost_events == 0);
  CHECK(acked_cases > 0);
  CHECK(runs_with_failed_fsync > 0);
}

TEST_CASE("With synchronous=NORMAL a power cut loses acknowledged writes", "[store][power]") {
  // The reason maydayd runs with FULL: with NORMAL, WAL commits are not
  // fsynced, so everything since the last checkpoint is acknowledged but
  // only in the page cache. The file itself stays intact.
  constexpr int kPoints = 20;
  int lost_events = 0, acked_events = 0, runs_with_loss = 0;
  for (int i = 0; i < kPoints; ++i) {
    RunPlan plan;
    plan.sync = StoreOptions::Sync::kNormal;
    plan.crash_at = 100 + i * 50;
    Survey survey = RunAndSurvey(plan, 0);
    INFO("crash at op " << plan.crash_at);
    CHECK(survey.intact);
    // The high-water mark beside the file tells every such loss, and only
    // those.
    CHECK(survey.refused == (survey.lost_events > 0));
    lost_events += survey.lost_events;
    acked_events += survey.acked_events;
    if (survey.lost_events > 0) ++runs_with_loss;
  }
  WARN("synchronous=NORMAL: " << lost_events << " of " << acked_events
                              << " acknowledged events lost; " << runs_with_loss << " of "
                              << kPoints << " power cuts lost some");
  CHECK(runs_with_loss > kPoints / 2);
}

}  // namespace
}  // namespace mayday::server
