// Devices' clocks are not trusted (api/device_time.h): a fix time far ahead
// of the server's clock or far behind it is replaced by the time the report
// arrived, the device is told, and positions are ordered and aged by the
// server's clock. Outside testers froze a crew with a fix time a year ahead
// and hid one with a fix time in 1971.
#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "absl/time/civil_time.h"
#include "api/proto_time.h"
#include "crew.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;
using server::FromProtoTime;
using server::ToProtoTime;

constexpr double kLatitude = 52.3680;
constexpr double kLongitude = 4.9040;

v1::Location At(double latitude, double longitude, std::optional<absl::Time> fix_time) {
  v1::Location location;
  location.set_latitude(latitude);
  location.set_longitude(longitude);
  if (fix_time.has_value()) *location.mutable_fix_time() = ToProtoTime(*fix_time);
  return location;
}

// One ReportLocation stream carrying `location`; the server's answer.
v1::ReportLocationResponse ReportOne(Crew& crew, const v1::Location& location) {
  auto context = Call(crew.token());
  v1::ReportLocationResponse reply;
  auto writer = crew.stub().ReportLocation(context.get(), &reply);
  v1::ReportLocationRequest report;
  *report.mutable_location() = location;
  REQUIRE(writer->Write(report));
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  INFO(status.error_message());
  REQUIRE(status.ok());
  REQUIRE(reply.accepted_count() == 1);
  return reply;
}

// On duty as an ambulance, its offer stream open; no position yet.
void OnDutyListening(Crew& crew) {
  v1::SetDutyRequest duty;
  duty.set_on_duty(true);
  duty.add_capabilities(v1::CAPABILITY_AMBULANCE);
  v1::Responder responder;
  REQUIRE(crew.stub().SetDuty(Call(crew.token()).get(), duty, &responder).ok());
  crew.Subscribe();
}

v1::Case RaiseMedical(TestServer& server, const std::string& request_id, const v1::Location& at) {
  const std::string member = server.Token("member", request_id);
  v1::RaiseAlertRequest alert = Alert(request_id, v1::CASE_KIND_MEDICAL);
  *alert.mutable_location() = at;
  v1::Case opened;
  grpc::Status status = server.Alerts()->RaiseAlert(Call(member).get(), alert, &opened);
  INFO(status.error_message());
  REQUIRE(status.ok());
  return opened;
}

int64_t OffsetSeconds(const v1::ReportLocationResponse& reply) {
  return reply.device_clock_offset().seconds();
}

TEST_CASE("A crew whose clock runs a year ahead is told so, and its next reports count") {
  TestServer server;
  Crew crew(server, "amb-ahead");
  OnDutyListening(crew);

  // Where the crew was, stamped a year ahead: the crew is told its clock is off.
  const v1::ReportLocationResponse ahead =
      ReportOne(crew, At(kLatitude, kLongitude, absl::Now() + absl::Hours(24 * 365)));
  CHECK(ahead.clock_off_count() == 1);
  CHECK(OffsetSeconds(ahead) > 364 * 24 * 3600);
  CHECK(OffsetSeconds(ahead) < 366 * 24 * 3600);

  // Driven 3 km west, it reports honestly: that report counts (before, it
  // was ignored as older than the year-ahead fix, and the crew stayed frozen).
  const double west = kLongitude - 0.044;
  const v1::ReportLocationResponse honest = ReportOne(crew, At(kLatitude, west, absl::Now()));
  CHECK(honest.clock_off_count() == 0);
  CHECK_FALSE(honest.has_device_clock_offset());

  // A member next to where it is now: the offer says so.
  const v1::Case opened = RaiseMedical(server, "beside-crew", At(kLatitude, west + 0.0005, {}));
  auto offer = crew.NextOffer();
  REQUIRE(offer.has_value());
  CHECK(offer->case_() == opened.name());
  CHECK(offer->distance_meters() < 100);
}

TEST_CASE("A crew whose clock says 1971 is told so and is dispatched") {
  TestServer server;
  Crew crew(server, "amb-1971");
  OnDutyListening(crew);
  const v1::ReportLocationResponse old =
      ReportOne(crew, At(kLatitude, kLongitude, absl::FromUnixSeconds(86400 * 365)));
  CHECK(old.clock_off_count() == 1);
  CHECK(OffsetSeconds(old) < -50LL * 365 * 24 * 3600);

  // 55 m away: offered (before, it escalated "without a recent position").
  const v1::Case opened = RaiseMedical(server, "near-1971", At(kLatitude + 0.0005, kLongitude, {}));
  auto offer = crew.NextOffer();
  REQUIRE(offer.has_value());
  CHECK(offer->case_() == opened.name());
  CHECK(offer->distance_meters() == Approx(55.6).margin(1));
}

TEST_CASE("A member's fix time is bounded by the server's clock, what was sent kept apart") {
  TestServer server;
  const absl::Time year_2100 =
      absl::FromCivil(absl::CivilSecond(2100, 1, 1, 0, 0, 0), absl::UTCTimeZone());
  struct Row {
    const char* name;
    std::optional<absl::Time> sent;
    bool replaced;
  };
  const absl::Time now = absl::Now();
  const Row row = GENERATE_COPY(
      Row{"year 2100", year_2100, true}, Row{"in 1971", absl::FromUnixSeconds(86400 * 365), true},
      Row{"two hours old", now - absl::Hours(2), true},
      Row{"five minutes old (a phone's last fix)", now - absl::Minutes(5), false},
      Row{"none", std::nullopt, false});
  INFO(row.name);
  const absl::Time before = absl::Now();
  const v1::Case opened = RaiseMedical(server, "bounded", At(kLatitude, kLongitude, row.sent));
  const absl::Time after = absl::Now();
  // As stored, and as the desk reads it.
  const auto check = [&](const v1::Location& location) {
    const absl::Time stored = FromProtoTime(location.fix_time());
    if (row.replaced || !row.sent.has_value()) {
      CHECK(stored >= before);
      CHECK(stored <= after);
    } else {
      CHECK(stored == *row.sent);
    }
    CHECK(location.has_device_fix_time() == row.replaced);
    if (row.replaced) CHECK(FromProtoTime(location.device_fix_time()) == *row.sent);
  };
  check(opened.location());

  // UpdateCaseLocation follows the same rule.
  v1::UpdateCaseLocationRequest move;
  move.set_name(opened.name());
  *move.mutable_location() = At(kLatitude + 0.001, kLongitude, row.sent);
  v1::Case moved;
  const std::string member = server.Token("member", "bounded");
  const absl::Time before_move = absl::Now();
  REQUIRE(server.Alerts()->UpdateCaseLocation(Call(member).get(), move, &moved).ok());
  const absl::Time after_move = absl::Now();
  if (row.replaced || !row.sent.has_value()) {
    CHECK(FromProtoTime(moved.location().fix_time()) >= before_move);
    CHECK(FromProtoTime(moved.location().fix_time()) <= after_move);
  } else {
    CHECK(FromProtoTime(moved.location().fix_time()) == *row.sent);
  }
  CHECK(moved.location().has_device_fix_time() == row.replaced);
}

}  // namespace
}  // namespace mayday::testing
