// Page tokens and case names: what the codec accepts and rejects.
#include "store/codec.h"

#include <catch2/catch.hpp>
#include <string>

namespace mayday::server::store_internal {
namespace {

TEST_CASE("Page tokens round-trip and are URL-safe", "[store][codec]") {
  for (const CaseCursor& cursor : {CaseCursor{0, "a"}, CaseCursor{-5, "x:y/z"},
                                   CaseCursor{1'700'000'000'123'456, std::string(200, '\xff')}}) {
    std::string token = EncodePageToken(cursor);
    INFO("token " << token);
    CHECK(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                  "0123456789-_") == std::string::npos);
    std::optional<CaseCursor> decoded = DecodePageToken(token);
    REQUIRE(decoded.has_value());
    CHECK(decoded->create_time_us == cursor.create_time_us);
    CHECK(decoded->id == cursor.id);
  }
}

}  // namespace
}  // namespace mayday::server::store_internal
