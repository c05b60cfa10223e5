// What a principal can learn beyond the matrix's status codes: a responder
// sees a member's location and contact only while it holds the case's offer
// or is assigned to it, never after the offer ended (declined, timed out,
// withdrawn) or the case closed; a member or responder not entitled to a
// case gets the very answer a case that does not exist gets; case ids carry
// 128 unpredictable bits.
#include <bitset>
#include <catch2/catch.hpp>
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "authz_scene.h"
#include "cases/case_log.h"
#include "crew.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

// Where the member moves to after the crew lost the case: a position no
// other message of these tests carries.
constexpr double kSecretLatitude = 52.301234;
constexpr double kSecretLongitude = 4.801234;

grpc::Status MoveMember(TestServer& server, const std::string& token, const std::string& name) {
  v1::UpdateCaseLocationRequest r;
  r.set_name(name);
  r.mutable_location()->set_latitude(kSecretLatitude);
  r.mutable_location()->set_longitude(kSecretLongitude);
  v1::Case c;
  return server.Alerts()->UpdateCaseLocation(Call(token).get(), r, &c);
}

// True if `update` tells anything of case `name` beyond the bare notice
// that an offer of it ended.
bool Tells(const v1::ResponderUpdate& update, const std::string& name) {
  if (update.has_offer()) return update.offer().case_() == name;
  if (update.has_assignment()) return update.assignment().name() == name;
  if (update.has_case_event()) return update.case_event().case_() == name;
  return false;
}

// Reads the crew's updates until an offer of case `sentinel` arrives (a
// case raised after everything the test checks, so the stream has caught
// up); returns those that tell of case `name`, as text.
std::vector<std::string> ToldBefore(Crew& crew, const std::string& sentinel,
                                    const std::string& name) {
  std::vector<std::string> told;
  for (int i = 0; i < 100; ++i) {
    auto update = crew.Next();
    REQUIRE(update.has_value());
    if (update->has_offer() && update->offer().case_() == sentinel) return told;
    if (Tells(*update, name)) told.push_back(update->ShortDebugString());
  }
  FAIL("no offer of the sentinel case");
  return told;
}

v1::Case Raise(TestServer& server, const std::string& token, const std::string& request_id) {
  v1::Case c;
  REQUIRE(server.Alerts()->RaiseAlert(Call(token).get(), Alert(request_id), &c).ok());
  return c;
}

TEST_CASE("A crew hears of a case only while it holds its offer") {
  enum class End { kDeclined, kTimedOut, kWithdrawnByAgent };
  struct Row {
    const char* what;
    End end;
    absl::Duration offer_timeout;
  };
  const Row rows[] = {
      {"declined", End::kDeclined, absl::Minutes(5)},
      {"timed out", End::kTimedOut, absl::Milliseconds(500)},
      {"withdrawn (an agent took the case)", End::kWithdrawnByAgent, absl::Minutes(5)}};
  for (const Row& row : rows) {
    INFO("the offer " << row.what);
    TestServer server(row.offer_timeout);
    const std::string alice = server.Token("member", "alice");
    const std::string agent = server.Token("operator", "olga");
    Crew crew(server, "r1");
    REQUIRE(crew.GoOnDuty(v1::CAPABILITY_TOW, 52.3766, 4.9041).ok());
    crew.Subscribe();
    const v1::Case c = Raise(server, alice, "help");
    auto offer = crew.NextOffer();
    REQUIRE(offer.has_value());
    REQUIRE(offer->case_() == c.name());
    // While it holds the offer it sees where the member is, and moves.
    CHECK(offer->location().latitude() == c.location().latitude());
    REQUIRE(MoveMember(server, alice, c.name()).ok());
    auto moved = crew.Next();
    REQUIRE(moved.has_value());
    CHECK(moved->case_event().location_updated().location().latitude() == kSecretLatitude);

    switch (row.end) {
      case End::kDeclined:
        REQUIRE(crew.Decline(c.name()).ok());
        break;
      case End::kTimedOut: {
        auto withdrawn = crew.Next(absl::Seconds(10));
        REQUIRE(withdrawn.has_value());
        CHECK(withdrawn->offer_withdrawn() == c.name());
        break;
      }
      case End::kWithdrawnByAgent: {
        v1::TakeCaseRequest take;
        take.set_name(c.name());
        v1::Case taken;
        REQUIRE(server.Operators()->TakeCase(Call(agent).get(), take, &taken).ok());
        auto withdrawn = crew.Next();
        REQUIRE(withdrawn.has_value());
        CHECK(withdrawn->offer_withdrawn() == c.name());
        break;
      }
    }
    server.server().SettleDispatch();

    // Now nothing of the case reaches the crew: not the member's next move,
    // not a message, not on reconnecting; answering the offer late tells
    // nothing either.
    REQUIRE(MoveMember(server, alice, c.name()).ok());
    v1::PostMessageRequest message;
    message.set_case_(c.name());
    message.set_text("where are you?");
    v1::CaseEvent posted;
    REQUIRE(server.Alerts()->PostMessage(Call(alice).get(), message, &posted).ok());
    v1::Case late;
    CHECK(crew.Accept(c.name(), &late).error_code() == grpc::FAILED_PRECONDITION);
    CHECK_FALSE(late.has_location());
    CHECK(crew.Progress(c.name(), v1::CASE_STATE_EN_ROUTE).error_code() == grpc::NOT_FOUND);
    crew.Subscribe();  // reconnect
    const v1::Case sentinel = Raise(server, server.Token("member", "bob"), "sentinel");
    const std::vector<std::string> told = ToldBefore(crew, sentinel.name(), c.name());
    for (const std::string& t : told) UNSCOPED_INFO("told: " << t);
    CHECK(told.empty());
  }
}

TEST_CASE("A crew hears nothing more of a case once it is closed") {
  struct Row {
    const char* what;
    bool crew_resolves;  // else the member cancels
  };
  const Row rows[] = {{"resolved by the crew", true}, {"cancelled by the member", false}};
  for (const Row& row : rows) {
    INFO("the case " << row.what);
    TestServer server(absl::Minutes(5));
    const std::string alice = server.Token("member", "alice");
    Crew crew(server, "r1");
    REQUIRE(crew.GoOnDuty(v1::CAPABILITY_TOW, 52.3766, 4.9041).ok());
    crew.Subscribe();
    const v1::Case c = Raise(server, alice, "help");
    REQUIRE(crew.NextOffer().has_value());
    v1::Case assigned;
    REQUIRE(crew.Accept(c.name(), &assigned).ok());
    // Assigned: it has the member's contact and location.
    CHECK(assigned.member() == "members/alice");
    CHECK(assigned.has_location());
    std::optional<v1::ResponderUpdate> update;
    do {
      update = crew.Next();
      REQUIRE(update.has_value());
    } while (!update->has_assignment());

    if (row.crew_resolves) {
      REQUIRE(crew.Progress(c.name(), v1::CASE_STATE_RESOLVED).ok());
    } else {
      v1::CancelCaseRequest cancel;
      cancel.set_name(c.name());
      v1::Case cancelled;
      REQUIRE(server.Alerts()->CancelCase(Call(alice).get(), cancel, &cancelled).ok());
    }
    // The closing event itself is the crew's notice that the case is over.
    do {
      update = crew.Next();
      REQUIRE(update.has_value());
    } while (
        !(update->has_case_event() && update->case_event().state() >= v1::CASE_STATE_RESOLVED));
    server.server().SettleDispatch();

    // After it: the member's rating (with its comment) is not pushed, the
    // case is not resent on reconnect, and the case's calls tell nothing.
    v1::RateCaseRequest rate;
    rate.set_name(c.name());
    rate.set_stars(2);
    rate.set_comment("my phone number is 06-12345678, call me");
    v1::Case rated;
    REQUIRE(server.Alerts()->RateCase(Call(alice).get(), rate, &rated).ok());
    CHECK(MoveMember(server, alice, c.name()).error_code() == grpc::FAILED_PRECONDITION);
    v1::PostMessageRequest message;
    message.set_case_(c.name());
    message.set_text("still there?");
    v1::CaseEvent posted;
    CHECK(crew.stub().PostMessage(Call(crew.token()).get(), message, &posted).error_code() !=
          grpc::OK);
    CHECK_FALSE(posted.has_message_posted());
    crew.Subscribe();  // reconnect
    const v1::Case sentinel = Raise(server, server.Token("member", "bob"), "sentinel");
    const std::vector<std::string> told = ToldBefore(crew, sentinel.name(), c.name());
    for (const std::string& t : told) UNSCOPED_INFO("told: " << t);
    CHECK(told.empty());
  }
}

TEST_CASE("Not being entitled to a case looks exactly like the case not existing") {
  Scene scene;
  auto alerts = scene.server().Alerts();
  auto crews = scene.server().Responders();
  const std::string missing = "cases/0000000000000000000000000000000000000000000000";
  using Probe = std::function<grpc::Status(const std::string& name, Principal)>;
  struct Row {
    const char* rpc;
    Principal who;
    Service service;
    Probe probe;
  };
  const auto ctx = [&](Principal p, Service s) { return scene.Context(p, s); };
  const std::vector<Row> rows = {
      {"AlertService.GetCase", Principal::kMemberB, Service::kAlert,
       [&](const std::string& name, Principal p) {
         v1::GetCaseRequest r;
         r.set_name(name);
         v1::Case c;
         return alerts->GetCase(ctx(p, Service::kAlert).get(), r, &c);
       }},
      {"AlertService.UpdateCaseLocation", Principal::kMemberB, Service::kAlert,
       [&](const std::string& name, Principal p) {
         v1::UpdateCaseLocationRequest r;
         r.set_name(name);
         *r.mutable_location() = Alert("x").location();
         v1::Case c;
         return alerts->UpdateCaseLocation(ctx(p, Service::kAlert).get(), r, &c);
       }},
      {"AlertService.CancelCase", Principal::kMemberB, Service::kAlert,
       [&](const std::string& name, Principal p) {
         v1::CancelCaseRequest r;
         r.set_name(name);
         v1::Case c;
         return alerts->CancelCase(ctx(p, Service::kAlert).get(), r, &c);
       }},
      {"AlertService.PostMessage", Principal::kMemberB, Service::kAlert,
       [&](const std::string& name, Principal p) {
         v1::PostMessageRequest r;
         r.set_case_(name);
         r.set_text("hi");
         v1::CaseEvent e;
         return alerts->PostMessage(ctx(p, Service::kAlert).get(), r, &e);
       }},
      {"AlertService.RateCase", Principal::kMemberB, Service::kAlert,
       [&](const std::string& name, Principal p) {
         v1::RateCaseRequest r;
         r.set_name(name);
         r.set_stars(1);
         v1::Case c;
         return alerts->RateCase(ctx(p, Service::kAlert).get(), r, &c);
       }},
      {"AlertService.WatchCase", Principal::kMemberB, Service::kAlert,
       [&](const std::string& name, Principal p) {
         v1::WatchCaseRequest r;
         r.set_name(name);
         auto context = ctx(p, Service::kAlert);
         auto reader = alerts->WatchCase(context.get(), r);
         v1::CaseEvent e;
         while (reader->Read(&e)) {
         }
         return reader->Finish();
       }},
      {"ResponderService.AcceptOffer", Principal::kUnrelated, Service::kResponder,
       [&](const std::string& name, Principal p) {
         v1::AcceptOfferRequest r;
         r.set_case_(name);
         v1::Case c;
         return crews->AcceptOffer(ctx(p, Service::kResponder).get(), r, &c);
       }},
      {"ResponderService.DeclineOffer", Principal::kUnrelated, Service::kResponder,
       [&](const std::string& name, Principal p) {
         v1::DeclineOfferRequest r;
         r.set_case_(name);
         v1::DeclineOfferResponse out;
         return crews->DeclineOffer(ctx(p, Service::kResponder).get(), r, &out);
       }},
      {"ResponderService.UpdateProgress", Principal::kUnrelated, Service::kResponder,
       [&](const std::string& name, Principal p) {
         v1::UpdateProgressRequest r;
         r.set_case_(name);
         r.set_state(v1::CASE_STATE_ON_SCENE);
         v1::Case c;
         return crews->UpdateProgress(ctx(p, Service::kResponder).get(), r, &c);
       }},
      {"ResponderService.PostMessage", Principal::kUnrelated, Service::kResponder,
       [&](const std::string& name, Principal p) {
         v1::PostMessageRequest r;
         r.set_case_(name);
         r.set_text("hi");
         v1::CaseEvent e;
         return crews->PostMessage(ctx(p, Service::kResponder).get(), r, &e);
       }},
  };
  const std::string targets[] = {scene.closed_case(), scene.assigned_case(), scene.offered_case()};
  for (const Row& row : rows) {
    const grpc::Status absent = row.probe(missing, row.who);
    // Messages name the case asked about (as "cases/{id}" or the bare id).
    const auto words = [](const grpc::Status& status, const std::string& name) {
      return absl::StrReplaceAll(status.error_message(),
                                 {{name, "<case>"}, {name.substr(6), "<id>"}});
    };
    const std::string absent_words = words(absent, missing);
    for (const std::string& target : targets) {
      INFO(row.rpc << " by " << PrincipalName(row.who) << " on " << target);
      const grpc::Status got = row.probe(target, row.who);
      CHECK(got.error_code() == absent.error_code());
      CHECK(words(got, target) == absent_words);
    }
  }
}

// The 128-bit random part of a case id (after the 14 hex digits of time),
// as two 64-bit halves.
std::pair<uint64_t, uint64_t> RandomPart(const std::string& id) {
  REQUIRE(id.size() == 46);
  uint64_t high = 0;
  uint64_t low = 0;
  REQUIRE(absl::SimpleHexAtoi(id.substr(14, 16), &high));
  REQUIRE(absl::SimpleHexAtoi(id.substr(30, 16), &low));
  return {high, low};
}

// Checks that the random parts look like independent uniform bits: all
// distinct, every bit position set in about half of them, and no id a
// small step from the one before.
void CheckUnpredictable(const std::vector<std::string>& ids, double tolerance) {
  std::set<std::pair<uint64_t, uint64_t>> seen;
  std::vector<int> ones(128, 0);
  std::pair<uint64_t, uint64_t> previous{0, 0};
  int small_steps = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto part = RandomPart(ids[i]);
    CHECK(seen.insert(part).second);
    for (int b = 0; b < 64; ++b) {
      ones[b] += (part.first >> b) & 1;
      ones[64 + b] += (part.second >> b) & 1;
    }
    // Sequential or counter-like ids differ by little in their high half.
    const uint64_t step =
        part.first > previous.first ? part.first - previous.first : previous.first - part.first;
    if (i > 0 && step < (uint64_t{1} << 40)) ++small_steps;
    previous = part;
  }
  CHECK(small_steps == 0);
  const double n = static_cast<double>(ids.size());
  for (int b = 0; b < 128; ++b) {
    INFO("bit " << b << " set in " << ones[b] << " of " << ids.size());
    CHECK(std::abs(ones[b] / n - 0.5) < tolerance);
  }
}

TEST_CASE("Case ids carry 128 unpredictable bits") {
  // The generator itself, 20,000 times: per-bit frequency within 0.5 +- 0.03
  // (more than 8 standard deviations).
  std::vector<std::string> generated;
  for (int i = 0; i < 20000; ++i) generated.push_back(server::NewCaseId(absl::Now()));
  CheckUnpredictable(generated, 0.03);
  // No random part is handed out twice, within a thread or across threads
  // (each draws from OpenSSL into a buffer of its own).
  std::vector<std::string> elsewhere;
  std::thread other([&] {
    for (int i = 0; i < 20000; ++i) elsewhere.push_back(server::NewCaseId(absl::Now()));
  });
  other.join();
  std::set<std::string> random_parts;
  for (const auto* ids : {&generated, &elsewhere}) {
    for (const std::string& id : *ids) random_parts.insert(id.substr(14));
  }
  CHECK(random_parts.size() == 40000);

  // And the ids the server hands out to 200 members (one each: a member
  // pressing again joins their open case).
  TestServer server;
  std::vector<std::string> ids;
  for (int i = 0; i < 200; ++i) {
    const v1::Case c = Raise(server, server.Token("member", absl::StrCat("member-", i)), "press");
    REQUIRE(c.name().rfind("cases/", 0) == 0);
    ids.push_back(c.name().substr(6));
    // The prefix is the case's own create_time.
    CHECK(ids.back().substr(0, 14) ==
          server::NewCaseId(absl::FromUnixMicros(c.create_time().seconds() * 1'000'000 +
                                                 c.create_time().nanos() / 1000))
              .substr(0, 14));
  }
  // 200 samples: within 0.5 +- 0.25 (7 standard deviations).
  CheckUnpredictable(ids, 0.25);
  // The time prefix orders them by age.
  for (size_t i = 1; i < ids.size(); ++i) CHECK(ids[i - 1].substr(0, 14) <= ids[i].substr(0, 14));
}

TEST_CASE("A case id starts with its creation time and always has 46 digits") {
  struct Row {
    absl::Time created;
    const char* prefix;
  };
  const Row rows[] = {
      {absl::FromUnixMicros(1'796'169'600'000'000), "06619b52f6e000"},  // 2026-12-02
      {absl::UnixEpoch(), "00000000000000"},
      {absl::FromUnixMicros(1), "00000000000001"},
      // A clock wrong by more than the id can say: the nearest it can.
      {absl::UnixEpoch() - absl::Hours(1), "00000000000000"},
      {absl::InfinitePast(), "00000000000000"},
      {absl::InfiniteFuture(), "ffffffffffffff"},
  };
  for (const Row& row : rows) {
    const std::string id = server::NewCaseId(row.created);
    INFO(absl::FormatTime(row.created) << " -> " << id);
    CHECK(id.size() == 46);
    CHECK(id.substr(0, 14) == row.prefix);
  }
}

}  // namespace
}  // namespace mayday::testing
