// The authenticator's memory of checked tokens: for how long, how many, and
// what makes it forget. A real store on a temporary file; a manual clock.
#include "auth/authenticator.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "auth/token.h"
#include "mayday/base/clock.h"
#include "test_support.h"

namespace mayday::server {
namespace {

constexpr absl::Duration kTtl = absl::Seconds(10);
constexpr absl::string_view kBearer = "Bearer ";

struct Fixture {
  testing::ScratchDir dir;
  std::unique_ptr<Store> store = testing::OpenStore(dir.File("mayday.db"));
  base::ManualClock clock;

  std::string Issue(const std::string& subject) {
    absl::StatusOr<std::string> token = IssueToken(*store, Role::kMember, subject, clock.Now());
    REQUIRE(token.ok());
    return absl::StrCat(kBearer, *token);
  }
  void Revoke(const std::string& bearer) {
    const std::string id = TokenId(HashToken(bearer.substr(kBearer.size())));
    REQUIRE(store->RevokeToken(id).ok());
  }
};

TEST_CASE("A remembered token is checked again once its time is up") {
  Fixture f;
  Authenticator auth(f.store.get(), &f.clock, StaffDevices::kAnyPeer, kTtl);
  const std::string alice = f.Issue("alice");
  REQUIRE(auth.AuthenticateBearer(alice).ok());
  CHECK(auth.AuthenticateBearer(alice)->subject == "alice");

  // Revoked behind the authenticator's back (another process): still taken
  // while remembered, refused once the time is up.
  f.Revoke(alice);
  f.clock.Advance(kTtl - absl::Milliseconds(1));
  CHECK(auth.AuthenticateBearer(alice).ok());
  f.clock.Advance(absl::Milliseconds(1));
  auto refused = auth.AuthenticateBearer(alice);
  CHECK(refused.status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(refused.status().message() == "the token was revoked: ask for a new one");
}

TEST_CASE("ForgetAll makes a revoked token fail at once") {
  Fixture f;
  Authenticator auth(f.store.get(), &f.clock, StaffDevices::kAnyPeer, kTtl);
  const std::string bob = f.Issue("bob");
  REQUIRE(auth.AuthenticateBearer(bob).ok());
  f.Revoke(bob);
  auth.ForgetAll();
  CHECK(auth.Remembered() == 0);
  CHECK(auth.AuthenticateBearer(bob).status().code() == absl::StatusCode::kUnauthenticated);
}

TEST_CASE("Tokens are forgotten a few per check once due and never beyond the most kept") {
  Fixture f;
  constexpr size_t kMost = 8;
  Authenticator auth(f.store.get(), &f.clock, StaffDevices::kAnyPeer, kTtl, kMost);
  std::vector<std::string> tokens;
  for (int i = 0; i < 30; ++i) tokens.push_back(f.Issue(absl::StrCat("m", i)));

  // Thirty tokens checked at once: the most are kept, the oldest go first.
  for (const std::string& token : tokens) {
    REQUIRE(auth.AuthenticateBearer(token).ok());
    CHECK(auth.Remembered() <= kMost);
  }
  CHECK(auth.Remembered() == kMost);
  // The newest is remembered: revoked, it still passes; the oldest is not.
  f.Revoke(tokens.back());
  f.Revoke(tokens.front());
  CHECK(auth.AuthenticateBearer(tokens.back()).ok());
  CHECK_FALSE(auth.AuthenticateBearer(tokens.front()).ok());

  // Their time up, every further check forgets up to two of them and
  // remembers one: the memory shrinks by one per check, not all at once.
  f.clock.Advance(kTtl);
  const size_t before = auth.Remembered();
  REQUIRE(auth.AuthenticateBearer(tokens[20]).ok());
  CHECK(auth.Remembered() == before - 1);
  for (int i = 21; i < 28; ++i) REQUIRE(auth.AuthenticateBearer(tokens[i]).ok());
  CHECK(auth.Remembered() <= kMost);
  // A token checked again after its time is up is looked up and kept anew.
  CHECK(auth.AuthenticateBearer(tokens[27]).ok());
}

TEST_CASE("Malformed authorization values are refused before any lookup") {
  Fixture f;
  Authenticator auth(f.store.get(), &f.clock);
  for (const char* value : {"", "Bearer ", "Basic abc", "bearer"}) {
    INFO("value \"" << value << "\"");
    auto refused = auth.AuthenticateBearer(value);
    CHECK(refused.status().code() == absl::StatusCode::kUnauthenticated);
    CHECK(refused.status().message() ==
          "malformed authorization metadata: expected \"Bearer <token>\"");
  }
  CHECK(auth.Remembered() == 0);
}

}  // namespace
}  // namespace mayday::server
