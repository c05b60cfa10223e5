// Webhooks with replicas (issue 25): two maydayd on one PostgreSQL, one
// endpoint. Only the replica that holds dispatch delivers, so while both
// run every event reaches the receiver exactly once; when that replica is
// SIGKILLed, the other takes over and delivers the rest, and what the dead
// one had sent without recording it may come again, under the same key.
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "daemon.h"
#include "grpcpp/grpcpp.h"
#include "http_receiver.h"
#include "mayday/v1/alert_service.grpc.pb.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "test_postgres.h"
#include "webhooks/signature.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

const std::string kSecret = "replica-webhook-secret-0123456789";
constexpr int kCasesPerPhase = 25;

std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + token);
  context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  return context;
}

// Counts each idempotency key it is sent (answering 200), and the requests
// whose signature does not verify.
class Receiver {
 public:
  Receiver() {
    HttpReceiver::Options options;
    options.handler = [this](const ReceivedRequest& request) {
      const std::string key = request.headers.Get("Idempotency-Key").value_or("");
      const bool signed_ok = server::webhooks::VerifySignature(
                                 kSecret, request.headers.Get("Mayday-Signature").value_or(""),
                                 request.body, absl::Now())
                                 .ok();
      absl::MutexLock lock(&mu_);
      ++counts_[key];
      if (!signed_ok) ++unsigned_;
      return Reply{};
    };
    auto started = HttpReceiver::Start(std::move(options));
    if (!started.ok()) throw std::runtime_error(started.status().ToString());
    http_ = *std::move(started);
  }
  std::string Url() const { return http_->Url("/replicas"); }
  std::map<std::string, int> counts() const {
    absl::MutexLock lock(&mu_);
    return counts_;
  }
  int unsigned_requests() const {
    absl::MutexLock lock(&mu_);
    return unsigned_;
  }

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, int> counts_ ABSL_GUARDED_BY(mu_);
  int unsigned_ ABSL_GUARDED_BY(mu_) = 0;
  std::unique_ptr<HttpReceiver> http_;
};

// Raises one road alert per token, through `address`; returns the cases.
std::vector<std::string> RaiseAll(const std::string& address,
                                  const std::vector<std::string>& tokens, int first, int count) {
  auto stub =
      v1::AlertService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  std::vector<std::string> cases;
  for (int i = first; i < first + count; ++i) {
    v1::RaiseAlertRequest request;
    request.set_request_id(absl::StrCat("replica-press-", i));
    request.set_kind(v1::CASE_KIND_ROAD);
    request.mutable_location()->set_latitude(52.0 + i * 0.001);
    request.mutable_location()->set_longitude(5.0);
    request.mutable_location()->set_horizontal_accuracy_meters(10);
    v1::Case raised;
    const grpc::Status status = stub->RaiseAlert(As(tokens[i]).get(), request, &raised);
    INFO(status.error_message());
    REQUIRE(status.ok());
    cases.push_back(raised.name());
  }
  return cases;
}

// The idempotency keys of every stored event of `cases`, read through
// `address`.
std::set<std::string> EventKeys(const std::string& address, const std::string& agent,
                                const std::vector<std::string>& cases) {
  auto stub = v1::OperatorService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  std::set<std::string> keys;
  for (const std::string& name : cases) {
    v1::ListCaseEventsRequest request;
    request.set_parent(name);
    request.set_page_size(1000);
    v1::ListCaseEventsResponse events;
    const grpc::Status status = stub->ListCaseEvents(As(agent).get(), request, &events);
    INFO(status.error_message());
    REQUIRE(status.ok());
    for (const v1::CaseEvent& event : events.events()) {
      keys.insert(absl::StrCat(event.case_(), "/events/", event.sequence()));
    }
  }
  return keys;
}

// Waits up to 60 s until the receiver has every key of `keys`.
bool AllDelivered(const Receiver& receiver, const std::set<std::string>& keys) {
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  while (absl::Now() < give_up) {
    const std::map<std::string, int> counts = receiver.counts();
    bool all = true;
    for (const std::string& key : keys) all = all && counts.contains(key);
    if (all) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return false;
}

TEST_CASE("Replicas: one replica delivers each webhook, and the survivor the rest") {
  const std::string uri = NewTestDatabase();
  Receiver receiver;
  const std::vector<std::string> flags = {"--webhook-allow-private", "--webhook-allow-http"};
  std::vector<std::unique_ptr<Daemon>> replicas;
  for (int i = 0; i < 2; ++i)
    replicas.push_back(std::make_unique<Daemon>(MAYDAYD_BINARY, uri, flags));
  const std::vector<std::string> addresses = Addresses(replicas);
  const std::string admin = CreateToken(MAYDAYD_BINARY, uri, "admin", "root");
  const std::vector<std::string> members =
      CreateTokens(MAYDAYD_BINARY, uri, "member", "driver", 2 * kCasesPerPhase);

  // Registered through the second replica; stored for both.
  {
    auto stub = v1::OperatorService::NewStub(
        grpc::CreateChannel(addresses[1], grpc::InsecureChannelCredentials()));
    v1::CreateWebhookEndpointRequest request;
    request.mutable_endpoint()->set_url(receiver.Url());
    request.set_secret(kSecret);
    v1::WebhookEndpoint made;
    const grpc::Status status = stub->CreateWebhookEndpoint(As(admin).get(), request, &made);
    INFO(status.error_message());
    REQUIRE(status.ok());
  }

  // Phase 1, both replicas up, alerts through both: every event once.
  std::vector<std::string> first = RaiseAll(addresses[0], members, 0, kCasesPerPhase / 2);
  const std::vector<std::string> more =
      RaiseAll(addresses[1], members, kCasesPerPhase / 2, kCasesPerPhase - kCasesPerPhase / 2);
  first.insert(first.end(), more.begin(), more.end());
  absl::SleepFor(absl::Seconds(2));  // events after the raise (none found) commit too
  const std::set<std::string> first_keys = EventKeys(addresses[1], admin, first);
  REQUIRE(AllDelivered(receiver, first_keys));
  absl::SleepFor(absl::Seconds(2));  // a second deliverer would have sent them again by now
  {
    const std::map<std::string, int> counts = receiver.counts();
    int twice = 0;
    for (const std::string& key : first_keys) twice += counts.at(key) > 1 ? 1 : 0;
    INFO(first_keys.size() << " events, " << twice << " delivered more than once");
    CHECK(twice == 0);
  }

  // Phase 2: the replica that delivers (the one holding dispatch) dies;
  // alerts go to the other, which takes over.
  size_t holder = replicas.size();
  for (size_t i = 0; i < replicas.size(); ++i) {
    if (HealthServing(addresses[i], "mayday.dispatch", absl::Milliseconds(500))) holder = i;
  }
  REQUIRE(holder < replicas.size());
  const size_t survivor = 1 - holder;
  REQUIRE(WIFSIGNALED(replicas[holder]->Stop(SIGKILL)));
  const std::vector<std::string> second =
      RaiseAll(addresses[survivor], members, kCasesPerPhase, kCasesPerPhase);
  absl::SleepFor(absl::Seconds(2));
  const std::set<std::string> second_keys = EventKeys(addresses[survivor], admin, second);
  REQUIRE(AllDelivered(receiver, second_keys));
  // Every stored event of every case reaches it, and nothing else does.
  std::vector<std::string> all = first;
  all.insert(all.end(), second.begin(), second.end());
  const std::set<std::string> all_keys = EventKeys(addresses[survivor], admin, all);
  REQUIRE(AllDelivered(receiver, all_keys));
  const std::map<std::string, int> counts = receiver.counts();
  int twice = 0;
  for (const std::string& key : second_keys) twice += counts.at(key) > 1 ? 1 : 0;
  INFO(second_keys.size() << " events of the cases raised after the kill, " << twice
                          << " delivered more than once");
  // Raised after the kill, delivered by the survivor alone.
  CHECK(twice == 0);
  for (const auto& [key, count] : counts) {
    INFO(key);
    CHECK(all_keys.contains(key));
  }
  CHECK(receiver.unsigned_requests() == 0);
}

}  // namespace
}  // namespace mayday::testing
