// PutToken, FindToken, ListTokens and RevokeToken, including a token written
// by another process's Store on the same file while this one is open.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "store/store.h"
#include "test_support.h"

namespace mayday::server {
namespace {

TokenRecord Token(char fill, Role role, const std::string& subject) {
  TokenRecord token;
  token.token_hash = std::string(64, fill);
  token.role = role;
  token.subject = subject;
  token.create_time = absl::FromUnixMicros(1'700'000'000'123'456);
  return token;
}

TEST_CASE("Tokens are stored once and found by hash", "[store][tokens]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  std::unique_ptr<Store> store = at.Open();

  const TokenRecord tokens[] = {Token('a', Role::kMember, "m1"), Token('b', Role::kResponder, "r1"),
                                Token('c', Role::kOperator, "op1")};
  for (const TokenRecord& token : tokens) REQUIRE(store->PutToken(token).ok());
  for (const TokenRecord& token : tokens) {
    INFO("subject " << token.subject);
    absl::StatusOr<TokenRecord> found = store->FindToken(token.token_hash);
    REQUIRE(found.ok());
    CHECK(found->token_hash == token.token_hash);
    CHECK(found->role == token.role);
    CHECK(found->subject == token.subject);
    CHECK(found->create_time == token.create_time);
    CHECK_FALSE(found->revoked);
  }

  TokenRecord duplicate = Token('a', Role::kOperator, "someone else");
  CHECK(store->PutToken(duplicate).code() == absl::StatusCode::kAlreadyExists);
  CHECK(store->FindToken(std::string(64, 'a'))->subject == "m1");
  CHECK(store->FindToken(std::string(64, 'd')).status().code() == absl::StatusCode::kNotFound);

  TokenRecord revoked = Token('e', Role::kMember, "m2");
  revoked.revoked = true;
  REQUIRE(store->PutToken(revoked).ok());
  CHECK(store->FindToken(revoked.token_hash)->revoked);

  for (const char* hash : {"", "abc", "not hex at all but sixty-four characters long......."}) {
    INFO("hash " << hash);
    TokenRecord bad = Token('0', Role::kMember, "m1");
    bad.token_hash = hash;
    CHECK(store->PutToken(bad).code() == absl::StatusCode::kInvalidArgument);
  }
  TokenRecord upper = Token('A', Role::kMember, "m1");
  CHECK(store->PutToken(upper).code() == absl::StatusCode::kInvalidArgument);
  TokenRecord anonymous = Token('f', Role::kMember, "");
  CHECK(store->PutToken(anonymous).code() == absl::StatusCode::kInvalidArgument);
  CHECK(at.QueryInt("SELECT count(*) FROM tokens") == 4);
}

TEST_CASE("A token written through another Store on the same file is found", "[store][tokens]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  std::unique_ptr<Store> server = at.Open();
  REQUIRE(server->FindToken(std::string(64, '1')).status().code() == absl::StatusCode::kNotFound);
  {
    // What `maydayd token create` does while the server runs.
    std::unique_ptr<Store> cli = at.Open();
    REQUIRE(cli->PutToken(Token('1', Role::kResponder, "r9")).ok());
  }
  absl::StatusOr<TokenRecord> found = server->FindToken(std::string(64, '1'));
  REQUIRE(found.ok());
  CHECK(found->subject == "r9");
}

TEST_CASE("Tokens are listed newest first and revoked by their public id", "[store][tokens]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  std::unique_ptr<Store> store = at.Open();
  TokenRecord older = Token('a', Role::kMember, "m1");
  TokenRecord newer = Token('b', Role::kAdmin, "root");
  newer.create_time = older.create_time + absl::Seconds(1);
  REQUIRE(store->PutToken(older).ok());
  REQUIRE(store->PutToken(newer).ok());

  absl::StatusOr<std::vector<TokenRecord>> listed = store->ListTokens();
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 2);
  CHECK((*listed)[0].subject == "root");
  CHECK((*listed)[0].role == Role::kAdmin);
  CHECK((*listed)[1].subject == "m1");

  CHECK(TokenId(older.token_hash) == std::string(16, 'a'));
  absl::StatusOr<TokenRecord> revoked = store->RevokeToken(std::string(16, 'a'));
  REQUIRE(revoked.ok());
  CHECK(revoked->revoked);
  CHECK(revoked->subject == "m1");
  CHECK(store->FindToken(older.token_hash)->revoked);
  CHECK_FALSE(store->FindToken(newer.token_hash)->revoked);
  // Again: the same record, still revoked.
  CHECK(store->RevokeToken(std::string(16, 'a'))->revoked);

  CHECK(store->RevokeToken(std::string(16, 'c')).status().code() == absl::StatusCode::kNotFound);
  for (const char* id : {"", "aaaa", "AAAAAAAAAAAAAAAA", "aaaaaaaaaaaaaaaaa"}) {
    INFO("id \"" << id << "\"");
    CHECK(store->RevokeToken(id).status().code() == absl::StatusCode::kInvalidArgument);
  }
  CHECK(at.QueryInt("SELECT count(*) FROM tokens WHERE revoked = 1") == 1);
}

}  // namespace
}  // namespace mayday::server
