// Cancel PINs: which are PINs, and their stored hashes.
#include "auth/pin_hash.h"

#include <catch2/catch.hpp>
#include <string>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace mayday::server {
namespace {

TEST_CASE("ValidatePin takes 4 to 12 digits and echoes no PIN", "[pins]") {
  auto [pin, ok] = GENERATE(table<std::string, bool>({
      {"1234", true},
      {"000000000000", true},
      {"123", false},
      {"1234567890123", false},
      {"12a4", false},
      {" 1234", false},
      {"１２３４", false},  // full-width digits are not ASCII digits
      {"", false},
  }));
  CAPTURE(pin);
  const absl::Status status = ValidatePin("cancel_pin", pin);
  CHECK(status.ok() == ok);
  if (!ok) {
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(status.message()).find("cancel_pin must be 4 to 12 digits") == 0);
    if (!pin.empty()) CHECK(std::string(status.message()).find(pin) == std::string::npos);
  }
}

TEST_CASE("A PIN's hash is salted scrypt and matches only that PIN", "[pins]") {
  absl::StatusOr<std::string> first = HashPin("2468");
  absl::StatusOr<std::string> second = HashPin("2468");
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(*first != *second);  // a salt of its own
  const std::vector<std::string> parts = absl::StrSplit(*first, '$');
  REQUIRE(parts.size() == 6);
  CHECK(parts[0] == "scrypt");
  CHECK(parts[1] == "15");
  CHECK(parts[4].size() == 32);
  CHECK(parts[5].size() == 64);
  CHECK(first->find("2468") == std::string::npos);
  CHECK(PinMatches("2468", *first));
  CHECK(PinMatches("2468", *second));
  CHECK_FALSE(PinMatches("2469", *first));
  CHECK_FALSE(PinMatches("24680", *first));
  CHECK_FALSE(PinMatches("", *first));
}

TEST_CASE("A malformed or outsized stored hash matches nothing", "[pins]") {
  absl::StatusOr<std::string> good = HashPin("1357");
  REQUIRE(good.ok());
  const std::vector<std::string> parts = absl::StrSplit(*good, '$');
  auto with = [&](size_t index, const std::string& value) {
    std::vector<std::string> changed = parts;
    changed[index] = value;
    return absl::StrJoin(changed, "$");
  };
  for (const std::string& stored : {
           std::string(""),
           std::string("scrypt$15$8$1"),
           with(0, "bcrypt"),
           with(1, "40"),  // 2^40: would take terabytes
           with(1, "0"),
           with(2, "0"),
           with(3, "99"),
           with(4, parts[4].substr(2)),
           with(5, parts[5].substr(2)),
           with(5, std::string(64, 'z')),
       }) {
    CAPTURE(stored);
    CHECK_FALSE(PinMatches("1357", stored));
  }
}

}  // namespace
}  // namespace mayday::server
