// OfferBook: one offer per responder and per case, what a reconnecting crew
// is sent again, and who is told when a case changes.
#include "dispatcher/offer_book.h"

#include <catch2/catch.hpp>

namespace mayday::server {
namespace {

mayday::v1::Offer OfferOfCase(const std::string& case_id) {
  mayday::v1::Offer offer;
  offer.set_case_("cases/" + case_id);
  return offer;
}

TEST_CASE("The offer book keeps one offer per responder and per case") {
  OfferBook book;
  CHECK(book.size() == 0);
  CHECK(book.HeldBy("tow-1") == nullptr);
  CHECK(book.Holder("c1").empty());
  CHECK(book.Forget("c1").empty());

  book.Record("tow-1", "c1", OfferOfCase("c1"));
  book.Record("tow-2", "c2", OfferOfCase("c2"));
  REQUIRE(book.HeldBy("tow-1") != nullptr);
  CHECK(book.HeldBy("tow-1")->case_() == "cases/c1");
  CHECK(book.Holder("c2") == "tow-2");
  CHECK(book.size() == 2);

  SECTION("a responder's new offer replaces its old one") {
    book.Record("tow-1", "c3", OfferOfCase("c3"));
    CHECK(book.HeldBy("tow-1")->case_() == "cases/c3");
    CHECK(book.Holder("c1").empty());
    CHECK(book.Holder("c3") == "tow-1");
    CHECK(book.size() == 2);
  }
  SECTION("a case offered to someone else leaves its first holder") {
    book.Record("tow-3", "c1", OfferOfCase("c1"));
    CHECK(book.Holder("c1") == "tow-3");
    CHECK(book.HeldBy("tow-1") == nullptr);
    CHECK(book.size() == 2);
  }
  SECTION("forgetting a case frees its holder, once") {
    CHECK(book.Forget("c1") == "tow-1");
    CHECK(book.HeldBy("tow-1") == nullptr);
    CHECK(book.Forget("c1").empty());
    CHECK(book.Holder("c2") == "tow-2");
    CHECK(book.size() == 1);
  }
}

}  // namespace
}  // namespace mayday::server
