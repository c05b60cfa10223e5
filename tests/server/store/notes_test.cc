// Internal notes: stored per case, oldest first, refused for unknown cases,
// and kept after a reopen.
#include <catch2/catch.hpp>

#include "test_support.h"

namespace mayday::server {
namespace {

mayday::v1::CaseNote Note(const std::string& case_name, const std::string& text, int64_t seconds) {
  mayday::v1::CaseNote note;
  note.set_case_(case_name);
  note.set_author("operators/desk-1");
  note.set_text(text);
  note.mutable_create_time()->set_seconds(seconds);
  return note;
}

TEST_CASE("Notes are stored per case, oldest first, and survive a reopen", "[store]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  {
    auto store = at.Open();
    for (const char* id : {"aaaa", "bbbb"}) {
      auto c = testing::NewCase(id, "members/m1", std::string("r-") + id);
      REQUIRE(store->CreateCase(c, testing::RaisedEvent(c)).ok());
    }
    REQUIRE(store->AddNote(Note("cases/aaaa", "second", 200)).ok());
    REQUIRE(store->AddNote(Note("cases/aaaa", "first", 100)).ok());
    REQUIRE(store->AddNote(Note("cases/bbbb", "other case", 150)).ok());
  }
  auto store = at.Open();
  auto notes = store->ListNotes("aaaa");
  REQUIRE(notes.ok());
  REQUIRE(notes->size() == 2);
  CHECK((*notes)[0].text() == "first");
  CHECK((*notes)[1].text() == "second");
  CHECK((*notes)[1].author() == "operators/desk-1");
  CHECK(store->ListNotes("cccc")->empty());
}

TEST_CASE("A note for an unknown or malformed case is refused and stores nothing", "[store]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  auto store = at.Open();
  CHECK(store->AddNote(Note("cases/nope", "x", 1)).code() == absl::StatusCode::kNotFound);
  CHECK(store->AddNote(Note("nope", "x", 1)).code() == absl::StatusCode::kInvalidArgument);
  CHECK(at.QueryInt("SELECT count(*) FROM case_notes") == 0);
}

}  // namespace
}  // namespace mayday::server
