// FleetService through a real maydayd: a tracking feed's batches count as
// the crews' own reports (dispatch offers by them, the desk sees them), a
// batch with any fault is refused whole, naming the position, and changes
// nothing, and a feed's stream ends when its token is revoked.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "auth/token.h"
#include "crew.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

v1::FleetPosition At(const std::string& responder, double latitude, double longitude) {
  v1::FleetPosition position;
  position.set_responder(responder);
  position.mutable_location()->set_latitude(latitude);
  position.mutable_location()->set_longitude(longitude);
  position.mutable_location()->set_horizontal_accuracy_meters(6);
  return position;
}

// Sends `batches` on one stream and closes it: its status and summary.
std::pair<grpc::Status, v1::ReportPositionsResponse> Feed(
    TestServer& server, const std::string& token,
    const std::vector<std::vector<v1::FleetPosition>>& batches) {
  auto context = Call(token);
  v1::ReportPositionsResponse summary;
  auto writer = server.Fleets()->ReportPositions(context.get(), &summary);
  for (const auto& positions : batches) {
    v1::ReportPositionsRequest batch;
    for (const v1::FleetPosition& p : positions) *batch.add_positions() = p;
    if (!writer->Write(batch)) break;
  }
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  return {status, summary};
}

v1::Responder Desk(TestServer& server, const std::string& name) {
  v1::GetResponderRequest request;
  request.set_name(name);
  v1::Responder responder;
  REQUIRE(server.Operators()
              ->GetResponder(Call(server.Token("operator", "desk")).get(), request, &responder)
              .ok());
  return responder;
}

TEST_CASE("A fleet feed's positions count as its crews' own reports") {
  TestServer server;
  const std::string feed = server.Token("fleet", "acme");
  // acme-tow-1 goes on duty 20 km away; acme-tow-2 never does.
  Crew tow(server, "acme-tow-1");
  REQUIRE(tow.GoOnDuty(v1::CAPABILITY_TOW, 52.55, 4.90).ok());
  tow.Subscribe();

  // The feed puts it 1.2 km from where the member will be (twice in one
  // batch: the later counts), and reports a vehicle that is off duty.
  const double near = 52.3676 + 1200 / 111'200.0;
  const auto [status, summary] =
      Feed(server, feed,
           {{At("responders/acme-tow-1", 52.45, 4.90), At("responders/acme-tow-2", 52.40, 4.90)},
            {At("responders/acme-tow-1", near, 4.9041)}});
  INFO(status.error_message());
  REQUIRE(status.ok());
  CHECK(summary.accepted_count() == 2);
  CHECK(summary.skipped_count() == 1);
  CHECK(summary.clock_off_count() == 0);

  // The desk sees it there, and dispatch offers by it.
  const v1::Responder seen = Desk(server, "responders/acme-tow-1");
  CHECK(seen.location().latitude() == Approx(near).margin(1e-9));
  v1::Case opened;
  REQUIRE(server.Alerts()
              ->RaiseAlert(Call(server.Token("member", "alice")).get(), Alert("fleet-1"), &opened)
              .ok());
  const std::optional<v1::Offer> offer = tow.NextOffer();
  REQUIRE(offer.has_value());
  CHECK(offer->distance_meters() == Approx(1200).margin(15));
}

TEST_CASE("A fleet's batch with any fault is refused whole, naming the position") {
  TestServer server;
  const std::string feed = server.Token("fleet", "acme");
  Crew tow(server, "acme-tow-1");
  REQUIRE(tow.GoOnDuty(v1::CAPABILITY_TOW, 52.50, 4.90).ok());
  Crew other(server, "acmex-1");
  REQUIRE(other.GoOnDuty(v1::CAPABILITY_TOW, 52.50, 4.90).ok());
  const v1::FleetPosition good = At("responders/acme-tow-1", 52.40, 4.95);
  v1::FleetPosition bad_latitude = At("responders/acme-tow-1", 91, 4.95);
  v1::FleetPosition no_location = At("responders/acme-tow-1", 0, 0);
  no_location.clear_location();
  v1::FleetPosition bad_fix = At("responders/acme-tow-1", 52.41, 4.95);
  bad_fix.mutable_location()->mutable_fix_time()->set_nanos(-1);

  struct Row {
    const char* name;
    std::vector<v1::FleetPosition> batch;
    grpc::StatusCode code;
    const char* says;
  };
  const std::vector<Row> rows = {
      {"an empty batch", {}, grpc::INVALID_ARGUMENT, "a batch holds 1 to 1000 positions, not 0"},
      {"a bad latitude second",
       {good, bad_latitude},
       grpc::INVALID_ARGUMENT,
       "positions[1].location.latitude"},
      {"no location",
       {good, no_location},
       grpc::INVALID_ARGUMENT,
       "positions[1].location is required"},
      {"a fix time that is no time",
       {bad_fix},
       grpc::INVALID_ARGUMENT,
       "positions[0].location.fix_time"},
      {"a name without its collection",
       {At("acme-tow-1", 52.4, 4.9)},
       grpc::INVALID_ARGUMENT,
       "positions[0].responder"},
      {"another fleet's crew",
       {good, At("responders/tow-9", 52.4, 4.9)},
       grpc::PERMISSION_DENIED,
       "positions[1]: responders/tow-9 is not a crew of fleet acme"},
      {"a longer prefix",
       {At("responders/acmex-1", 52.4, 4.9)},
       grpc::PERMISSION_DENIED,
       "responders/acmex-1 is not a crew of fleet acme"},
      {"the fleet's name alone",
       {At("responders/acme", 52.4, 4.9)},
       grpc::PERMISSION_DENIED,
       "responders/acme is not a crew of fleet acme"},
      {"the prefix and nothing more",
       {At("responders/acme-", 52.4, 4.9)},
       grpc::PERMISSION_DENIED,
       "responders/acme- is not a crew of fleet acme"},
  };
  for (const Row& row : rows) {
    INFO("row: " << row.name);
    const auto [status, summary] = Feed(server, feed, {row.batch});
    CHECK(status.error_code() == row.code);
    CHECK_THAT(status.error_message(), Catch::Contains(row.says));
    // Nothing of the batch was taken: the crews are where they were.
    CHECK(Desk(server, "responders/acme-tow-1").location().latitude() == Approx(52.50));
    CHECK(Desk(server, "responders/acmex-1").location().latitude() == Approx(52.50));
  }

  // Too many positions in one batch; a batch bigger than any request.
  const auto [status, summary] = Feed(server, feed, {std::vector<v1::FleetPosition>(1'001, good)});
  CHECK(status.error_code() == grpc::INVALID_ARGUMENT);
  CHECK_THAT(status.error_message(), Catch::Contains("not 1001: send more batches"));
  const auto [huge, unused_summary] =
      Feed(server, feed, {std::vector<v1::FleetPosition>(1'400, good)});
  CHECK(huge.error_code() == grpc::RESOURCE_EXHAUSTED);
  CHECK(Desk(server, "responders/acme-tow-1").location().latitude() == Approx(52.50));

  // The batches before a refused one were taken.
  const auto [partly, partial] =
      Feed(server, feed, {{good}, {At("responders/acme-tow-1", 52.43, 4.95), bad_latitude}});
  CHECK(partly.error_code() == grpc::INVALID_ARGUMENT);
  CHECK(Desk(server, "responders/acme-tow-1").location().latitude() == Approx(52.40));

  // A responder's token or a member's is not a fleet's.
  const auto [as_crew, unused] = Feed(server, tow.token(), {{good}});
  CHECK(as_crew.error_code() == grpc::PERMISSION_DENIED);
  CHECK_THAT(as_crew.error_message(),
             Catch::Contains("this call needs a fleet token; the token given is for a responder"));
}

TEST_CASE("A fleet feed's clock that is off is said, and its fixes taken as of arrival") {
  TestServer server;
  Crew tow(server, "acme-tow-1");
  REQUIRE(tow.GoOnDuty(v1::CAPABILITY_TOW, 52.50, 4.90).ok());
  v1::FleetPosition ahead = At("responders/acme-tow-1", 52.40, 4.95);
  ahead.mutable_location()->mutable_fix_time()->set_seconds(
      absl::ToUnixSeconds(absl::Now() + absl::Hours(1)));
  const auto [status, summary] = Feed(server, server.Token("fleet", "acme"), {{ahead}});
  REQUIRE(status.ok());
  CHECK(summary.accepted_count() == 1);
  CHECK(summary.clock_off_count() == 1);
  CHECK(summary.device_clock_offset().seconds() == Approx(3600).margin(5));
}

TEST_CASE("A revoked fleet token ends its feed within a second") {
  TestServer server;
  const std::string admin = server.Token("admin", "ada");
  const std::string feed = server.Token("fleet", "acme");
  Crew tow(server, "acme-tow-1");
  REQUIRE(tow.GoOnDuty(v1::CAPABILITY_TOW, 52.50, 4.90).ok());
  auto context = Call(feed, absl::Seconds(30));
  v1::ReportPositionsResponse summary;
  auto writer = server.Fleets()->ReportPositions(context.get(), &summary);
  v1::ReportPositionsRequest batch;
  *batch.add_positions() = At("responders/acme-tow-1", 52.40, 4.95);
  REQUIRE(writer->Write(batch));
  v1::RevokeTokenRequest revoke;
  revoke.set_name("tokens/" + server::TokenId(server::HashToken(feed)));
  v1::Token revoked;
  REQUIRE(server.Operators()->RevokeToken(Call(admin).get(), revoke, &revoked).ok());
  const absl::Time start = absl::Now();
  // Writes fail once the server ended the stream; Finish says why.
  while (writer->Write(batch) && absl::Now() - start < absl::Seconds(5)) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  const grpc::Status status = writer->Finish();
  CHECK(absl::Now() - start < absl::Seconds(1) + absl::Milliseconds(200));
  CHECK(status.error_code() == grpc::UNAUTHENTICATED);
}

}  // namespace
}  // namespace mayday::testing
