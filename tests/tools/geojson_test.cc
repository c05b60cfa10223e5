// Tests of `maydayctl export --format geojson`: the exact text, that it parses
// as JSON, and that coordinates come as [longitude, latitude] (RFC 7946).
#include "maydayctl/geojson.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "test_protos.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;
using ::mayday::tools::testing::At;
using ::mayday::tools::testing::kNoon;
using ::mayday::tools::testing::Loc;

// Amsterdam: latitude 52.37, longitude 4.89; easy to tell apart.
std::vector<v1::Case> OneCase() {
  v1::Case c;
  c.set_name("cases/ab\"12");
  c.set_kind(v1::CASE_KIND_MEDICAL);
  c.set_state(v1::CASE_STATE_ESCALATED);
  *c.mutable_location() = Loc(52.3701234, 4.8912346, 15);
  *c.mutable_create_time() = At(kNoon);
  return {c};
}

std::vector<v1::Responder> Responders() {
  v1::Responder crew;
  crew.set_name("responders/r-2");
  crew.set_status(v1::Responder::STATUS_AVAILABLE);
  crew.add_capabilities(v1::CAPABILITY_TOW);
  crew.add_capabilities(v1::CAPABILITY_PATROL);
  *crew.mutable_location() = Loc(-33.8688, 151.2093);
  v1::Responder unlocated;  // Never reported a position: left out.
  unlocated.set_name("responders/r-3");
  unlocated.set_status(v1::Responder::STATUS_OFF_DUTY);
  v1::Responder broken;  // Out of range: left out.
  broken.set_name("responders/r-4");
  *broken.mutable_location() = Loc(95, 10);
  return {crew, unlocated, broken};
}

TEST_CASE("BuildGeoJson writes a FeatureCollection", "[geojson]") {
  const std::string geojson =
      BuildGeoJson(OneCase(), Responders(), absl::FromUnixSeconds(kNoon + 90));
  CHECK(geojson ==
        "{\"type\":\"FeatureCollection\",\"features\":["
        "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\","
        "\"coordinates\":[4.891235,52.370123]},"
        "\"properties\":{\"name\":\"cases/ab\\\"12\",\"kind\":\"medical\","
        "\"state\":\"ESCALATED\",\"age_s\":90}},"
        "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\","
        "\"coordinates\":[151.2093,-33.8688]},"
        "\"properties\":{\"name\":\"responders/r-2\",\"status\":\"AVAILABLE\","
        "\"capabilities\":[\"tow\",\"patrol\"]}}]}\n");
}

TEST_CASE("BuildGeoJson output is valid JSON, longitude first", "[geojson]") {
  const std::string geojson =
      BuildGeoJson(OneCase(), Responders(), absl::FromUnixSeconds(kNoon - 10));
  google::protobuf::Struct parsed;
  REQUIRE(google::protobuf::util::JsonStringToMessage(geojson, &parsed).ok());
  CHECK(parsed.fields().at("type").string_value() == "FeatureCollection");
  const auto& features = parsed.fields().at("features").list_value();
  REQUIRE(features.values_size() == 2);
  for (const auto& feature : features.values()) {
    const auto& fields = feature.struct_value().fields();
    CHECK(fields.at("type").string_value() == "Feature");
    const auto& geometry = fields.at("geometry").struct_value().fields();
    CHECK(geometry.at("type").string_value() == "Point");
    const auto& coordinates = geometry.at("coordinates").list_value();
    REQUIRE(coordinates.values_size() == 2);
    CHECK(std::abs(coordinates.values(0).number_value()) <= 180);
    CHECK(std::abs(coordinates.values(1).number_value()) <= 90);
  }
  const auto& first = features.values(0).struct_value().fields();
  const auto& coordinates = first.at("geometry").struct_value().fields().at("coordinates");
  CHECK(coordinates.list_value().values(0).number_value() == Approx(4.891235));  // Longitude first.
  // A create_time in the future (clock skew) is age 0, not negative.
  CHECK(first.at("properties").struct_value().fields().at("age_s").number_value() == 0);
}

TEST_CASE("BuildGeoJson with nothing to show", "[geojson]") {
  std::vector<v1::Case> cases = OneCase();
  cases[0].clear_location();
  cases[0].clear_create_time();
  CHECK(BuildGeoJson(cases, {}, absl::FromUnixSeconds(kNoon)) ==
        "{\"type\":\"FeatureCollection\",\"features\":[]}\n");
  *cases[0].mutable_location() = Loc(std::numeric_limits<double>::quiet_NaN(), 4);
  CHECK(BuildGeoJson(cases, {}, absl::FromUnixSeconds(kNoon)) ==
        "{\"type\":\"FeatureCollection\",\"features\":[]}\n");
}

}  // namespace
}  // namespace mayday::tools
