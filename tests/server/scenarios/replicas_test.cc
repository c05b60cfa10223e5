// Three maydayd replicas on one PostgreSQL database (issue: past one
// machine), in-process over real gRPC: a case raised on one replica is
// watched, step by step, on another, while the replica that holds dispatch
// offers it to its crew; when the holder stops, a standby takes dispatch
// over and places the next alert, including one raised while nobody held
// it; a token revoked through one replica ends its streams on the others;
// a standby answers a crew's calls UNAVAILABLE, naming why.
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

// The replica that holds dispatch, waiting (real time) up to `timeout`.
TestServer* AwaitHolder(const std::vector<TestServer*>& replicas,
                        absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    for (TestServer* replica : replicas) {
      if (replica->server().Dispatching()) return replica;
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

  // A standby sends a crew to the replica that dispatches.
  {
    Crew misplaced(*standby[0], "tow-elsewhere");
    const grpc::Status refused = misplaced.GoOnDuty(v1::CAPABILITY_TOW, 52.37, 4.90);
    CHECK(refused.error_code() == grpc::StatusCode::UNAVAILABLE);
    CHECK(absl::StrContains(refused.error_message(),
                            "another replica of this database runs "
                            "dispatch"));
  }

  Crew crew(*holder, "tow-1");
  REQUIRE(crew.GoOnDuty(v1::CAPABILITY_TOW, 52.37, 4.90).ok());
  crew.Subscribe();

  // Raised through one standby, watched through the other.
  const std::string alice = a.Token("member", "alice");
  v1::Case opened;
  REQUIRE(standby[0]->Alerts()->RaiseAlert(Call(alice).get(), Alert("press-1"), &opened).ok());
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
  CHECK(seen[2].has_assigned());
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

TEST_CASE("Replicas: when the dispatch holder stops, a standby takes over and dispatches") {
  const std::string uri = NewTestDatabase();
  auto a = std::make_unique<TestServer>(OnDatabase(uri));
  auto b = std::make_unique<TestServer>(OnDatabase(uri));
  auto c = std::make_unique<TestServer>(OnDatabase(uri));
  std::vector<TestServer*> replicas = {a.get(), b.get(), c.get()};
  TestServer* holder = AwaitHolder(replicas);
  REQUIRE(holder != nullptr);
  std::vector<TestServer*> left = Others(replicas, holder);
  const std::string alice = left[0]->Token("member", "alice");

  const absl::Time stopped = absl::Now();
  for (auto* owner : {&a, &b, &c}) {
    if (owner->get() == holder) owner->reset();
  }
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
