// The crew coming, on two maydayd sharing one PostgreSQL: crews report to
// the replica that dispatches (a standby relays them), and a member's
// WatchCrew on either replica shows the crew, its moves and its arrival
// (issue 23: the member's phone may reach any replica).
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "daemon.h"
#include "grpcpp/grpcpp.h"
#include "mayday/v1/alert_service.grpc.pb.h"
#include "mayday/v1/responder_service.grpc.pb.h"
#include "member_calls.h"
#include "test_postgres.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

// A member's WatchCrew on one replica, read in the background.
class CrewStream {
 public:
  CrewStream(const std::string& address, const std::string& token, const std::string& case_name)
      : stub_(v1::AlertService::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))),
        context_(As(token, absl::Seconds(60))) {
    v1::WatchCrewRequest request;
    request.set_name(case_name);
    reader_ = stub_->WatchCrew(context_.get(), request);
    thread_ = std::thread([this] {
      v1::CrewPosition position;
      while (reader_->Read(&position)) {
        absl::MutexLock lock(&mu_);
        got_.push_back(position);
      }
      const grpc::Status end = reader_->Finish();
      absl::MutexLock lock(&mu_);
      end_ = end;
      ended_ = true;
    });
  }
  ~CrewStream() {
    context_->TryCancel();
    thread_.join();
  }
  // Waits until a position at `latitude` came; false if none within 10 s.
  bool WaitFor(double latitude) {
    absl::MutexLock lock(&mu_);
    auto seen = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      for (const v1::CrewPosition& p : got_) {
        if (std::abs(p.location().latitude() - latitude) < 1e-9) return true;
      }
      return ended_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&seen), absl::Seconds(10));
    for (const v1::CrewPosition& p : got_) {
      if (std::abs(p.location().latitude() - latitude) < 1e-9) return true;
    }
    return false;
  }
  std::optional<grpc::Status> WaitEnd() {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&ended_), absl::Seconds(10));
    if (!ended_) return std::nullopt;
    return end_;
  }

 private:
  std::unique_ptr<v1::AlertService::Stub> stub_;
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReader<v1::CrewPosition>> reader_;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<v1::CrewPosition> got_ ABSL_GUARDED_BY(mu_);
  grpc::Status end_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
};

grpc::Status Report(v1::ResponderService::Stub& crew, const std::string& token, double latitude,
                    double longitude) {
  auto context = As(token);
  v1::ReportLocationResponse response;
  auto writer = crew.ReportLocation(context.get(), &response);
  v1::ReportLocationRequest report;
  report.mutable_location()->set_latitude(latitude);
  report.mutable_location()->set_longitude(longitude);
  writer->Write(report);
  writer->WritesDone();
  return writer->Finish();
}

TEST_CASE("Replicas: a member sees the crew coming through either replica") {
  const std::string uri = NewTestDatabase();
  std::vector<std::unique_ptr<Daemon>> replicas = StartReplicas(MAYDAYD_BINARY, uri, 2);
  const std::vector<std::string> addresses = Addresses(replicas);
  const std::string member = CreateToken(MAYDAYD_BINARY, uri, "member", "walker");
  const std::string crew_token = CreateToken(MAYDAYD_BINARY, uri, "responder", "amb-9");

  // The crew works through replica 1, the member raises through replica 0.
  auto crew = v1::ResponderService::NewStub(
      grpc::CreateChannel(addresses[1], grpc::InsecureChannelCredentials()));
  double latitude = 52.40;
  const double longitude = 4.90;
  {
    v1::SetDutyRequest duty;
    duty.set_on_duty(true);
    duty.add_capabilities(v1::CAPABILITY_AMBULANCE);
    v1::Responder responder;
    const grpc::Status on = crew->SetDuty(As(crew_token).get(), duty, &responder);
    INFO(on.error_message());
    REQUIRE(on.ok());
  }
  REQUIRE(Report(*crew, crew_token, latitude, longitude).ok());
  auto subscribe_context = As(crew_token, absl::Seconds(60));
  auto updates = crew->Subscribe(subscribe_context.get(), v1::SubscribeRequest());
  updates->WaitForInitialMetadata();  // attached: offers made from now on reach it

  auto alerts = v1::AlertService::NewStub(
      grpc::CreateChannel(addresses[0], grpc::InsecureChannelCredentials()));
  v1::RaiseAlertRequest alert;
  alert.set_request_id("collapse-1");
  alert.set_kind(v1::CASE_KIND_MEDICAL);
  alert.mutable_location()->set_latitude(52.37);
  alert.mutable_location()->set_longitude(4.90);
  v1::Case opened;
  REQUIRE(alerts->RaiseAlert(As(member).get(), alert, &opened).ok());
  v1::ResponderUpdate update;
  bool offered = false;
  while (!offered && updates->Read(&update)) offered = update.has_offer();
  REQUIRE(offered);
  REQUIRE(update.offer().case_() == opened.name());
  v1::AcceptOfferRequest accept;
  accept.set_case_(opened.name());
  v1::Case assigned;
  REQUIRE(crew->AcceptOffer(As(crew_token).get(), accept, &assigned).ok());

  // One phone on each replica: one of them is a standby, which relays.
  CrewStream first(addresses[0], member, opened.name());
  CrewStream second(addresses[1], member, opened.name());
  CHECK(first.WaitFor(latitude));
  CHECK(second.WaitFor(latitude));
  for (int i = 0; i < 3; ++i) {
    latitude -= 0.005;  // about 550 m closer
    REQUIRE(Report(*crew, crew_token, latitude, longitude).ok());
    CHECK(first.WaitFor(latitude));
    CHECK(second.WaitFor(latitude));
  }
  v1::UpdateProgressRequest there;
  there.set_case_(opened.name());
  there.set_state(v1::CASE_STATE_ON_SCENE);
  REQUIRE(crew->UpdateProgress(As(crew_token).get(), there, &assigned).ok());
  for (CrewStream* stream : {&first, &second}) {
    const std::optional<grpc::Status> end = stream->WaitEnd();
    REQUIRE(end.has_value());
    CHECK(end->ok());
  }
  subscribe_context->TryCancel();
  while (updates->Read(&update)) {
  }
  updates->Finish();
}

}  // namespace
}  // namespace mayday::testing
