// Three maydayd replicas on one PostgreSQL database (issue: past one
// machine), in-process over real gRPC: a case raised on one replica is
// watched, step by step, on another, while a crew connected to the third
// (a standby: its calls are relayed to the replica that holds dispatch) is
// offered it and accepts; a care agent on a standby sees and acts on
// dispatch as on the holder; when the holder stops, a standby takes
// dispatch over and places the next alert, including one raised while
// nobody held it, and a crew on a standby follows it there; a token
// revoked through one replica ends its streams on the others; a fleet's
// feed on a standby reaches the holder.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/token.h"
#include "crew.h"
#include "mayday/sdk/client.h"
#include "test_certificates.h"
#include "test_postgres.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

std::function<void(server::ServerOptions&)> OnDatabase(const std::string& uri) {
  return [uri](server::ServerOptions& options) {
    options.db_path = uri;
    // Quick hand-overs for the test (maydayd's default lease is 2 s).
    options.lease.ttl = absl::Milliseconds(800);
    options.lease.renew_every = absl::Milliseconds(100);
  };
}

// The replica that holds dispatch, once every one of `replicas` knows where
// it is reached (so that the standbys relay to it), waiting (real time) up
// to `timeout`.
TestServer* AwaitHolder(const std::vector<TestServer*>& replicas,
                        absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    for (TestServer* replica : replicas) {
      if (!replica->server().Dispatching()) continue;
      const std::optional<std::string> address = replica->server().DispatchAddress();
      bool known = address.has_value();
      for (TestServer* other : replicas) {
        known = known && other->server().DispatchAddress() == address;
      }
      if (known) return replica;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return nullptr;
}

std::vector<TestServer*> Others(const std::vector<TestServer*>& replicas, TestServer* but) {
  std::vector<TestServer*> others;
  for (TestServer* replica : replicas) {
    if (replica != but) others.push_back(replica);
  }
  return others;
}

// Three replicas on a new database, each of which a test may stop.
struct ThreeReplicas {
  ThreeReplicas() {
    for (int i = 0; i < 3; ++i) owned.push_back(std::make_unique<TestServer>(OnDatabase(uri)));
  }
  std::vector<TestServer*> all() const {
    std::vector<TestServer*> out;
    for (const auto& replica : owned) out.push_back(replica.get());
    return out;
  }
  // Stops `replica` (a clean stop: its lease ends at once).
  void Stop(TestServer* replica) {
    for (auto& owner : owned) {
      if (owner.get() == replica) owner.reset();
    }
  }

  const std::string uri = NewTestDatabase();
  std::vector<std::unique_ptr<TestServer>> owned;
};

TEST_CASE("Replicas: raised on one, watched on another, dispatched by the holder's crew") {
  const std::string uri = NewTestDatabase();
  TestServer a(OnDatabase(uri)), b(OnDatabase(uri)), c(OnDatabase(uri));
  const std::vector<TestServer*> replicas = {&a, &b, &c};
  TestServer* holder = AwaitHolder(replicas);
  REQUIRE(holder != nullptr);
  int holders = 0;
  for (TestServer* replica : replicas) holders += replica->server().Dispatching() ? 1 : 0;
  CHECK(holders == 1);
  const std::vector<TestServer*> standby = Others(replicas, holder);

  // The crew on one standby: its duty, position, stream and answers go
  // through it to the holder.
  Crew crew(*standby[0], "tow-1");
  REQUIRE(crew.GoOnDuty(v1::CAPABILITY_TOW, 52.37, 4.90).ok());
  crew.Subscribe();

  // Raised through the holder, watched through the other standby.
  const std::string alice = a.Token("member", "alice");
  v1::Case opened;
  REQUIRE(holder->Alerts()->RaiseAlert(Call(alice).get(), Alert("press-1"), &opened).ok());
  auto offer = crew.NextOffer();
  REQUIRE(offer.has_value());
  CHECK(offer->case_() == opened.name());
  REQUIRE(crew.Accept(opened.name()).ok());
  REQUIRE(crew.Progress(opened.name(), v1::CASE_STATE_EN_ROUTE).ok());
  REQUIRE(crew.Progress(opened.name(), v1::CASE_STATE_ON_SCENE).ok());
  REQUIRE(crew.Progress(opened.name(), v1::CASE_STATE_RESOLVED).ok());

  const std::vector<v1::CaseEvent> seen = WatchTimeline(*standby[1], alice, opened.name(), 6);
  REQUIRE(seen.size() == 6);
  for (size_t i = 0; i < seen.size(); ++i) CHECK(seen[i].sequence() == static_cast<int64_t>(i + 1));
  CHECK(seen[0].has_raised());
  CHECK(seen[1].has_offered());
  CHECK(seen[1].offered().responder() == "responders/tow-1");
  CHECK(seen[2].has_assigned());
  CHECK(seen[3].state() == v1::CASE_STATE_EN_ROUTE);
  CHECK(seen[4].state() == v1::CASE_STATE_ON_SCENE);
  CHECK(seen[5].state() == v1::CASE_STATE_RESOLVED);

  // Live, not only replayed: an operator's WatchCases on a standby sees a
  // message posted through the other standby, once.
  const std::string agent = a.Token("operator", "desk-1");
  auto feed_context = Call(agent, absl::Seconds(10));
  auto feed = standby[1]->Operators()->WatchCases(feed_context.get(), v1::WatchCasesRequest());
  feed->WaitForInitialMetadata();
  v1::Case second;
  REQUIRE(standby[0]
              ->Alerts()
              ->RaiseAlert(Call(alice).get(), Alert("press-2", v1::CASE_KIND_MEDICAL), &second)
              .ok());
  v1::CaseEvent event;
  REQUIRE(feed->Read(&event));
  CHECK(event.case_() == second.name());
  CHECK(event.sequence() == 1);
  CHECK(event.has_raised());
  feed_context->TryCancel();
}

TEST_CASE("Replicas: a standby relays crews' and care agents' dispatch calls to the holder") {
  const std::string uri = NewTestDatabase();
  TestServer a(OnDatabase(uri)), b(OnDatabase(uri));
  TestServer* holder = AwaitHolder({&a, &b});
  REQUIRE(holder != nullptr);
  TestServer& standby = holder == &a ? b : a;
  Crew crew(standby, "amb-1");
  REQUIRE(crew.GoOnDuty(v1::CAPABILITY_AMBULANCE, 52.37, 4.90).ok());
  crew.Subscribe();
  const std::string agent = a.Token("operator", "desk-1");

  SECTION("the desk on the standby sees and moves the holder's dispatch") {
    v1::ListRespondersResponse listed;
    REQUIRE(standby.Operators()
                ->ListResponders(Call(agent).get(), v1::ListRespondersRequest(), &listed)
                .ok());
    REQUIRE(listed.responders_size() == 1);
    CHECK(listed.responders(0).name() == "responders/amb-1");
    v1::GetResponderRequest get;
    get.set_name("responders/nobody");
    v1::Responder found;
    const grpc::Status missing = standby.Operators()->GetResponder(Call(agent).get(), get, &found);
    CHECK(missing.error_code() == grpc::StatusCode::NOT_FOUND);
    CHECK(absl::StrContains(missing.error_message(), "responders/nobody not found"));

    // Held by the desk through the standby: dispatch offers it to nobody.
    const std::string alice = a.Token("member", "alice");
    v1::Case opened;
    REQUIRE(standby.Alerts()
                ->RaiseAlert(Call(alice).get(), Alert("press-1", v1::CASE_KIND_MEDICAL), &opened)
                .ok());
    auto offer = crew.NextOffer();
    REQUIRE(offer.has_value());
    REQUIRE(crew.Decline(opened.name()).ok());
    v1::TakeCaseRequest take;
    take.set_name(opened.name());
    v1::Case taken;
    REQUIRE(standby.Operators()->TakeCase(Call(agent).get(), take, &taken).ok());
    v1::AssignCaseRequest assign;
    assign.set_name(opened.name());
    assign.set_responder("responders/amb-1");
    v1::Case assigned;
    const grpc::Status done = standby.Operators()->AssignCase(Call(agent).get(), assign, &assigned);
    INFO(done.error_message());
    REQUIRE(done.ok());
    CHECK(assigned.state() == v1::CASE_STATE_ASSIGNED);
    CHECK(assigned.responder() == "responders/amb-1");
    // The holder wrote the desk's audit entries, under the agent's name.
    v1::ListAuditEntriesRequest audit;
    v1::ListAuditEntriesResponse entries;
    const std::string admin = a.Token("admin", "boss");
    REQUIRE(holder->Operators()->ListAuditEntries(Call(admin).get(), audit, &entries).ok());
    int desk_actions = 0;
    for (const auto& entry : entries.entries()) {
      if (entry.action() == "case.take" || entry.action() == "case.assign") {
        ++desk_actions;
        CHECK(entry.actor() == "operators/desk-1");
      }
    }
    CHECK(desk_actions == 2);
  }

  SECTION("bad input is refused on the standby, and a relayed call is never relayed again") {
    CHECK(crew.Report({{91.0, 4.9}}).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    v1::TakeCaseRequest take;
    take.set_name("cases/");
    v1::Case taken;
    CHECK(standby.Operators()->TakeCase(Call(agent).get(), take, &taken).error_code() ==
          grpc::StatusCode::INVALID_ARGUMENT);
    // A call marked as relayed, as another replica would send it.
    auto marked = Call(agent);
    marked->AddMetadata("x-mayday-relayed", "1");
    v1::ListRespondersResponse listed;
    const grpc::Status refused =
        standby.Operators()->ListResponders(marked.get(), v1::ListRespondersRequest(), &listed);
    CHECK(refused.error_code() == grpc::StatusCode::UNAVAILABLE);
    CHECK(absl::StrContains(refused.error_message(), "dispatch is changing hands"));
    // The same mark on the holder: served there.
    auto on_holder = Call(agent);
    on_holder->AddMetadata("x-mayday-relayed", "1");
    CHECK(holder->Operators()
              ->ListResponders(on_holder.get(), v1::ListRespondersRequest(), &listed)
              .ok());
  }

  SECTION("a fleet feed on the standby reaches the holder's dispatch, checked on the way") {
    const std::string feed = a.Token("fleet", "amb");
    auto send = [&](const std::vector<std::pair<std::string, double>>& positions) {
      auto context = Call(feed);
      v1::ReportPositionsResponse summary;
      auto writer = standby.Fleets()->ReportPositions(context.get(), &summary);
      v1::ReportPositionsRequest batch;
      for (const auto& [responder, latitude] : positions) {
        v1::FleetPosition* p = batch.add_positions();
        p->set_responder(responder);
        p->mutable_location()->set_latitude(latitude);
        p->mutable_location()->set_longitude(4.90);
      }
      writer->Write(batch);
      writer->WritesDone();
      const grpc::Status status = writer->Finish();
      return std::make_pair(status, summary);
    };
    const auto [status, summary] = send({{"responders/amb-1", 52.40}, {"responders/amb-2", 52.41}});
    INFO(status.error_message());
    REQUIRE(status.ok());
    CHECK(summary.accepted_count() == 1);  // the holder's count: amb-2 was never on duty
    CHECK(summary.skipped_count() == 1);
    v1::GetResponderRequest get;
    get.set_name("responders/amb-1");
    v1::Responder seen;
    REQUIRE(holder->Operators()->GetResponder(Call(agent).get(), get, &seen).ok());
    CHECK(seen.location().latitude() == Approx(52.40));
    // Refused on the standby, naming the position; nothing reaches the holder.
    const auto [outside, unused] = send({{"responders/amb-1", 52.42}, {"responders/tow-1", 52.43}});
    CHECK(outside.error_code() == grpc::StatusCode::PERMISSION_DENIED);
    CHECK(absl::StrContains(outside.error_message(), "positions[1]: responders/tow-1"));
    REQUIRE(holder->Operators()->GetResponder(Call(agent).get(), get, &seen).ok());
    CHECK(seen.location().latitude() == Approx(52.40));
  }

  SECTION("a relayed call is still the caller's: no token, no dispatch") {
    Crew stranger(standby, "tow-x", nullptr, "not-a-token");
    CHECK(stranger.GoOnDuty(v1::CAPABILITY_TOW, 52.37, 4.90).error_code() ==
          grpc::StatusCode::UNAUTHENTICATED);
    const std::string alice = a.Token("member", "alice");
    v1::ListRespondersResponse listed;
    CHECK(standby.Operators()
              ->ListResponders(Call(alice).get(), v1::ListRespondersRequest(), &listed)
              .error_code() == grpc::StatusCode::PERMISSION_DENIED);
  }
}

TEST_CASE("Replicas over mutual TLS: a standby relays with its own certificate") {
  TestCa ca("Mayday test CA");
  TestCa stranger("Some other CA");
  const Issued replica = ca.IssueReplica("maydayd.test");
  const Issued device = ca.IssueClient("unit-7");
  TempDir files;
  server::ServerTlsOptions tls;
  tls.cert_file = WriteTextFile(files.path() / "replica.pem", replica.cert_pem);
  tls.key_file = WriteTextFile(files.path() / "replica.key", replica.key_pem);
  tls.client_ca_file = WriteTextFile(files.path() / "ca.pem", ca.cert_pem());
  tls.peer_ca_file = tls.client_ca_file;
  const std::string uri = NewTestDatabase();
  const auto on_tls = [&](const server::ServerTlsOptions& with) {
    return [&uri, with](server::ServerOptions& options) {
      OnDatabase(uri)(options);
      options.tls = with;
    };
  };
  auto a = std::make_unique<TestServer>(on_tls(tls));
  TestServer* holder = AwaitHolder({a.get()});
  REQUIRE(holder != nullptr);
  const auto device_channel = [&](const TestServer& to) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ca.cert_pem();
    ssl.pem_cert_chain = device.cert_pem;
    ssl.pem_private_key = device.key_pem;
    return grpc::CreateChannel(to.address(), grpc::SslCredentials(ssl));
  };

  SECTION("the replicas trust each other's CA: the crew on the standby is dispatched") {
    TestServer standby(on_tls(tls));
    REQUIRE(AwaitHolder({a.get(), &standby}) == a.get());
    Crew crew(standby, "unit-7", device_channel(standby));
    const grpc::Status on = crew.GoOnDuty(v1::CAPABILITY_TOW, 52.37, 4.90);
    INFO(on.error_message());
    REQUIRE(on.ok());
    crew.Subscribe();
    const std::string alice = a->Token("member", "alice");
    v1::Case opened;
    grpc::SslCredentialsOptions phone;
    phone.pem_root_certs = ca.cert_pem();
    auto alerts =
        v1::AlertService::NewStub(grpc::CreateChannel(a->address(), grpc::SslCredentials(phone)));
    REQUIRE(alerts->RaiseAlert(Call(alice).get(), Alert("tls-1"), &opened).ok());
    auto offer = crew.NextOffer();
    REQUIRE(offer.has_value());
    CHECK(offer->case_() == opened.name());
    REQUIRE(crew.Accept(opened.name()).ok());
  }

  SECTION("a standby that does not trust the holder's CA relays nothing, and says why") {
    server::ServerTlsOptions wrong = tls;
    wrong.peer_ca_file = WriteTextFile(files.path() / "stranger.pem", stranger.cert_pem());
    TestServer standby(on_tls(wrong));
    REQUIRE(AwaitHolder({a.get(), &standby}) == a.get());
    Crew crew(standby, "unit-7", device_channel(standby));
    const grpc::Status refused = crew.GoOnDuty(v1::CAPABILITY_TOW, 52.37, 4.90);
    INFO(refused.error_message());
    CHECK(refused.error_code() == grpc::StatusCode::UNAVAILABLE);
    CHECK(absl::StrContains(refused.error_message(), "the replica that dispatches (127.0.0.1:"));
  }
}

TEST_CASE("Replicas: a crew on a standby follows dispatch to its next holder") {
  ThreeReplicas replicas;
  TestServer* holder = AwaitHolder(replicas.all());
  REQUIRE(holder != nullptr);
  std::vector<TestServer*> left = Others(replicas.all(), holder);
  // The crew stays on left[1] throughout; left[0] raises the alert.
  Crew crew(*left[1], "tow-3");
  REQUIRE(crew.GoOnDuty(v1::CAPABILITY_TOW, 52.37, 4.90).ok());
  crew.Subscribe();
  replicas.Stop(holder);
  REQUIRE(AwaitHolder(left) != nullptr);
  // The new holder rebuilt dispatch from the store, where crews' duty is
  // not: the crew goes on duty again, as the apps do when their stream
  // ends, through the same replica.
  grpc::Status back = crew.GoOnDuty(v1::CAPABILITY_TOW, 52.37, 4.90);
  for (int i = 0; i < 50 && !back.ok(); ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    back = crew.GoOnDuty(v1::CAPABILITY_TOW, 52.37, 4.90);
  }
  INFO(back.error_message());
  REQUIRE(back.ok());
  crew.Subscribe();
  const std::string alice = left[0]->Token("member", "alice");
  v1::Case opened;
  REQUIRE(left[0]->Alerts()->RaiseAlert(Call(alice).get(), Alert("after"), &opened).ok());
  auto offer = crew.NextOffer();
  REQUIRE(offer.has_value());
  CHECK(offer->case_() == opened.name());
  REQUIRE(crew.Accept(opened.name()).ok());
}

TEST_CASE("Replicas: when the dispatch holder stops, a standby takes over and dispatches") {
  ThreeReplicas replicas;
  TestServer* holder = AwaitHolder(replicas.all());
  REQUIRE(holder != nullptr);
  std::vector<TestServer*> left = Others(replicas.all(), holder);
  const std::string alice = left[0]->Token("member", "alice");

  const absl::Time stopped = absl::Now();
  replicas.Stop(holder);
  // Raised while nobody may dispatch yet: the next holder finds it in the
  // store when it takes over.
  v1::Case waiting;
  REQUIRE(
      left[0]->Alerts()->RaiseAlert(Call(alice).get(), Alert("while-handing-over"), &waiting).ok());
  TestServer* next = AwaitHolder(left);
  REQUIRE(next != nullptr);
  const absl::Duration hand_over = absl::Now() - stopped;
  INFO("dispatch handed over in " << hand_over);
  CHECK(hand_over < absl::Seconds(5));

  Crew crew(*next, "tow-2");
  REQUIRE(crew.GoOnDuty(v1::CAPABILITY_TOW, 52.37, 4.90).ok());
  crew.Subscribe();
  auto offer = crew.NextOffer();
  REQUIRE(offer.has_value());
  CHECK(offer->case_() == waiting.name());
  REQUIRE(crew.Accept(waiting.name()).ok());
}

TEST_CASE("Replicas: a token revoked through one replica ends its streams on another") {
  const std::string uri = NewTestDatabase();
  TestServer a(OnDatabase(uri)), b(OnDatabase(uri));
  const std::string admin = a.Token("admin", "boss");
  const std::string agent = a.Token("operator", "desk-1");

  auto feed_context = Call(agent, absl::Seconds(30));
  auto feed = b.Operators()->WatchCases(feed_context.get(), v1::WatchCasesRequest());
  feed->WaitForInitialMetadata();

  v1::RevokeTokenRequest request;
  request.set_name("tokens/" + server::TokenId(server::HashToken(agent)));
  v1::Token revoked;
  REQUIRE(a.Operators()->RevokeToken(Call(admin).get(), request, &revoked).ok());
  const absl::Time start = absl::Now();
  v1::CaseEvent ignored;
  while (feed->Read(&ignored)) {
  }
  const grpc::Status ended = feed->Finish();
  const absl::Duration took = absl::Now() - start;
  INFO("ended after " << took << ": " << ended.error_message());
  CHECK(ended.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(took < absl::Seconds(1));

  // And it opens nothing new there.
  v1::ListAllCasesRequest list;
  v1::ListCasesResponse listed;
  CHECK(b.Operators()->ListCases(Call(agent).get(), list, &listed).error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);
}

TEST_CASE("Replicas: an SDK client given every replica's address skips one that is gone") {
  const std::string uri = NewTestDatabase();
  auto a = std::make_unique<TestServer>(OnDatabase(uri));
  auto b = std::make_unique<TestServer>(OnDatabase(uri));
  const std::string alice = a->Token("member", "alice");
  sdk::ClientOptions options;
  options.server = absl::StrCat("ipv4:", a->address(), ",", b->address());
  options.token = alice;
  options.call_timeout = absl::Seconds(5);
  auto client = sdk::Client::Create(options);
  REQUIRE(client.ok());
  sdk::Alert alert;
  alert.kind = v1::CASE_KIND_ROAD;
  alert.latitude = 52.37;
  alert.longitude = 4.90;
  absl::StatusOr<v1::Case> raised = (*client)->RaiseAlert(alert);
  REQUIRE(raised.ok());
  for (int i = 0; i < 10; ++i) CHECK((*client)->GetCase(raised->name()).ok());

  a.reset();  // the first address gone: its connections close
  absl::SleepFor(absl::Milliseconds(500));
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<v1::Case> got = (*client)->GetCase(raised->name());
    INFO("call " << i << ": " << got.status().ToString());
    CHECK(got.ok());
  }
}

}  // namespace
}  // namespace mayday::testing
