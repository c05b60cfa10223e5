// A token that stops being valid stops everything it holds (auth/
// token_sessions.h): outside testers watched an operator's WatchCases keep
// delivering new alerts after `maydayctl tokens revoke`, a member's
// WatchCase go on, and a revoked crew be offered the next case, which then
// waited the whole offer timeout.
#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "api/proto_time.h"
#include "auth/token.h"
#include "crew.h"
#include "mayday/base/clock.h"
#include "store/store.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

// How long a revocation may take to end a stream: the issue's bound.
constexpr absl::Duration kWithin = absl::Seconds(1);

void Revoke(TestServer& server, const std::string& admin, const std::string& secret) {
  v1::RevokeTokenRequest request;
  request.set_name("tokens/" + server::TokenId(server::HashToken(secret)));
  v1::Token revoked;
  grpc::Status status = server.Operators()->RevokeToken(Call(admin).get(), request, &revoked);
  INFO(status.error_message());
  REQUIRE(status.ok());
  CHECK(revoked.revoked());
}

// Reads `reader` until its end; the time that took and its status.
template <typename Message, typename Reader>
std::pair<absl::Duration, grpc::Status> ReadToEnd(Reader& reader) {
  const absl::Time start = absl::Now();
  Message message;
  while (reader->Read(&message)) {
  }
  return {absl::Now() - start, reader->Finish()};
}

// A medical alert of `member`, which dispatch offers to `crew` first.
v1::Case OfferedTo(TestServer& server, const std::string& member, const std::string& request_id,
                   Crew& crew) {
  v1::Case opened;
  REQUIRE(server.Alerts()
              ->RaiseAlert(Call(member).get(), Alert(request_id, v1::CASE_KIND_MEDICAL), &opened)
              .ok());
  auto offer = crew.NextOffer();
  REQUIRE(offer.has_value());
  REQUIRE(offer->case_() == opened.name());
  return opened;
}

TEST_CASE("A revoked token ends the operator's and the member's streams within a second") {
  TestServer server;
  const std::string admin = server.Token("admin", "boss");
  const std::string agent = server.Token("operator", "desk-1");
  const std::string alice = server.Token("member", "alice");
  v1::Case opened;
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("r1"), &opened).ok());

  auto feed_context = Call(agent, absl::Seconds(30));
  auto feed = server.Operators()->WatchCases(feed_context.get(), v1::WatchCasesRequest());
  feed->WaitForInitialMetadata();
  v1::WatchCaseRequest watch;
  watch.set_name(opened.name());
  auto watch_context = Call(alice, absl::Seconds(30));
  auto timeline = server.Alerts()->WatchCase(watch_context.get(), watch);
  timeline->WaitForInitialMetadata();

  Revoke(server, admin, agent);
  auto [feed_took, feed_status] = ReadToEnd<v1::CaseEvent>(feed);
  INFO("WatchCases ended after " << feed_took << ": " << feed_status.error_message());
  CHECK(feed_status.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(feed_status.error_message() == "the token was revoked: ask for a new one");
  CHECK(feed_took < kWithin);

  // The member's stream goes on until the member's token is revoked.
  Revoke(server, admin, alice);
  auto [watch_took, watch_status] = ReadToEnd<v1::CaseEvent>(timeline);
  INFO("WatchCase ended after " << watch_took << ": " << watch_status.error_message());
  CHECK(watch_status.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(watch_took < kWithin);

  // And the revoked tokens open nothing new.
  auto again_context = Call(agent, absl::Seconds(5));
  auto again = server.Operators()->WatchCases(again_context.get(), v1::WatchCasesRequest());
  auto [again_took, again_status] = ReadToEnd<v1::CaseEvent>(again);
  CHECK(again_status.error_code() == grpc::StatusCode::UNAUTHENTICATED);
}

TEST_CASE("A revoked crew leaves dispatch: its offer goes to the next crew at once") {
  TestServer server;  // offers time out after 30 s
  const std::string admin = server.Token("admin", "boss");
  const std::string alice = server.Token("member", "alice");
  Crew near(server, "amb-near");
  Crew far(server, "amb-far");
  REQUIRE(near.GoOnDuty(v1::CAPABILITY_AMBULANCE, 52.3680, 4.9040).ok());
  REQUIRE(far.GoOnDuty(v1::CAPABILITY_AMBULANCE, 52.3780, 4.9040).ok());
  near.Subscribe();
  far.Subscribe();
  const v1::Case opened = OfferedTo(server, alice, "r2", near);

  const absl::Time revoked_at = absl::Now();
  Revoke(server, admin, near.token());
  // The next crew gets the case now, not after the 30 s offer timeout.
  auto next = far.NextOffer(absl::Seconds(5));
  const absl::Duration took = absl::Now() - revoked_at;
  REQUIRE(next.has_value());
  CHECK(next->case_() == opened.name());
  INFO("offered on after " << took);
  CHECK(took < kWithin);
  // The revoked crew's answer is refused.
  CHECK(near.Accept(opened.name()).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(far.Accept(opened.name()).ok());
}

// A token made to expire (`maydayctl tokens create --expires-in`) is refused
// from its expiry on, as a revoked one, and what it holds ends then: the
// clock is the test's, so "then" is exact.
TEST_CASE("An expired token ends its streams at its expiry and its crew leaves dispatch") {
  constexpr absl::Duration kValid = absl::Minutes(10);
  // A whole second: the store keeps times to the microsecond.
  base::ManualClock clock(absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now())));
  TestServer server([&](server::ServerOptions& options) {
    options.clock = &clock;
    // Neither the offer nor the crews' positions lapse before the token.
    options.dispatch.offer_timeout = absl::Hours(1);
    options.dispatch.max_position_age = absl::Hours(1);
  });
  const std::string admin = server.Token("admin", "boss");
  const auto issue = [&](v1::Role role, const std::string& subject) {
    v1::CreateTokenRequest request;
    request.set_role(role);
    request.set_subject(subject);
    request.mutable_expires_in()->set_seconds(absl::ToInt64Seconds(kValid));
    v1::CreateTokenResponse created;
    REQUIRE(server.Operators()->CreateToken(Call(admin).get(), request, &created).ok());
    CHECK(server::FromProtoTime(created.token().expire_time()) == clock.Now() + kValid);
    return created.secret();
  };
  const absl::Time expiry = clock.Now() + kValid;
  const std::string agent = issue(v1::ROLE_OPERATOR, "desk-night");
  Crew near(server, "amb-near", nullptr, issue(v1::ROLE_RESPONDER, "amb-near"));
  Crew far(server, "amb-far");  // valid until revoked
  REQUIRE(near.GoOnDuty(v1::CAPABILITY_AMBULANCE, 52.3680, 4.9040).ok());
  REQUIRE(far.GoOnDuty(v1::CAPABILITY_AMBULANCE, 52.3780, 4.9040).ok());
  near.Subscribe();
  far.Subscribe();
  auto feed_context = Call(agent, absl::Seconds(30));
  auto feed = server.Operators()->WatchCases(feed_context.get(), v1::WatchCasesRequest());
  feed->WaitForInitialMetadata();
  const std::string alice = server.Token("member", "alice");
  const v1::Case opened = OfferedTo(server, alice, "x1", near);

  // The sessions' thread sleeps until the expiry; a moment before it, all
  // is still valid.
  REQUIRE(clock.AwaitWaiter(expiry));
  clock.Advance(kValid - absl::Milliseconds(1));
  v1::Case seen;
  v1::GetCaseRequest get;
  get.set_name(opened.name());
  CHECK(server.Operators()->GetCase(Call(agent).get(), get, &seen).ok());
  clock.Advance(absl::Milliseconds(1));

  v1::CaseEvent event;
  while (feed->Read(&event)) {
  }
  const grpc::Status ended = feed->Finish();
  CHECK(ended.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(ended.error_message() == "the token expired: ask for a new one");
  const grpc::Status refused = server.Operators()->GetCase(Call(agent).get(), get, &seen);
  CHECK(refused.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(refused.error_message() == "the token expired: ask for a new one");
  // The expired crew's offer went to the next one.
  auto next = far.NextOffer();
  REQUIRE(next.has_value());
  CHECK(next->case_() == opened.name());
}

}  // namespace
}  // namespace mayday::testing
