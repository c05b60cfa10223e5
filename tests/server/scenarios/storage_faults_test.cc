// A real maydayd whose database sits on a failing disk (the FaultyVfs of
// tests/store): when the disk is full or a write or fsync fails, RaiseAlert
// answers UNAVAILABLE with a message that says why and that a retry is safe,
// acknowledges nothing it did not store, keeps serving reads of what it did
// store, and takes alerts again by itself once the disk works again, without
// a restart. Nothing half-written is ever in the file.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "faulty_vfs.h"
#include "generic_calls.h"
#include "mayday/base/clock.h"
#include "member_cases.h"
#include "store/store_wrapper.h"
#include "test_server.h"
#include "test_support.h"

namespace mayday::testing {
namespace {

using server::testing::FaultyVfs;

server::StoreOptions On(const FaultyVfs& vfs) {
  server::StoreOptions options;
  options.vfs = vfs.name();
  return options;
}

// Road alerts, unless said otherwise. The first case of each test is
// medical, so that the road alerts after it open a case of their own
// instead of joining it.
grpc::Status Raise(TestServer& server, const std::string& token, const std::string& request_id,
                   mayday::v1::Case* reply,
                   mayday::v1::CaseKind kind = mayday::v1::CASE_KIND_ROAD) {
  return server.Alerts()->RaiseAlert(Call(token).get(), Alert(request_id, kind), reply);
}

// A store whose writer's queue can be held, to make a batch: while held,
// Submit()s wait here, and Release() hands them to the store together while
// the writer is kept busy, so that they are committed (or fail) together.
class HeldStore final : public server::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;

  void Hold() {
    absl::MutexLock lock(&mu_);
    holding_ = true;
  }

  // Waits (real time, bounded) until `jobs` writes are held.
  bool AwaitHeld(size_t jobs) {
    absl::MutexLock lock(&mu_);
    awaited_ = jobs;
    return mu_.AwaitWithTimeout(absl::Condition(this, &HeldStore::HoldsAwaited), absl::Seconds(20));
  }

  // Stops holding and hands the held writes to the store as one batch.
  void Release() {
    std::vector<Held> held;
    {
      absl::MutexLock lock(&mu_);
      holding_ = false;
      held.swap(held_);
    }
    // A job that keeps the writer busy until every held write is queued.
    auto running = std::make_shared<absl::Notification>();
    auto go_on = std::make_shared<absl::Notification>();
    wrapped().Submit(
        [running, go_on](server::WriteTxn&) {
          running->Notify();
          go_on->WaitForNotificationWithTimeout(absl::Seconds(20));
          return absl::OkStatus();
        },
        [](absl::Status) {});
    REQUIRE(running->WaitForNotificationWithTimeout(absl::Seconds(20)));
    for (Held& h : held) wrapped().Submit(std::move(h.job), std::move(h.done));
    go_on->Notify();
  }

  void Submit(server::WriteJob job, server::WriteDone done) override {
    absl::MutexLock lock(&mu_);
    if (!holding_) {
      wrapped().Submit(std::move(job), std::move(done));
      return;
    }
    held_.push_back({std::move(job), std::move(done)});
  }

 private:
  struct Held {
    server::WriteJob job;
    server::WriteDone done;
  };
  bool HoldsAwaited() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return held_.size() >= awaited_; }

  mutable absl::Mutex mu_;
  bool holding_ ABSL_GUARDED_BY(mu_) = false;
  size_t awaited_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Held> held_ ABSL_GUARDED_BY(mu_);
};

// The file holds no case without all its events 1..last_sequence, and
// passes SQLite's integrity check.
void CheckNothingHalfWritten(TestServer& server) {
  CHECK(server::testing::QueryInt(
            server.db_path(),
            "SELECT COUNT(*) FROM cases c WHERE last_sequence != "
            "(SELECT COUNT(*) FROM case_events e WHERE e.case_id = c.id) OR last_sequence != "
            "(SELECT MAX(sequence) FROM case_events e WHERE e.case_id = c.id)") == 0);
  CHECK(server::testing::CheckIntegrity(server.db_path()) == "ok");
}

TEST_CASE("A full disk refuses alerts clearly, keeps reads going and recovers by itself") {
  FaultyVfs vfs("mayday-disk-full");  // outlives the server
  TestServer server(absl::Seconds(30), On(vfs));
  const std::string token = server.Token("member", "alice");
  mayday::v1::Case stored;
  REQUIRE(Raise(server, token, "before-full", &stored, mayday::v1::CASE_KIND_MEDICAL).ok());
  server.server().SettleDispatch();  // no crew: escalated, one more event

  vfs.SetQuota(vfs.UsedBytes());  // not one more byte
  mayday::v1::Case refused;
  for (int attempt = 0; attempt < 3; ++attempt) {
    grpc::Status status = Raise(server, token, "while-full", &refused);
    INFO("attempt " << attempt << ": " << status.error_message());
    CHECK(status.error_code() == grpc::StatusCode::UNAVAILABLE);
    CHECK(status.error_message() ==
          "the server could not store the alert (disk full); retry with the same request_id");
  }
  CHECK(vfs.writes_refused_full() > 0);

  // What was stored is still served: GetCase, ListCases, WatchCase's replay.
  auto alerts = server.Alerts();
  mayday::v1::GetCaseRequest get;
  get.set_name(stored.name());
  mayday::v1::Case found;
  REQUIRE(alerts->GetCase(Call(token).get(), get, &found).ok());
  CHECK(found.last_sequence() >= 1);
  std::vector<mayday::v1::Case> listed = MemberCases(server, token);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].name() == stored.name());
  mayday::v1::WatchCaseRequest watch;
  watch.set_name(stored.name());
  auto context = Call(token, absl::Seconds(5));
  auto reader = alerts->WatchCase(context.get(), watch);
  for (int64_t sequence = 1; sequence <= found.last_sequence(); ++sequence) {
    mayday::v1::CaseEvent event;
    REQUIRE(reader->Read(&event));
    CHECK(event.sequence() == sequence);
  }
  context->TryCancel();
  reader->Finish().IgnoreError();
  CheckNothingHalfWritten(server);

  // Space comes back: the retry is stored, once, without a restart.
  vfs.SetQuota(-1);
  mayday::v1::Case retried;
  grpc::Status status = Raise(server, token, "while-full", &retried);
  INFO(status.error_message());
  REQUIRE(status.ok());
  mayday::v1::Case again;
  REQUIRE(Raise(server, token, "while-full", &again).ok());
  CHECK(again.name() == retried.name());
  CHECK(MemberCases(server, token).size() == 2);
  server.server().SettleDispatch();
  CheckNothingHalfWritten(server);
}

// A retry of a press that is already stored is answered from the stored case
// even when the batch it lands in fails for another job's write (here a new
// alert on a full disk), instead of UNAVAILABLE.
TEST_CASE("A stored alert's retry is answered when its batch fails for another write") {
  FaultyVfs vfs("mayday-shared-batch");  // outlives the server
  HeldStore* held = nullptr;
  TestServer server([&](server::ServerOptions& options) {
    options.store.vfs = vfs.name();
    options.wrap_store = [&](std::unique_ptr<server::Store> store) {
      auto wrapper = std::make_unique<HeldStore>(std::move(store));
      held = wrapper.get();
      return wrapper;
    };
  });
  REQUIRE(held != nullptr);
  const std::string token = server.Token("member", "alice");
  mayday::v1::Case stored;
  REQUIRE(Raise(server, token, "stored", &stored, mayday::v1::CASE_KIND_MEDICAL).ok());
  server.server().SettleDispatch();

  vfs.SetQuota(vfs.UsedBytes());  // not one more byte
  held->Hold();
  mayday::v1::Case retried;
  mayday::v1::Case refused;
  grpc::Status retried_status;
  grpc::Status refused_status;
  std::thread retry([&] {
    retried_status = Raise(server, token, "stored", &retried, mayday::v1::CASE_KIND_MEDICAL);
  });
  std::thread fresh([&] { refused_status = Raise(server, token, "new", &refused); });
  REQUIRE(held->AwaitHeld(2));
  held->Release();
  retry.join();
  fresh.join();

  CHECK(refused_status.error_code() == grpc::StatusCode::UNAVAILABLE);  // the batch failed
  INFO(retried_status.error_message());
  REQUIRE(retried_status.ok());
  CHECK(retried.name() == stored.name());
  CHECK(MemberCases(server, token).size() == 1);
  vfs.SetQuota(-1);
  CheckNothingHalfWritten(server);
}

// A file maydayd cannot write (permissions, an immutable file, a read-only
// file system) opens read-only without an error from SQLite; it used to
// start, say SERVING and fail every alert. The VFS opens the file read-only
// as SQLite's own does when the process may not write it.
TEST_CASE("maydayd refuses to start on a database file it cannot write, in one line") {
  FaultyVfs vfs("mayday-read-only");
  TempDir dir;
  server::ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.db_path = (dir.path() / "mayday.db").string();
  options.store.vfs = vfs.name();
  {
    auto first = server::Server::Start(options);  // creates the file
    REQUIRE(first.ok());
  }
  vfs.SetReadOnly(true);
  auto started = server::Server::Start(options);
  REQUIRE_FALSE(started.ok());
  const std::string message(started.status().message());
  INFO(message);
  CHECK(started.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(message, Catch::StartsWith("cannot open the store at " + options.db_path +
                                        ": the file is not writable"));
  CHECK(message.find('\n') == std::string::npos);
}

// Health says whether the server can store alerts: NOT_SERVING from the
// first write the file refuses, for the server and each of its services,
// SERVING again once one succeeds, the writer's own probe included (so
// that no traffic is needed to notice). For each way a disk refuses.
TEST_CASE("Health is NOT_SERVING while the file takes no writes, SERVING once it does") {
  struct Cause {
    const char* name;
    void (*fail)(FaultyVfs&);
    void (*heal)(FaultyVfs&);
  };
  const Cause cause =
      GENERATE(Cause{"I/O error", [](FaultyVfs& vfs) { vfs.FailWrites(1'000'000); },
                     [](FaultyVfs& vfs) { vfs.FailWrites(0); }},
               Cause{"disk full", [](FaultyVfs& vfs) { vfs.SetQuota(vfs.UsedBytes()); },
                     [](FaultyVfs& vfs) { vfs.SetQuota(-1); }});
  INFO(cause.name);
  constexpr absl::Duration kProbe = absl::Milliseconds(1300);  // no other wait has it
  base::ManualClock clock(absl::Now());
  FaultyVfs vfs("mayday-health");
  TestServer server([&](server::ServerOptions& options) {
    options.clock = &clock;
    options.store.vfs = vfs.name();
    options.store.probe_interval = kProbe;
  });
  // Tokens are written too: made while the file takes writes.
  const std::string m1 = server.Token("member", "m1");
  const std::string m2 = server.Token("member", "m2");
  const std::string m3 = server.Token("member", "m3");
  HealthWatch health(server);
  HealthWatch alerts(server, "mayday.v1.AlertService");
  CHECK(health.Next() == HealthWatch::kServing);
  CHECK(alerts.Next() == HealthWatch::kServing);
  mayday::v1::Case reply;
  REQUIRE(Raise(server, m1, "before", &reply).ok());
  server.server().SettleDispatch();  // dispatch's writes for it are done

  cause.fail(vfs);  // every write fails from now on
  CHECK(Raise(server, m2, "failing", &reply).error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(health.Next() == HealthWatch::kNotServing);
  CHECK(alerts.Next() == HealthWatch::kNotServing);
  for (const char* service :
       {"mayday.v1.ResponderService", "mayday.v1.OperatorService", "mayday.dispatch"}) {
    INFO(service);
    CHECK(HealthCheck(server, service) == HealthWatch::kNotServing);
  }

  // The writer tries a write of its own each probe interval; while it fails
  // nothing changes.
  REQUIRE(clock.AwaitWaiter(clock.Now() + kProbe));
  clock.Advance(kProbe);
  REQUIRE(clock.AwaitWaiter(clock.Now() + kProbe));  // probed, failed, waits again

  // The disk is back: the next probe succeeds, with no alert sent.
  cause.heal(vfs);
  clock.Advance(kProbe);
  CHECK(health.Next() == HealthWatch::kServing);
  CHECK(alerts.Next() == HealthWatch::kServing);
  CHECK(HealthCheck(server, "mayday.v1.ResponderService") == HealthWatch::kServing);
  REQUIRE(Raise(server, m3, "after", &reply).ok());
}

TEST_CASE("A failed write or fsync is not acknowledged and the next alert is stored") {
  // After a failed fsync SQLite rolls the transaction back and the next
  // commit rewrites its WAL frames and syncs them again; the connection
  // needs no reopening (tests/server/store/power_loss_test.cc checks that what is
  // acknowledged after such a failure survives power loss).
  struct Fault {
    const char* name;
    void (*inject)(FaultyVfs&);
  };
  const Fault fault = GENERATE(Fault{"fsync fails", [](FaultyVfs& vfs) { vfs.FailSyncs(1); }},
                               Fault{"write fails", [](FaultyVfs& vfs) { vfs.FailWrites(1); }});
  INFO(fault.name);
  FaultyVfs vfs("mayday-io-error");
  TestServer server(absl::Seconds(30), On(vfs));
  const std::string token = server.Token("member", "alice");
  mayday::v1::Case first;
  REQUIRE(Raise(server, token, "first", &first, mayday::v1::CASE_KIND_MEDICAL).ok());
  server.server().SettleDispatch();  // dispatch writes nothing more after this

  fault.inject(vfs);
  mayday::v1::Case refused;
  grpc::Status status = Raise(server, token, "second", &refused);
  CHECK(status.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(status.error_message() ==
        "the server could not store the alert (I/O error); retry with the same request_id");
  std::vector<mayday::v1::Case> listed = MemberCases(server, token);
  REQUIRE(listed.size() == 1);  // the refused alert is nowhere to be seen
  CHECK(listed[0].name() == first.name());

  mayday::v1::Case second;
  status = Raise(server, token, "second", &second);
  INFO(status.error_message());
  REQUIRE(status.ok());
  CHECK(MemberCases(server, token).size() == 2);
  server.server().SettleDispatch();
  CheckNothingHalfWritten(server);

  // And it stays stored: a restarted server has both, once each.
  server.Restart();
  CHECK(MemberCases(server, token).size() == 2);
  mayday::v1::Case retried;
  REQUIRE(Raise(server, token, "second", &retried).ok());
  CHECK(retried.name() == second.name());
}

}  // namespace
}  // namespace mayday::testing
