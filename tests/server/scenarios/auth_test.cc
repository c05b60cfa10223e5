// Identity: who may call what, and who sees which case. Real server, real
// tokens.
#include <catch2/catch.hpp>
#include <string>

#include "auth/token.h"
#include "crew.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

TEST_CASE("Tokens are stored hashed") {
  TestServer server;
  const std::string token = server.Token("member", "alice");
  CHECK(token.rfind("mdy_", 0) == 0);
  CHECK(token.size() == 4 + 64);
  auto by_hash = server.server().store().FindToken(server::HashToken(token));
  REQUIRE(by_hash.ok());
  CHECK(by_hash->subject == "alice");
  CHECK(server.server().store().FindToken(token).status().code() == absl::StatusCode::kNotFound);
  // SHA-256("abc"), the FIPS 180-2 test vector.
  CHECK(server::HashToken("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("Missing or wrong credentials are UNAUTHENTICATED") {
  TestServer server;
  auto alerts = server.Alerts();
  struct Row {
    const char* what;
    const char* header;  // nullptr: no metadata at all
  };
  const Row rows[] = {{"no metadata", nullptr},
                      {"no scheme", "mdy_0000"},
                      {"empty bearer", "Bearer "},
                      {"unknown token", "Bearer mdy_not-a-real-token"}};
  for (const Row& row : rows) {
    INFO("row: " << row.what);
    grpc::ClientContext context;
    if (row.header != nullptr) context.AddMetadata("authorization", row.header);
    mayday::v1::Case reply;
    auto status = alerts->RaiseAlert(&context, Alert("p1"), &reply);
    CHECK(status.error_code() == grpc::UNAUTHENTICATED);
  }
}

TEST_CASE("Each service takes only its own role") {
  TestServer server;
  const std::string member = server.Token("member", "alice");
  const std::string responder = server.Token("responder", "r1");
  const std::string op = server.Token("operator", "agent");
  mayday::v1::Case c;

  auto status = server.Alerts()->RaiseAlert(Call(responder).get(), Alert("p1"), &c);
  CHECK(status.error_code() == grpc::PERMISSION_DENIED);
  CHECK_THAT(status.error_message(), Catch::Contains("needs a member token"));
  CHECK(server.Alerts()->RaiseAlert(Call(op).get(), Alert("p1"), &c).error_code() ==
        grpc::PERMISSION_DENIED);

  mayday::v1::ListAllCasesRequest list_all;
  mayday::v1::ListCasesResponse listed;
  CHECK(server.Operators()->ListCases(Call(member).get(), list_all, &listed).error_code() ==
        grpc::PERMISSION_DENIED);
  CHECK(server.Operators()->ListCases(Call(op).get(), list_all, &listed).ok());

  mayday::v1::SetDutyRequest duty;
  duty.set_on_duty(true);
  duty.add_capabilities(mayday::v1::CAPABILITY_TOW);
  mayday::v1::Responder r;
  CHECK(server.Responders()->SetDuty(Call(member).get(), duty, &r).error_code() ==
        grpc::PERMISSION_DENIED);
  // Nothing was stored by the refused calls.
  CHECK(listed.cases_size() == 0);
}

TEST_CASE("A member sees and changes only its own cases") {
  TestServer server;
  const std::string alice = server.Token("member", "alice");
  const std::string bob = server.Token("member", "bob");
  auto alerts = server.Alerts();
  mayday::v1::Case alices;
  REQUIRE(alerts->RaiseAlert(Call(alice).get(), Alert("p1"), &alices).ok());
  CHECK(alices.member() == "members/alice");

  mayday::v1::GetCaseRequest get;
  get.set_name(alices.name());
  mayday::v1::Case c;
  auto status = alerts->GetCase(Call(bob).get(), get, &c);
  CHECK(status.error_code() == grpc::NOT_FOUND);

  mayday::v1::CancelCaseRequest cancel;
  cancel.set_name(alices.name());
  CHECK(alerts->CancelCase(Call(bob).get(), cancel, &c).error_code() == grpc::NOT_FOUND);

  mayday::v1::WatchCaseRequest watch;
  watch.set_name(alices.name());
  auto context = Call(bob);
  auto reader = alerts->WatchCase(context.get(), watch);
  mayday::v1::CaseEvent event;
  CHECK_FALSE(reader->Read(&event));
  CHECK(reader->Finish().error_code() == grpc::NOT_FOUND);

  mayday::v1::ListCasesRequest list;
  mayday::v1::ListCasesResponse listed;
  REQUIRE(alerts->ListCases(Call(bob).get(), list, &listed).ok());
  CHECK(listed.cases_size() == 0);

  // Same request_id from another member is another case.
  mayday::v1::Case bobs;
  REQUIRE(alerts->RaiseAlert(Call(bob).get(), Alert("p1"), &bobs).ok());
  CHECK(bobs.name() != alices.name());

  // Alice's case is untouched.
  REQUIRE(alerts->GetCase(Call(alice).get(), get, &c).ok());
  CHECK(c.state() != mayday::v1::CASE_STATE_CANCELLED);
  CHECK(c.cancel_reason().empty());
}

TEST_CASE("A responder acts on a case only while offered or assigned") {
  TestServer server;
  const std::string alice = server.Token("member", "alice");
  Crew near(server, "near");
  Crew other(server, "other");
  REQUIRE(near.GoOnDuty(mayday::v1::CAPABILITY_TOW, 52.37, 4.90).ok());
  near.Subscribe();
  mayday::v1::Case opened;
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("p1"), &opened).ok());
  auto offer = near.NextOffer();
  REQUIRE(offer.has_value());
  CHECK(offer->case_() == opened.name());
  CHECK(offer->note() == "blue car, hazard lights on");

  // The other responder holds no offer: it can neither take nor move it.
  CHECK(other.Accept(opened.name()).error_code() == grpc::FAILED_PRECONDITION);
  CHECK(other.Progress(opened.name(), mayday::v1::CASE_STATE_EN_ROUTE).error_code() ==
        grpc::NOT_FOUND);
  // Holding an offer is not being assigned.
  CHECK(near.Progress(opened.name(), mayday::v1::CASE_STATE_EN_ROUTE).error_code() ==
        grpc::NOT_FOUND);
  REQUIRE(near.Accept(opened.name()).ok());
  CHECK(other.Progress(opened.name(), mayday::v1::CASE_STATE_ON_SCENE).error_code() ==
        grpc::NOT_FOUND);
  CHECK(near.Progress(opened.name(), mayday::v1::CASE_STATE_ON_SCENE).ok());
}

}  // namespace
}  // namespace mayday::testing
