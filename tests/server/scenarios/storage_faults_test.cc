// A real maydayd whose database sits on a failing disk (the FaultyVfs of
// tests/store): when the disk is full or a write or fsync fails, RaiseAlert
// answers UNAVAILABLE with a message that says why and that a retry is safe,
// acknowledges nothing it did not store, keeps serving reads of what it did
// store, and takes alerts again by itself once the disk works again, without
// a restart. Nothing half-written is ever in the file.
#include <catch2/catch.hpp>
#include <string>

#include "faulty_vfs.h"
#include "member_cases.h"
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
