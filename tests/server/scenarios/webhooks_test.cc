// Webhooks through a real maydayd and a real HTTP receiver on loopback: an
// admin registers an endpoint, every event committed after that reaches
// it signed, with its idempotency key, each case's in sequence order;
// failures are retried with backoff (the server's clock is a manual one),
// a delivery given up on holds its case's later events until redeliver
// while other cases go on; a slow endpoint does not hold up another; the
// address guard keeps deliveries off loopback unless allowed; bad
// registrations change nothing.
#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "http_receiver.h"
#include "mayday/base/clock.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "test_server.h"
#include "webhooks/signature.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

const std::string kSecret = "0123456789abcdef0123456789abcdef";

// A receiver whose answers the test changes as it goes.
class Receiver {
 public:
  Receiver() {
    HttpReceiver::Options options;
    options.handler = [this](const ReceivedRequest& request) {
      absl::MutexLock lock(&mu_);
      return answer_ ? answer_(request) : Reply{};
    };
    auto started = HttpReceiver::Start(std::move(options));
    if (!started.ok()) throw std::runtime_error(started.status().ToString());
    http_ = *std::move(started);
  }
  void Answer(std::function<Reply(const ReceivedRequest&)> answer) {
    absl::MutexLock lock(&mu_);
    answer_ = std::move(answer);
  }
  HttpReceiver& http() { return *http_; }
  // The Idempotency-Key of every request so far, in arrival order.
  std::vector<std::string> Keys() const {
    std::vector<std::string> keys;
    for (const ReceivedRequest& request : http_->requests()) {
      keys.push_back(request.headers.Get("Idempotency-Key").value_or("?"));
    }
    return keys;
  }
  // Waits (real time, up to `timeout`) until `key` has arrived.
  bool AwaitKey(const std::string& key, absl::Duration timeout = absl::Seconds(10)) const {
    const absl::Time give_up = absl::Now() + timeout;
    while (absl::Now() < give_up) {
      for (const std::string& got : Keys()) {
        if (got == key) return true;
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
    return false;
  }

 private:
  absl::Mutex mu_;
  std::function<Reply(const ReceivedRequest&)> answer_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<HttpReceiver> http_;
};

// A maydayd on a manual clock whose deliveries may go to loopback over
// plain http, retried for `retry_for`.
struct HookServer {
  explicit HookServer(absl::Duration retry_for = absl::Hours(24), bool allow_private = true,
                      size_t max_unsettled = 4096)
      : server([this, retry_for, allow_private, max_unsettled](server::ServerOptions& options) {
          options.clock = &clock;
          options.webhooks.limits.allow_http = true;
          options.webhooks.limits.allow_private = allow_private;
          options.webhooks.limits.timeout = absl::Seconds(20);
          options.webhooks.retry_for = retry_for;
          options.webhooks.max_unsettled = max_unsettled;
        }) {}
  base::ManualClock clock{absl::FromUnixSeconds(1'800'000'000)};
  TestServer server;

  std::string Admin() { return server.Token("admin", "root"); }

  grpc::Status Register(const std::string& url, std::vector<std::string> events,
                        v1::WebhookFormat format, v1::WebhookEndpoint* out,
                        const std::string& secret = kSecret) {
    v1::CreateWebhookEndpointRequest request;
    request.mutable_endpoint()->set_url(url);
    for (std::string& type : events) request.mutable_endpoint()->add_event_types(std::move(type));
    request.mutable_endpoint()->set_format(format);
    request.set_secret(secret);
    return server.Operators()->CreateWebhookEndpoint(Call(Admin()).get(), request, out);
  }
  std::string Register(const std::string& url, std::vector<std::string> events = {},
                       v1::WebhookFormat format = v1::WEBHOOK_FORMAT_JSON) {
    v1::WebhookEndpoint endpoint;
    const grpc::Status status = Register(url, std::move(events), format, &endpoint);
    if (!status.ok()) throw std::runtime_error(status.error_message());
    return endpoint.name();
  }

  v1::Case Raise(const std::string& member, v1::CaseKind kind = v1::CASE_KIND_ROAD) {
    v1::Case opened;
    const grpc::Status status = server.Alerts()->RaiseAlert(
        Call(server.Token("member", member)).get(), Alert(member + "-press", kind), &opened);
    if (!status.ok()) throw std::runtime_error(status.error_message());
    return opened;
  }
  v1::Case Cancel(const std::string& member, const v1::Case& c) {
    v1::CancelCaseRequest cancel;
    cancel.set_name(c.name());
    cancel.set_reason("sorted");
    v1::Case cancelled;
    const grpc::Status status =
        server.Alerts()->CancelCase(Call(server.Token("member", member)).get(), cancel, &cancelled);
    if (!status.ok()) throw std::runtime_error(status.error_message());
    return cancelled;
  }
  std::vector<v1::WebhookDelivery> Deliveries(const std::string& endpoint,
                                              std::vector<v1::WebhookDelivery::State> states = {}) {
    v1::ListWebhookDeliveriesRequest request;
    request.set_endpoint(endpoint);
    for (auto state : states) request.add_states(state);
    v1::ListWebhookDeliveriesResponse response;
    const grpc::Status status =
        server.Operators()->ListWebhookDeliveries(Call(Admin()).get(), request, &response);
    if (!status.ok()) throw std::runtime_error(status.error_message());
    return {response.deliveries().begin(), response.deliveries().end()};
  }
  // Waits (real time) until `endpoint`'s delivery of `key` has had
  // `attempts` attempts recorded; the delivery then.
  v1::WebhookDelivery AwaitAttempts(const std::string& endpoint, const std::string& key,
                                    int attempts) {
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (absl::Now() < give_up) {
      for (const v1::WebhookDelivery& d : Deliveries(
               endpoint, {v1::WebhookDelivery::STATE_PENDING, v1::WebhookDelivery::STATE_DEAD,
                          v1::WebhookDelivery::STATE_DELIVERED})) {
        if (d.idempotency_key() == key && d.attempts() >= attempts) return d;
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
    throw std::runtime_error(absl::StrCat(key, " never had ", attempts, " attempts"));
  }
  // Waits (real time) until the only endpoint counts `delivered` deliveries
  // made; the endpoint then.
  v1::WebhookEndpoint AwaitDelivered(int64_t delivered) {
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    v1::ListWebhookEndpointsResponse listed;
    while (absl::Now() < give_up) {
      listed.Clear();
      const grpc::Status status =
          server.Operators()->ListWebhookEndpoints(Call(Admin()).get(), {}, &listed);
      if (!status.ok()) throw std::runtime_error(status.error_message());
      if (listed.endpoints_size() == 1 && listed.endpoints(0).delivered() >= delivered) {
        return listed.endpoints(0);
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
    throw std::runtime_error(absl::StrCat("never counted ", delivered, " deliveries"));
  }
};

std::string Key(const v1::Case& c, int64_t sequence) {
  return absl::StrCat(c.name(), "/events/", sequence);
}

// Each case's keys in `keys` in the order they first arrived, by case.
std::map<std::string, std::vector<int64_t>> FirstArrivals(const std::vector<std::string>& keys) {
  std::map<std::string, std::vector<int64_t>> by_case;
  for (const std::string& key : keys) {
    const size_t at = key.rfind("/events/");
    int64_t sequence = 0;
    REQUIRE(absl::SimpleAtoi(key.substr(at + 8), &sequence));
    std::vector<int64_t>& seen = by_case[key.substr(0, at)];
    if (std::find(seen.begin(), seen.end(), sequence) == seen.end()) seen.push_back(sequence);
  }
  return by_case;
}

TEST_CASE("Every event of a case reaches an endpoint signed and in order", "[webhooks]") {
  Receiver receiver;
  HookServer hooks;
  const std::string endpoint = hooks.Register(receiver.http().Url("/hook"));
  const v1::Case opened = hooks.Raise("ana");
  const v1::Case cancelled = hooks.Cancel("ana", opened);
  REQUIRE(receiver.AwaitKey(Key(cancelled, cancelled.last_sequence())));

  const std::vector<ReceivedRequest> requests = receiver.http().requests();
  REQUIRE(static_cast<int64_t>(requests.size()) == cancelled.last_sequence());
  for (size_t i = 0; i < requests.size(); ++i) {
    const ReceivedRequest& request = requests[i];
    INFO("request " << i);
    CHECK(request.method == "POST");
    CHECK(request.path == "/hook");
    CHECK(request.headers.Get("Idempotency-Key") == Key(opened, i + 1));
    CHECK(request.headers.Get("Mayday-Endpoint") == endpoint);
    CHECK(request.headers.Get("Content-Type") == "application/json");
    const std::optional<std::string> signature = request.headers.Get("Mayday-Signature");
    REQUIRE(signature.has_value());
    CHECK(server::webhooks::VerifySignature(kSecret, *signature, request.body, hooks.clock.Now())
              .ok());
    CHECK_FALSE(server::webhooks::VerifySignature("another secret, 32 bytes long....", *signature,
                                                  request.body, hooks.clock.Now())
                    .ok());
    CHECK(absl::StrContains(request.body,
                            absl::StrCat("\"idempotency_key\":\"", Key(opened, i + 1), "\"")));
    CHECK(absl::StrContains(request.body, absl::StrCat("\"sequence\":\"", i + 1, "\"")));
    CHECK(absl::StrContains(request.body, "\"case\":{\"name\":\"" + opened.name()));
  }
  CHECK(requests.front().headers.Get("Mayday-Event") == "raised");
  CHECK(requests.back().headers.Get("Mayday-Event") == "cancelled");
  // Made at their first attempt: counted (once written, just after), and
  // no row kept for any.
  const v1::WebhookEndpoint counted = hooks.AwaitDelivered(cancelled.last_sequence());
  CHECK(counted.delivered() == cancelled.last_sequence());
  CHECK(counted.pending_deliveries() == 0);
  CHECK(hooks
            .Deliveries(endpoint,
                        {v1::WebhookDelivery::STATE_PENDING, v1::WebhookDelivery::STATE_DEAD,
                         v1::WebhookDelivery::STATE_DELIVERED})
            .empty());
}

TEST_CASE("A failing endpoint is retried with backoff and a case's next event waits",
          "[webhooks]") {
  Receiver receiver;
  int failures_left = 3;
  receiver.Answer([&failures_left](const ReceivedRequest&) {
    return failures_left-- > 0 ? Reply{.status = 500} : Reply{};
  });
  HookServer hooks;
  const std::string endpoint = hooks.Register(receiver.http().Url());
  const v1::Case opened = hooks.Raise("ben");
  const v1::Case cancelled = hooks.Cancel("ben", opened);
  const std::string first = Key(opened, 1);

  v1::WebhookDelivery d = hooks.AwaitAttempts(endpoint, first, 1);
  CHECK(d.last_result() == "HTTP 500");
  CHECK(d.state() == v1::WebhookDelivery::STATE_PENDING);
  // The first retry comes between half a second and a second later, with
  // jitter; each next one waits up to twice as long.
  for (int attempt = 1; attempt <= 3; ++attempt) {
    const absl::Duration wait = absl::Seconds(1 << (attempt - 1));
    const absl::Time next = absl::FromUnixSeconds(d.next_attempt_time().seconds()) +
                            absl::Nanoseconds(d.next_attempt_time().nanos());
    CHECK(next >= hooks.clock.Now() + wait / 2);
    CHECK(next <= hooks.clock.Now() + wait);
    // Nothing of the case's later events went meanwhile.
    for (const std::string& key : receiver.Keys()) CHECK(key == first);
    hooks.clock.Advance(wait);
    if (attempt < 3) d = hooks.AwaitAttempts(endpoint, first, attempt + 1);
  }
  REQUIRE(receiver.AwaitKey(Key(cancelled, cancelled.last_sequence())));
  const std::map<std::string, std::vector<int64_t>> arrivals = FirstArrivals(receiver.Keys());
  std::vector<int64_t> in_order;
  for (int64_t s = 1; s <= cancelled.last_sequence(); ++s) in_order.push_back(s);
  CHECK(arrivals.at(opened.name()) == in_order);
  CHECK(receiver.Keys().size() == static_cast<size_t>(cancelled.last_sequence() + 3));
  // Each counted once made, the retried one and those that waited alike.
  const v1::WebhookEndpoint counted = hooks.AwaitDelivered(cancelled.last_sequence());
  CHECK(counted.delivered() == cancelled.last_sequence());
  CHECK(counted.pending_deliveries() == 0);
}

TEST_CASE("A delivery given up on holds its case until redeliver and others go on", "[webhooks]") {
  Receiver receiver;
  std::atomic<bool> refuse_cleo{true};
  receiver.Answer([&refuse_cleo](const ReceivedRequest& request) {
    const bool cleo = absl::StrContains(request.body, "\"member\":\"members/cleo\"");
    return cleo && refuse_cleo.load() ? Reply{.status = 503} : Reply{};
  });
  HookServer hooks(absl::Seconds(10));
  const std::string endpoint = hooks.Register(receiver.http().Url());
  const v1::Case stuck = hooks.Raise("cleo");
  const v1::Case stuck_cancelled = hooks.Cancel("cleo", stuck);
  // Retried until ten seconds after it was queued, then dead.
  for (int attempt = 1;; ++attempt) {
    const v1::WebhookDelivery d = hooks.AwaitAttempts(endpoint, Key(stuck, 1), attempt);
    if (d.state() == v1::WebhookDelivery::STATE_DEAD) {
      CHECK(d.last_result() == "HTTP 503");
      break;
    }
    REQUIRE(attempt < 20);
    hooks.clock.Set(absl::FromUnixSeconds(d.next_attempt_time().seconds()) +
                    absl::Nanoseconds(d.next_attempt_time().nanos()));
  }
  // Another case goes on meanwhile.
  const v1::Case other = hooks.Raise("dan");
  REQUIRE(receiver.AwaitKey(Key(other, other.last_sequence())));
  hooks.AwaitDelivered(other.last_sequence());
  // The desk sees the dead letter; the case's later events wait behind it.
  v1::ListWebhookEndpointsResponse listed;
  REQUIRE(
      hooks.server.Operators()->ListWebhookEndpoints(Call(hooks.Admin()).get(), {}, &listed).ok());
  CHECK(listed.endpoints(0).dead_deliveries() == 1);
  CHECK(listed.endpoints(0).pending_deliveries() == stuck_cancelled.last_sequence() - 1);
  CHECK(listed.endpoints(0).delivered() >= other.last_sequence());
  int64_t stuck_pending = 0;
  for (const v1::WebhookDelivery& d :
       hooks.Deliveries(endpoint, {v1::WebhookDelivery::STATE_PENDING})) {
    stuck_pending += d.case_() == stuck.name() ? 1 : 0;
  }
  CHECK(stuck_pending == stuck_cancelled.last_sequence() - 1);
  const std::vector<v1::WebhookDelivery> dead =
      hooks.Deliveries(endpoint, {v1::WebhookDelivery::STATE_DEAD});
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].idempotency_key() == Key(stuck, 1));
  for (const std::string& key : receiver.Keys()) CHECK_FALSE(key == Key(stuck, 2));

  // Redeliver resumes it, now, and the rest of the case follows in order.
  refuse_cleo = false;
  v1::RedeliverWebhooksRequest redeliver;
  redeliver.set_endpoint(endpoint);
  redeliver.set_case_(stuck.name());
  v1::RedeliverWebhooksResponse resumed;
  REQUIRE(hooks.server.Operators()
              ->RedeliverWebhooks(Call(hooks.Admin()).get(), redeliver, &resumed)
              .ok());
  CHECK(resumed.resumed() == 1);
  REQUIRE(receiver.AwaitKey(Key(stuck_cancelled, stuck_cancelled.last_sequence())));
  std::vector<int64_t> in_order;
  for (int64_t s = 1; s <= stuck_cancelled.last_sequence(); ++s) in_order.push_back(s);
  CHECK(FirstArrivals(receiver.Keys()).at(stuck.name()) == in_order);
}

TEST_CASE("A slow endpoint does not hold up another", "[webhooks]") {
  Receiver slow;
  slow.Answer([](const ReceivedRequest&) { return Reply{.delay = absl::Seconds(8)}; });
  Receiver healthy;
  HookServer hooks;
  hooks.Register(slow.http().Url());
  hooks.Register(healthy.http().Url());
  for (const char* member : {"eve", "fay", "gus"}) {
    const absl::Time raised = absl::Now();
    const v1::Case opened = hooks.Raise(member);
    REQUIRE(healthy.AwaitKey(Key(opened, 1)));
    // Well within the slow endpoint's 8 s per request: each alert's event
    // reached the healthy one while the slow one was still answering.
    CHECK(absl::Now() - raised < absl::Seconds(3));
  }
  CHECK(slow.http().requests().size() <= 3);
}

TEST_CASE("Two endpoints get the same body but for their names, each signed with its secret",
          "[webhooks]") {
  Receiver first;
  Receiver second;
  HookServer hooks;
  v1::WebhookEndpoint one;
  v1::WebhookEndpoint two;
  const std::string other_secret = "another secret, thirty-two bytes";
  REQUIRE(hooks.Register(first.http().Url(), {}, v1::WEBHOOK_FORMAT_JSON, &one).ok());
  REQUIRE(
      hooks.Register(second.http().Url(), {}, v1::WEBHOOK_FORMAT_JSON, &two, other_secret).ok());
  const v1::Case cancelled = hooks.Cancel("sam", hooks.Raise("sam"));
  REQUIRE(first.AwaitKey(Key(cancelled, cancelled.last_sequence())));
  REQUIRE(second.AwaitKey(Key(cancelled, cancelled.last_sequence())));
  const std::vector<ReceivedRequest> ones = first.http().requests();
  const std::vector<ReceivedRequest> twos = second.http().requests();
  REQUIRE(ones.size() == twos.size());
  for (size_t i = 0; i < ones.size(); ++i) {
    INFO("request " << i);
    CHECK(ones[i].headers.Get("Idempotency-Key") == twos[i].headers.Get("Idempotency-Key"));
    CHECK(ones[i].headers.Get("Mayday-Event") == twos[i].headers.Get("Mayday-Event"));
    const std::string name_one = "\"endpoint\":\"" + one.name() + "\"";
    const std::string name_two = "\"endpoint\":\"" + two.name() + "\"";
    REQUIRE(absl::StrContains(ones[i].body, name_one));
    REQUIRE(absl::StrContains(twos[i].body, name_two));
    CHECK(absl::StrReplaceAll(ones[i].body, {{name_one, "E"}}) ==
          absl::StrReplaceAll(twos[i].body, {{name_two, "E"}}));
    const std::string sig_one = ones[i].headers.Get("Mayday-Signature").value_or("");
    const std::string sig_two = twos[i].headers.Get("Mayday-Signature").value_or("");
    CHECK(
        server::webhooks::VerifySignature(kSecret, sig_one, ones[i].body, hooks.clock.Now()).ok());
    CHECK(server::webhooks::VerifySignature(other_secret, sig_two, twos[i].body, hooks.clock.Now())
              .ok());
    CHECK_FALSE(
        server::webhooks::VerifySignature(kSecret, sig_two, twos[i].body, hooks.clock.Now()).ok());
  }
}

TEST_CASE("An endpoint behind leaves the rest in the history and catches up in order",
          "[webhooks]") {
  Receiver receiver;
  receiver.Answer([](const ReceivedRequest&) { return Reply{.delay = absl::Milliseconds(20)}; });
  // At most two events in memory: the others wait in the case history.
  HookServer hooks(absl::Hours(24), true, /*max_unsettled=*/2);
  const std::string endpoint = hooks.Register(receiver.http().Url());
  std::vector<v1::Case> cases;
  for (const char* member : {"kim", "lea", "max", "ned", "ola", "pia"}) {
    cases.push_back(hooks.Cancel(member, hooks.Raise(member)));
  }
  int64_t events = 0;
  for (const v1::Case& c : cases) {
    REQUIRE(receiver.AwaitKey(Key(c, c.last_sequence())));
    events += c.last_sequence();
  }
  hooks.AwaitDelivered(events);
  // Each once (nothing failed), each case's in order.
  const std::vector<std::string> keys = receiver.Keys();
  CHECK(keys.size() == static_cast<size_t>(events));
  const std::map<std::string, std::vector<int64_t>> arrivals = FirstArrivals(keys);
  for (const v1::Case& c : cases) {
    std::vector<int64_t> in_order;
    for (int64_t s = 1; s <= c.last_sequence(); ++s) in_order.push_back(s);
    CHECK(arrivals.at(c.name()) == in_order);
  }
}

TEST_CASE("A restart sends nothing that was delivered and counted before it", "[webhooks]") {
  Receiver receiver;
  HookServer hooks;
  const std::string endpoint = hooks.Register(receiver.http().Url());
  const v1::Case first = hooks.Cancel("quin", hooks.Raise("quin"));
  REQUIRE(receiver.AwaitKey(Key(first, first.last_sequence())));
  hooks.AwaitDelivered(first.last_sequence());
  hooks.server.Restart();
  const v1::Case second = hooks.Cancel("rex", hooks.Raise("rex"));
  REQUIRE(receiver.AwaitKey(Key(second, second.last_sequence())));
  hooks.AwaitDelivered(first.last_sequence() + second.last_sequence());
  // The mark had moved past the first case's events: none went again.
  CHECK(receiver.Keys().size() ==
        static_cast<size_t>(first.last_sequence() + second.last_sequence()));
}

TEST_CASE("Deliveries to loopback are refused unless the server allows them", "[webhooks]") {
  Receiver receiver;
  HookServer hooks(absl::Hours(24), /*allow_private=*/false);
  const std::string endpoint = hooks.Register(receiver.http().Url());
  const v1::Case opened = hooks.Raise("hal");
  const v1::WebhookDelivery d = hooks.AwaitAttempts(endpoint, Key(opened, 1), 1);
  CHECK(d.state() == v1::WebhookDelivery::STATE_PENDING);
  CHECK(absl::StrContains(d.last_result(), "loopback"));
  CHECK(receiver.http().connections_accepted() == 0);
}

TEST_CASE("An endpoint gets the events it filters on in its format", "[webhooks]") {
  Receiver cap;
  Receiver eido;
  HookServer hooks;
  hooks.Register(cap.http().Url(), {"cancelled"}, v1::WEBHOOK_FORMAT_CAP);
  hooks.Register(eido.http().Url(), {"raised", "cancelled"}, v1::WEBHOOK_FORMAT_EIDO);
  const v1::Case opened = hooks.Raise("ida", v1::CASE_KIND_MEDICAL);
  const v1::Case cancelled = hooks.Cancel("ida", opened);
  REQUIRE(cap.AwaitKey(Key(cancelled, cancelled.last_sequence())));
  REQUIRE(eido.AwaitKey(Key(cancelled, cancelled.last_sequence())));
  const std::vector<ReceivedRequest> caps = cap.http().requests();
  REQUIRE(caps.size() == 1);
  CHECK(absl::StartsWith(caps[0].body, "<?xml"));
  CHECK(absl::StrContains(caps[0].body, "<msgType>Cancel</msgType>"));
  CHECK(absl::StartsWith(caps[0].headers.Get("Content-Type").value_or(""), "application/xml"));
  const std::vector<ReceivedRequest> eidos = eido.http().requests();
  REQUIRE(eidos.size() == 2);
  CHECK(eidos[0].headers.Get("Idempotency-Key") == Key(opened, 1));
  CHECK(absl::StrContains(eidos[1].body, "\"eidoVersion\""));
}

TEST_CASE("An endpoint gets the events committed after it and keeps them over a restart",
          "[webhooks]") {
  Receiver receiver;
  HookServer hooks;
  const v1::Case before = hooks.Raise("jon");
  const std::string endpoint = hooks.Register(receiver.http().Url());
  // Down: connections are closed unanswered.
  receiver.Answer([](const ReceivedRequest&) { return Reply{.close_without_answer = true}; });
  const v1::Case cancelled = hooks.Cancel("jon", before);
  hooks.AwaitAttempts(endpoint, Key(cancelled, cancelled.last_sequence()), 1);
  hooks.server.Restart();
  receiver.Answer(nullptr);
  hooks.clock.Advance(absl::Seconds(2));
  REQUIRE(receiver.AwaitKey(Key(cancelled, cancelled.last_sequence())));
  // Only the events committed after the registration.
  for (const std::string& key : receiver.Keys()) {
    CHECK(key == Key(cancelled, cancelled.last_sequence()));
  }
}

TEST_CASE("A registration the rules refuse changes nothing", "[webhooks]") {
  struct Bad {
    const char* what;
    std::string url;
    std::vector<std::string> events;
    std::string secret;
    const char* words;
  };
  const std::vector<Bad> table = {
      {"ftp", "ftp://hooks.example.org/", {}, kSecret, "https://"},
      {"user and password", "https://u:p@hooks.example.org/", {}, kSecret, "user"},
      {"a fragment", "https://hooks.example.org/#x", {}, kSecret, "fragment"},
      {"no host", "https:///path", {}, kSecret, "host"},
      {"an unknown event", "https://hooks.example.org/", {"exploded"}, kSecret, "exploded"},
      {"an event twice", "https://hooks.example.org/", {"raised", "raised"}, kSecret, "twice"},
      {"a short secret", "https://hooks.example.org/", {}, "short", "secret"},
      {"a huge secret", "https://hooks.example.org/", {}, std::string(2000, 'k'), "secret"},
  };
  HookServer hooks;
  for (const Bad& bad : table) {
    INFO(bad.what);
    v1::WebhookEndpoint out;
    const grpc::Status status =
        hooks.Register(bad.url, bad.events, v1::WEBHOOK_FORMAT_JSON, &out, bad.secret);
    CHECK(status.error_code() == grpc::INVALID_ARGUMENT);
    CHECK_THAT(status.error_message(), Catch::Contains(bad.words));
  }
  v1::WebhookEndpoint out;
  CHECK(hooks.Register("https://hooks.example.org/", {}, static_cast<v1::WebhookFormat>(9), &out)
            .error_code() == grpc::INVALID_ARGUMENT);
  v1::ListWebhookEndpointsResponse listed;
  REQUIRE(
      hooks.server.Operators()->ListWebhookEndpoints(Call(hooks.Admin()).get(), {}, &listed).ok());
  CHECK(listed.endpoints_size() == 0);
  // An operator is no admin.
  v1::CreateWebhookEndpointRequest request;
  request.mutable_endpoint()->set_url("https://hooks.example.org/");
  request.set_secret(kSecret);
  CHECK(
      hooks.server.Operators()
          ->CreateWebhookEndpoint(Call(hooks.server.Token("operator", "desk")).get(), request, &out)
          .error_code() == grpc::PERMISSION_DENIED);
}

}  // namespace
}  // namespace mayday::testing
