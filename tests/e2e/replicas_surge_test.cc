// Three maydayd on one PostgreSQL, the dispatch holder SIGKILLed in the
// middle of a surge of 200 alerts (issue 19): every acknowledged alert is
// offered and served afterwards, no case is ever offered to two crews at
// once, and no crew ever holds two cases. Crews here do what a responder
// app does, each on a replica of its own (the standbys relay their calls
// to the holder): go on duty, report where they are, keep Subscribe open,
// accept what they are offered and see it through; when the stream breaks,
// they start again, on the next replica if theirs is gone.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "daemon.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "mayday/v1/responder_service.grpc.pb.h"
#include "member_calls.h"
#include "test_postgres.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

bool Dispatches(const std::string& address) {
  return HealthServing(address, "mayday.dispatch", absl::Milliseconds(500));
}

std::vector<std::string> Tokens(const std::string& uri, const std::string& role,
                                const std::string& subject, int count) {
  return CreateTokens(MAYDAYD_BINARY, uri, role, subject, count);
}

// A responder app: on duty near the alerts, serving what it is offered.
class CrewApp {
 public:
  // Starts on replicas[first % replicas.size()].
  CrewApp(std::string token, std::vector<std::string> replicas, size_t first)
      : token_(std::move(token)), replicas_(std::move(replicas)), at_(first % replicas_.size()) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~CrewApp() {
    stop_ = true;
    {
      absl::MutexLock lock(&mu_);
      if (stream_ != nullptr) stream_->TryCancel();
    }
    thread_.join();
  }

 private:
  std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout = absl::Seconds(5)) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization", "Bearer " + token_);
    context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    return context;
  }

  void See(v1::ResponderService::Stub& stub, const std::string& name) {
    for (v1::CaseState state :
         {v1::CASE_STATE_EN_ROUTE, v1::CASE_STATE_ON_SCENE, v1::CASE_STATE_RESOLVED}) {
      v1::UpdateProgressRequest request;
      request.set_case_(name);
      request.set_state(state);
      v1::Case out;
      stub.UpdateProgress(Context().get(), request, &out);  // a step already made fails
    }
  }

  void Loop() {
    while (!stop_) {
      auto stub = v1::ResponderService::NewStub(
          grpc::CreateChannel(replicas_[at_], grpc::InsecureChannelCredentials()));
      v1::SetDutyRequest duty;
      duty.set_on_duty(true);
      duty.add_capabilities(v1::CAPABILITY_AMBULANCE);
      v1::Responder me;
      if (!stub->SetDuty(Context().get(), duty, &me).ok()) {
        // Gone, or dispatch changing hands: the next replica.
        at_ = (at_ + 1) % replicas_.size();
        absl::SleepFor(absl::Milliseconds(50));
        continue;
      }
      {
        auto context = Context();
        v1::ReportLocationResponse reported;
        auto writer = stub->ReportLocation(context.get(), &reported);
        v1::ReportLocationRequest where;
        where.mutable_location()->set_latitude(48.86);
        where.mutable_location()->set_longitude(2.35);
        writer->Write(where);
        writer->WritesDone();
        if (!writer->Finish().ok()) continue;
      }
      auto context = Context(absl::Minutes(5));
      {
        absl::MutexLock lock(&mu_);
        if (stop_) return;
        stream_ = context.get();
      }
      auto updates = stub->Subscribe(context.get(), v1::SubscribeRequest());
      v1::ResponderUpdate update;
      while (updates->Read(&update)) {
        if (update.has_offer()) {
          v1::AcceptOfferRequest accept;
          accept.set_case_(update.offer().case_());
          v1::Case taken;
          stub->AcceptOffer(Context().get(), accept, &taken);
        } else if (update.has_assignment()) {
          See(*stub, update.assignment().name());
        }
      }
      updates->Finish();
      absl::MutexLock lock(&mu_);
      stream_ = nullptr;
    }
  }

  const std::string token_;
  const std::vector<std::string> replicas_;
  size_t at_;  // the replica used now; the crew's thread only
  std::atomic<bool> stop_{false};
  absl::Mutex mu_;
  grpc::ClientContext* stream_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread thread_;
};

TEST_CASE("Replicas: the dispatch holder SIGKILLed mid-surge, every alert served, none twice") {
  constexpr int kAlerts = 200;
  constexpr int kCrews = 10;
  const std::string uri = NewTestDatabase();
  std::vector<std::unique_ptr<Daemon>> replicas = StartReplicas(MAYDAYD_BINARY, uri, 3);
  const std::vector<std::string> addresses = Addresses(replicas);
  int holder = -1;
  for (const absl::Time give_up = absl::Now() + absl::Seconds(10);
       holder < 0 && absl::Now() < give_up;) {
    for (int i = 0; i < 3; ++i) {
      if (Dispatches(addresses[i])) holder = i;
    }
  }
  REQUIRE(holder >= 0);
  std::vector<std::string> standby;
  for (int i = 0; i < 3; ++i) {
    if (i != holder) standby.push_back(addresses[i]);
  }

  const std::vector<std::string> members = Tokens(uri, "member", "m", kAlerts);
  const std::vector<std::string> crew_tokens = Tokens(uri, "responder", "crew", kCrews);
  const std::string agent = Tokens(uri, "operator", "desk", 1)[0];
  std::vector<std::unique_ptr<CrewApp>> crews;
  for (size_t i = 0; i < crew_tokens.size(); ++i) {
    crews.push_back(std::make_unique<CrewApp>(crew_tokens[i], addresses, i));
  }

  // The surge, through the standbys (which live on), eight presses at a
  // time; the holder dies a third of the way in.
  absl::Mutex mu;
  std::vector<std::string> acknowledged;
  std::atomic<int> failures{0};
  std::atomic<int> next{0};
  std::vector<std::thread> raisers;
  for (int t = 0; t < 8; ++t) {
    raisers.emplace_back([&] {
      for (int i = next++; i < kAlerts; i = next++) {
        v1::Case opened;
        if (!Raise(standby[i % 2], members[i], "surge", &opened).ok()) {
          ++failures;
          continue;
        }
        absl::MutexLock lock(&mu);
        acknowledged.push_back(opened.name());
      }
    });
  }
  const auto acked = [&] {
    absl::MutexLock lock(&mu);
    return acknowledged.size();
  };
  while (acked() < kAlerts / 3 && next < kAlerts) absl::SleepFor(absl::Milliseconds(1));
  const size_t before_kill = acked();
  const absl::Time killed = absl::Now();
  REQUIRE(WIFSIGNALED(replicas[holder]->Stop(SIGKILL)));
  for (std::thread& t : raisers) t.join();
  CHECK(failures == 0);
  REQUIRE(acknowledged.size() == kAlerts);

  // Every case, read through a standby, until all are resolved.
  auto desk = v1::OperatorService::NewStub(
      grpc::CreateChannel(standby[0], grpc::InsecureChannelCredentials()));
  std::map<std::string, std::vector<v1::CaseEvent>> timelines;
  const absl::Time give_up = absl::Now() + absl::Seconds(90);
  bool all_resolved = false;
  while (!all_resolved && absl::Now() < give_up) {
    all_resolved = true;
    for (const std::string& name : acknowledged) {
      v1::ListCaseEventsRequest request;
      request.set_parent(name);
      request.set_page_size(1000);
      v1::ListCaseEventsResponse response;
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + agent);
      if (!desk->ListCaseEvents(&context, request, &response).ok()) {
        all_resolved = false;
        continue;
      }
      timelines[name].assign(response.events().begin(), response.events().end());
      if (response.events().empty() ||
          response.events().rbegin()->state() != v1::CASE_STATE_RESOLVED) {
        all_resolved = false;
      }
    }
    if (!all_resolved) absl::SleepFor(absl::Milliseconds(500));
  }
  crews.clear();
  CHECK(all_resolved);

  // No case offered to two crews at once; each offered; each crew's cases
  // one after another.
  struct Held {
    absl::Time from, to;
    std::string name;
  };
  std::map<std::string, std::vector<Held>> by_crew;
  int double_offers = 0, never_offered = 0, offers = 0, lapsed = 0;
  for (const auto& [name, events] : timelines) {
    std::string outstanding;
    bool offered = false;
    std::string crew;
    absl::Time from;
    for (const v1::CaseEvent& e : events) {
      const absl::Time at = absl::FromUnixSeconds(e.event_time().seconds()) +
                            absl::Nanoseconds(e.event_time().nanos());
      if (e.has_offered()) {
        offered = true;
        ++offers;
        if (!outstanding.empty()) {
          ++double_offers;
          UNSCOPED_INFO(name << " offered to " << e.offered().responder() << " while "
                             << outstanding << " held its offer");
        }
        outstanding = e.offered().responder();
      } else if (e.has_offer_ended()) {
        outstanding.clear();
        if (e.offer_ended().reason() == v1::CaseEvent::OfferEnded::REASON_EXPIRED) ++lapsed;
      } else if (e.has_assigned()) {
        outstanding.clear();
        crew = e.assigned().responder();
        from = at;
      } else if (e.state() == v1::CASE_STATE_RESOLVED && !crew.empty()) {
        by_crew[crew].push_back({from, at, name});
      }
    }
    if (!offered) ++never_offered;
  }
  std::printf(
      "surge: %d alerts acknowledged (%zu before the holder's SIGKILL), all resolved %.1f s after "
      "it; %d offers, %d lapsed, %zu crews served\n",
      kAlerts, before_kill, absl::ToDoubleSeconds(absl::Now() - killed), offers, lapsed,
      by_crew.size());
  CHECK(double_offers == 0);
  CHECK(never_offered == 0);
  int overlaps = 0;
  for (auto& [crew, held] : by_crew) {
    std::sort(held.begin(), held.end(),
              [](const Held& a, const Held& b) { return a.from < b.from; });
    for (size_t i = 1; i < held.size(); ++i) {
      if (held[i].from < held[i - 1].to) {
        ++overlaps;
        UNSCOPED_INFO(crew << " took " << held[i].name << " before it finished "
                           << held[i - 1].name);
      }
    }
  }
  CHECK(overlaps == 0);
  CHECK(by_crew.size() > 1);  // the work was shared
}

}  // namespace
}  // namespace mayday::testing
