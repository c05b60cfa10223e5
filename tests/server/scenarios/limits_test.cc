// Resource limits against a real in-process maydayd: rate limits on the
// chatty calls (and never on an emergency), stream caps that end the oldest
// stream, and position reports that reach dispatch without a round each.
#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <vector>

#include "crew.h"
#include "dispatcher/dispatcher.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

namespace v1 = mayday::v1;

// Limits no test can refill: a burst of `burst`, then one call per 100 s.
server::RateLimit Tiny(double burst) { return {.per_second = 0.01, .burst = burst}; }

void TinyLimits(server::ServerOptions& options) {
  options.rate_limits.member_reads = Tiny(2);
  options.rate_limits.member_updates = Tiny(2);
  options.rate_limits.responder_updates = Tiny(2);
  options.rate_limits.staff_reads = Tiny(2);
  options.rate_limits.staff_updates = Tiny(2);
}

// The case as stored, read without any RPC (so without spending a budget).
v1::Case Stored(TestServer& server, const std::string& name) {
  auto c = server.server().store().GetCase(name.substr(std::string("cases/").size()));
  REQUIRE(c.ok());
  return *c;
}

TEST_CASE("Chatty calls over their limit get RESOURCE_EXHAUSTED and change nothing") {
  TestServer server(TinyLimits);
  const std::string alice = server.Token("member", "alice");
  const std::string bob = server.Token("member", "bob");
  const std::string agent = server.Token("operator", "desk-1");
  Crew crew(server, "tow-1");
  v1::Case opened;
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("a"), &opened).ok());
  server.server().SettleDispatch();

  const auto post = [&](const std::string& token, auto& stub) {
    v1::PostMessageRequest m;
    m.set_case_(opened.name());
    m.set_text("hello");
    v1::CaseEvent e;
    return stub.PostMessage(Call(token).get(), m, &e);
  };
  const auto alerts = server.Alerts();
  const auto operators = server.Operators();
  struct Row {
    const char* rpc;
    const char* who;
    std::function<grpc::Status()> call;
  };
  const std::vector<Row> rows = {
      {"GetCase", "members/alice",
       [&] {
         v1::GetCaseRequest r;
         r.set_name(opened.name());
         v1::Case c;
         return alerts->GetCase(Call(alice).get(), r, &c);
       }},
      {"PostMessage", "members/alice", [&] { return post(alice, *alerts); }},
      {"SetDuty", "responders/tow-1",
       [&] {
         v1::SetDutyRequest r;
         r.set_on_duty(true);
         r.add_capabilities(v1::CAPABILITY_TOW);
         v1::Responder out;
         return crew.stub().SetDuty(Call(crew.token()).get(), r, &out);
       }},
      {"ListCaseEvents", "operators/desk-1",
       [&] {
         v1::ListCaseEventsRequest r;
         r.set_parent(opened.name());
         v1::ListCaseEventsResponse out;
         return operators->ListCaseEvents(Call(agent).get(), r, &out);
       }},
      {"CreateCaseNote", "operators/desk-1",
       [&] {
         v1::CreateCaseNoteRequest r;
         r.set_parent(opened.name());
         r.set_text("note");
         v1::CaseNote out;
         return operators->CreateCaseNote(Call(agent).get(), r, &out);
       }},
  };
  for (const Row& row : rows) {
    INFO(row.rpc);
    // The burst of 2 is allowed, the third call refused.
    REQUIRE(row.call().ok());
    REQUIRE(row.call().ok());
    const int64_t sequence = Stored(server, opened.name()).last_sequence();
    const grpc::Status refused = row.call();
    CHECK(refused.error_code() == grpc::RESOURCE_EXHAUSTED);
    INFO(refused.error_message());
    CHECK(refused.error_message().find(std::string("too many ") + row.rpc + " calls from " +
                                       row.who) != std::string::npos);
    CHECK(refused.error_message().find("retry in") != std::string::npos);
    CHECK(Stored(server, opened.name()).last_sequence() == sequence);
  }

  // The bucket is shared by the class: alice's location update and rating
  // are refused too, before validation (a bad location is not looked at),
  // and her case does not move.
  v1::UpdateCaseLocationRequest move;
  move.set_name(opened.name());
  move.mutable_location()->set_latitude(200);  // invalid, but never validated
  v1::Case moved;
  CHECK(alerts->UpdateCaseLocation(Call(alice).get(), move, &moved).error_code() ==
        grpc::RESOURCE_EXHAUSTED);
  CHECK(Stored(server, opened.name()).location().latitude() ==
        Approx(opened.location().latitude()));
  // Only two notes were written.
  auto notes = server.server().store().ListNotes(opened.name().substr(6));
  REQUIRE(notes.ok());
  CHECK(notes->size() == 2);
  // Other principals have their own budgets.
  v1::ListCasesRequest list;
  v1::ListCasesResponse page;
  CHECK(alerts->ListCases(Call(bob).get(), list, &page).ok());
}

TEST_CASE("A bad token is UNAUTHENTICATED, not RESOURCE_EXHAUSTED, and spends no budget") {
  TestServer server(TinyLimits);
  const std::string alice = server.Token("member", "alice");
  const std::string agent = server.Token("operator", "desk-1");
  const auto alerts = server.Alerts();
  v1::ListCasesRequest list;
  v1::ListCasesResponse page;
  for (int i = 0; i < 20; ++i) {
    CHECK(alerts->ListCases(Call("mdy_not-a-token").get(), list, &page).error_code() ==
          grpc::UNAUTHENTICATED);
    CHECK(alerts->ListCases(Call("").get(), list, &page).error_code() == grpc::UNAUTHENTICATED);
    // The wrong role is PERMISSION_DENIED, however often.
    CHECK(alerts->ListCases(Call(agent).get(), list, &page).error_code() ==
          grpc::PERMISSION_DENIED);
  }
  // Alice's own burst is intact, then spent.
  CHECK(alerts->ListCases(Call(alice).get(), list, &page).ok());
  CHECK(alerts->ListCases(Call(alice).get(), list, &page).ok());
  CHECK(alerts->ListCases(Call(alice).get(), list, &page).error_code() == grpc::RESOURCE_EXHAUSTED);
  // Still UNAUTHENTICATED for a bad token, not limited.
  CHECK(alerts->ListCases(Call("mdy_not-a-token").get(), list, &page).error_code() ==
        grpc::UNAUTHENTICATED);
}

TEST_CASE("Raising, cancelling and answering an emergency are never rate limited") {
  TestServer server(TinyLimits);
  const std::string alice = server.Token("member", "alice");
  const std::string agent = server.Token("operator", "desk-1");
  Crew crew(server, "tow-1");
  REQUIRE(crew.GoOnDuty(v1::CAPABILITY_TOW, 52.3676, 4.9041).ok());
  crew.Subscribe();
  const auto alerts = server.Alerts();
  const auto operators = server.Operators();

  // Spend every chatty budget of the three principals first.
  for (int i = 0; i < 5; ++i) {
    v1::ListCasesRequest list;
    v1::ListCasesResponse page;
    (void)alerts->ListCases(Call(alice).get(), list, &page);
    v1::UpdateCaseLocationRequest move;
    v1::Case moved;
    (void)alerts->UpdateCaseLocation(Call(alice).get(), move, &moved);
    v1::ListRespondersRequest responders;
    v1::ListRespondersResponse listed;
    (void)operators->ListResponders(Call(agent).get(), responders, &listed);
    v1::PostMessageRequest message;
    v1::CaseEvent posted;
    (void)operators->PostMessage(Call(agent).get(), message, &posted);
    (void)crew.stub().PostMessage(Call(crew.token()).get(), message, &posted);
  }

  v1::Case first;
  REQUIRE(alerts->RaiseAlert(Call(alice).get(), Alert("first"), &first).ok());
  auto offer = crew.NextOffer();
  REQUIRE(offer.has_value());
  // Bob's (a second road case of alice's would be her first).
  const std::string bob = server.Token("member", "bob");
  v1::Case second;
  REQUIRE(alerts->RaiseAlert(Call(bob).get(), Alert("second"), &second).ok());
  server.server().SettleDispatch();

  constexpr int kTimes = 30;  // 15 times the bursts
  struct Row {
    const char* rpc;
    std::function<grpc::Status(int)> call;
    // Whether the case flow above makes it succeed at least once (others may
    // all be refused by the case's rules, depending on what dispatch did).
    bool succeeds = true;
  };
  const std::vector<Row> rows = {
      {"RaiseAlert (retried)",
       [&](int) {
         v1::Case c;
         return alerts->RaiseAlert(Call(alice).get(), Alert("first"), &c);
       }},
      {"RaiseAlert (new)",
       [&](int i) {
         v1::Case c;
         return alerts->RaiseAlert(Call(alice).get(), Alert("new-" + std::to_string(i)), &c);
       }},
      {"AcceptOffer", [&](int) { return crew.Accept(first.name()); }},
      {"UpdateProgress", [&](int) { return crew.Progress(first.name(), v1::CASE_STATE_EN_ROUTE); }},
      {"DeclineOffer", [&](int) { return crew.Decline(second.name()); }, false},
      {"TakeCase",
       [&](int) {
         v1::TakeCaseRequest r;
         r.set_name(second.name());
         v1::Case c;
         return operators->TakeCase(Call(agent).get(), r, &c);
       }},
      {"EscalateCase",
       [&](int) {
         v1::EscalateCaseRequest r;
         r.set_name(second.name());
         r.set_reason("needs a heavy tow");
         v1::Case c;
         return operators->EscalateCase(Call(agent).get(), r, &c);
       },
       false},
      {"ReleaseCase",
       [&](int) {
         v1::ReleaseCaseRequest r;
         r.set_name(second.name());
         v1::Case c;
         return operators->ReleaseCase(Call(agent).get(), r, &c);
       }},
      {"AssignCase",
       [&](int) {
         v1::AssignCaseRequest r;
         r.set_name(second.name());
         r.set_responder(crew.name());
         v1::Case c;
         return operators->AssignCase(Call(agent).get(), r, &c);
       },
       false},
      {"ResolveCase (operator)",
       [&](int) {
         v1::ResolveCaseRequest r;
         r.set_name(first.name());
         v1::Case c;
         return operators->ResolveCase(Call(agent).get(), r, &c);
       }},
      {"CancelCase (operator)",
       [&](int) {
         v1::CancelCaseRequest r;
         r.set_name(second.name());
         v1::Case c;
         return operators->CancelCase(Call(agent).get(), r, &c);
       }},
      {"CancelCase (member)",
       [&](int) {
         v1::CancelCaseRequest r;
         r.set_name(second.name());
         v1::Case c;
         return alerts->CancelCase(Call(bob).get(), r, &c);
       },
       false},
  };
  for (const Row& row : rows) {
    int ok = 0;
    for (int i = 0; i < kTimes; ++i) {
      const grpc::Status status = row.call(i);
      INFO(row.rpc << " call " << i << ": " << status.error_code() << " "
                   << status.error_message());
      REQUIRE(status.error_code() != grpc::RESOURCE_EXHAUSTED);
      ok += status.ok() ? 1 : 0;
    }
    INFO(row.rpc);
    // It did its job (the repeats are refused by the case's rules, which is
    // what a client would hear without any limit).
    if (row.succeeds) CHECK(ok >= 1);
  }
}

// Reads `reader` until an event satisfying `want` arrives; false if it ends.
bool ReadUntil(grpc::ClientReader<v1::CaseEvent>& reader,
               const std::function<bool(const v1::CaseEvent&)>& want) {
  v1::CaseEvent e;
  while (reader.Read(&e)) {
    if (want(e)) return true;
  }
  return false;
}

TEST_CASE("A stream beyond the principal's cap ends its oldest stream, the newest works") {
  TestServer server([](server::ServerOptions& options) {
    options.stream_caps.watch_case_per_member = 2;
    options.stream_caps.watch_cases_per_operator = 1;
    options.stream_caps.report_location_per_responder = 1;
  });
  const std::string alice = server.Token("member", "alice");
  const std::string agent = server.Token("operator", "desk-1");
  v1::Case opened;
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("a"), &opened).ok());
  const auto post = [&](const std::string& text) {
    v1::PostMessageRequest m;
    m.set_case_(opened.name());
    m.set_text(text);
    v1::CaseEvent e;
    REQUIRE(server.Operators()->PostMessage(Call(agent).get(), m, &e).ok());
  };
  const auto is = [](const std::string& text) {
    return [text](const v1::CaseEvent& e) {
      return e.has_message_posted() && e.message_posted().text() == text;
    };
  };

  SECTION("WatchCase: 2 per member") {
    const auto alerts = server.Alerts();
    std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
    std::vector<std::unique_ptr<grpc::ClientReader<v1::CaseEvent>>> streams;
    v1::WatchCaseRequest watch;
    watch.set_name(opened.name());
    for (int i = 0; i < 3; ++i) {
      contexts.push_back(Call(alice));
      streams.push_back(alerts->WatchCase(contexts.back().get(), watch));
      // Its replay arrived: the server counts it, in this order.
      REQUIRE(ReadUntil(*streams.back(), [](const v1::CaseEvent& e) { return e.sequence() == 1; }));
    }
    v1::CaseEvent e;
    while (streams[0]->Read(&e)) {
    }
    const grpc::Status ended = streams[0]->Finish();
    CHECK(ended.error_code() == grpc::RESOURCE_EXHAUSTED);
    CHECK(ended.error_message().find(
              "replaced by a newer WatchCase stream of members/alice: at most 2") !=
          std::string::npos);
    post("to the newest two");
    CHECK(ReadUntil(*streams[1], is("to the newest two")));
    CHECK(ReadUntil(*streams[2], is("to the newest two")));
    for (auto& c : contexts) c->TryCancel();
  }

  SECTION("WatchCases: 1 per operator") {
    const auto operators = server.Operators();
    v1::WatchCasesRequest all;
    auto first_context = Call(agent);
    auto first = operators->WatchCases(first_context.get(), all);
    // The feed is live once its initial metadata arrive.
    first->WaitForInitialMetadata();
    post("one");
    REQUIRE(ReadUntil(*first, is("one")));
    auto second_context = Call(agent);
    auto second = operators->WatchCases(second_context.get(), all);
    second->WaitForInitialMetadata();
    post("two");
    REQUIRE(ReadUntil(*second, is("two")));
    v1::CaseEvent e;
    while (first->Read(&e)) {
    }
    const grpc::Status ended = first->Finish();
    CHECK(ended.error_code() == grpc::RESOURCE_EXHAUSTED);
    CHECK(ended.error_message().find("newer WatchCases stream of operators/desk-1") !=
          std::string::npos);
    second_context->TryCancel();
  }

  SECTION("ReportLocation: 1 per responder") {
    Crew crew(server, "tow-1");
    REQUIRE(crew.GoOnDuty(v1::CAPABILITY_TOW, 52.0, 5.0).ok());
    const auto where = [&] {
      v1::GetResponderRequest r;
      r.set_name(crew.name());
      v1::Responder out;
      REQUIRE(server.Operators()->GetResponder(Call(agent).get(), r, &out).ok());
      return out.location().latitude();
    };
    const auto report = [](grpc::ClientWriter<v1::ReportLocationRequest>& w, double latitude) {
      v1::ReportLocationRequest r;
      r.mutable_location()->set_latitude(latitude);
      r.mutable_location()->set_longitude(5.0);
      return w.Write(r);
    };
    const auto wait_for = [&](double latitude) {
      const absl::Time deadline = absl::Now() + absl::Seconds(5);
      while (where() != Approx(latitude) && absl::Now() < deadline) {
        absl::SleepFor(absl::Milliseconds(10));
      }
      return where() == Approx(latitude);
    };
    auto old_context = Call(crew.token());
    v1::ReportLocationResponse old_reply;
    auto old_stream = crew.stub().ReportLocation(old_context.get(), &old_reply);
    REQUIRE(report(*old_stream, 52.001));
    REQUIRE(wait_for(52.001));
    auto new_context = Call(crew.token());
    v1::ReportLocationResponse new_reply;
    auto new_stream = crew.stub().ReportLocation(new_context.get(), &new_reply);
    REQUIRE(report(*new_stream, 52.002));
    REQUIRE(wait_for(52.002));
    const grpc::Status ended = old_stream->Finish();
    CHECK(ended.error_code() == grpc::RESOURCE_EXHAUSTED);
    CHECK(ended.error_message().find("newer ReportLocation stream of responders/tow-1") !=
          std::string::npos);
    REQUIRE(report(*new_stream, 52.003));
    new_stream->WritesDone();
    CHECK(new_stream->Finish().ok());
    CHECK(new_reply.accepted_count() == 2);
    CHECK(where() == Approx(52.003));
  }
}

TEST_CASE(
    "A crew's frequent reports are held, and the latest reaches dispatch within the interval") {
  base::ManualClock clock(absl::Now());
  TestServer server([&](server::ServerOptions& options) {
    options.clock = &clock;
    options.positions.interval = absl::Seconds(1);
  });
  const std::string agent = server.Token("operator", "desk-1");
  Crew crew(server, "tow-1"), other(server, "tow-2");
  server::Dispatcher& dispatcher = server.server().dispatcher();
  // The dispatch thread applies held reports on its own only when one is
  // urgent or due (the clock here stands still unless the test moves it).
  auto applied_by_dispatch = [&] {
    for (int i = 0; i < 500; ++i) {
      if (dispatcher.HeldPositionCount() == 0) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  };
  auto same_duty = [&](Crew& c) {
    v1::SetDutyRequest duty;
    duty.set_on_duty(true);
    duty.add_capabilities(v1::CAPABILITY_TOW);
    v1::Responder reply;
    return c.stub().SetDuty(Call(c.token()).get(), duty, &reply).ok();
  };
  // The first report after coming on duty is urgent: the dispatch thread
  // applies it without waiting for the interval.
  REQUIRE(crew.GoOnDuty(v1::CAPABILITY_TOW, 52.0, 5.0).ok());
  REQUIRE(other.GoOnDuty(v1::CAPABILITY_TOW, 40.0, 3.0).ok());
  CHECK(applied_by_dispatch());

  // 200 reports within 100 m: one held report, the newest, and no round.
  std::vector<std::pair<double, double>> wander;
  for (int i = 1; i <= 200; ++i) wander.emplace_back(52.0 + (i % 10) * 0.00005, 5.0);
  wander.emplace_back(52.0007, 5.0);
  REQUIRE(crew.Report(wander).ok());
  CHECK(dispatcher.HeldPositionCount() == 1);

  // A round before the report is due (another crew's SetDuty runs one)
  // leaves it held...
  clock.Advance(absl::Milliseconds(999));
  REQUIRE(same_duty(other));
  CHECK(dispatcher.HeldPositionCount() == 1);
  // ... and the first round once it is due applies it: the bound is the
  // interval, on the server's clock.
  clock.Advance(absl::Milliseconds(1));
  REQUIRE(same_duty(other));
  CHECK(dispatcher.HeldPositionCount() == 0);
  v1::GetResponderRequest get;
  get.set_name(crew.name());
  v1::Responder seen;
  REQUIRE(server.Operators()->GetResponder(Call(agent).get(), get, &seen).ok());
  CHECK(seen.location().latitude() == Approx(52.0007));

  // An urgent report (here another crew's first since its SetDuty) takes
  // the held ones with it; a jump is urgent too.
  REQUIRE(crew.Report({{52.0008, 5.0}}).ok());
  REQUIRE(dispatcher.HeldPositionCount() == 1);
  REQUIRE(other.Report({{41.0, 3.0}}).ok());
  CHECK(applied_by_dispatch());
  REQUIRE(crew.Report({{52.1, 5.0}}).ok());
  CHECK(applied_by_dispatch());
  // A held report shows on reads at once.
  REQUIRE(crew.Report({{52.1001, 5.0}}).ok());
  CHECK(dispatcher.HeldPositionCount() == 1);
  REQUIRE(server.Operators()->GetResponder(Call(agent).get(), get, &seen).ok());
  CHECK(seen.location().latitude() == Approx(52.1001));
  CHECK(dispatcher.HeldPositionCount() == 0);
}

TEST_CASE("A crew creeping towards an alert with held reports is offered it") {
  TestServer server;
  const std::string alice = server.Token("member", "alice");
  Crew near(server, "near"), far(server, "far");
  // Both start 30 km from the alert; "far" then creeps 400 m at a time
  // (never a jump) to 500 m from it, its reports held.
  REQUIRE(near.GoOnDuty(v1::CAPABILITY_TOW, 52.3676 + 0.27, 4.9041).ok());
  REQUIRE(far.GoOnDuty(v1::CAPABILITY_TOW, 52.3676 - 0.27, 4.9041).ok());
  near.Subscribe();
  far.Subscribe();
  std::vector<std::pair<double, double>> creep;
  for (double lat = 52.3676 - 0.27; lat < 52.3676 - 0.0045; lat += 0.0035) {
    creep.emplace_back(lat, 4.9041);
  }
  creep.emplace_back(52.3676 - 0.0045, 4.9041);
  REQUIRE(far.Report(creep).ok());
  v1::Case opened;
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("a"), &opened).ok());
  auto offer = far.NextOffer();
  REQUIRE(offer.has_value());
  CHECK(offer->case_() == opened.name());
  // Offered by a position no more than a held step behind the latest.
  CHECK(offer->distance_meters() < 1000);
}

}  // namespace
}  // namespace mayday::testing
