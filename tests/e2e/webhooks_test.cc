// Webhooks on the real binaries, under faults: maydayd with simulated crews
// (mayday-sim) takes 200 road cases through their lives while a receiver
// on loopback checks every delivery's signature; the receiver answers 500
// at random, is down for 60 s in the middle, and maydayd is SIGKILLed twice
// while deliveries flow. At the end the receiver holds every event of every
// case, each case's first in sequence order, duplicates only under the
// same idempotency key. Beside it, an endpoint that takes 10 s per request
// does not delay the healthy one's deliveries by more than a second (the
// first phase, before any fault).
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../sdk_faults/child_process.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "daemon.h"
#include "grpcpp/grpcpp.h"
#include "http_receiver.h"
#include "mayday/v1/alert_service.grpc.pb.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "webhooks/signature.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

constexpr int kCases = 200;
constexpr int kFirstPhaseCases = 30;
const std::string kSecret = "e2e-webhook-secret-0123456789abcdef";

std::unique_ptr<grpc::ClientContext> As(const std::string& token, absl::Duration timeout) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + token);
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return context;
}

// The text of `"field":"..."` in `json` after `from`; empty if absent.
std::string StringField(const std::string& json, const std::string& field, size_t from = 0) {
  const std::string start = "\"" + field + "\":\"";
  const size_t at = json.find(start, from);
  if (at == std::string::npos) return "";
  const size_t begin = at + start.size();
  return json.substr(begin, json.find('"', begin) - begin);
}

// One request as the healthy receiver saw and answered it.
struct Seen {
  std::string key;            // Idempotency-Key
  std::string body_key;       // the body's idempotency_key
  std::string case_name;      // the event's case
  int64_t sequence = 0;       // the event's sequence
  absl::Time received;        // when it arrived
  absl::Time event_time;      // when the event was committed
  bool signature_ok = false;  // Mayday-Signature checked with the secret
  bool answered_ok = false;   // answered 2xx: delivered
};

// The healthy endpoint: answers 200, or 500 at random, or nothing while
// down; records everything.
class Healthy {
 public:
  Healthy() {
    HttpReceiver::Options options;
    options.handler = [this](const ReceivedRequest& request) { return Handle(request); };
    options.max_connections = 64;
    auto started = HttpReceiver::Start(std::move(options));
    if (!started.ok()) throw std::runtime_error(started.status().ToString());
    http_ = *std::move(started);
  }
  std::string Url() const { return http_->Url("/mayday"); }
  void set_failure_rate(double rate) { failure_rate_ = rate; }
  void set_down(bool down) { down_ = down; }
  std::vector<Seen> seen() const {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  Reply Handle(const ReceivedRequest& request) {
    Seen s;
    s.received = absl::Now();
    s.key = request.headers.Get("Idempotency-Key").value_or("");
    s.body_key = StringField(request.body, "idempotency_key");
    const size_t event = request.body.find("\"event\":{");
    s.case_name = StringField(request.body, "case", event);
    if (!absl::SimpleAtoi(StringField(request.body, "sequence", event), &s.sequence)) {
      s.sequence = -1;
    }
    std::string error;
    absl::ParseTime(absl::RFC3339_full, StringField(request.body, "event_time", event),
                    &s.event_time, &error);
    s.signature_ok =
        server::webhooks::VerifySignature(
            kSecret, request.headers.Get("Mayday-Signature").value_or(""), request.body, s.received)
            .ok();
    Reply reply;
    if (down_.load()) {
      reply.close_without_answer = true;
    } else {
      absl::MutexLock lock(&mu_);
      if (std::uniform_real_distribution<double>(0, 1)(random_) < failure_rate_.load()) {
        reply.status = 500;
      }
    }
    s.answered_ok = !reply.close_without_answer && reply.status == 200;
    absl::MutexLock lock(&mu_);
    seen_.push_back(std::move(s));
    return reply;
  }

  std::atomic<double> failure_rate_{0};
  std::atomic<bool> down_{false};
  mutable absl::Mutex mu_;
  std::mt19937 random_ ABSL_GUARDED_BY(mu_){20261207};
  std::vector<Seen> seen_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<HttpReceiver> http_;
};

// Reads a child's output so that its pipe never fills.
class Drained {
 public:
  explicit Drained(const std::vector<std::string>& argv)
      : process_(argv), reader_([this] {
          while (!stop_.load()) process_.ReadLine(absl::Milliseconds(100));
        }) {}
  ~Drained() {
    stop_ = true;
    process_.Kill();
    reader_.join();
  }

 private:
  ChildProcess process_;
  std::atomic<bool> stop_{false};
  std::thread reader_;
};

std::vector<std::string> Lines(const Output& output) {
  std::vector<std::string> tokens;
  for (const std::string& line : output.lines) {
    if (absl::StartsWith(line, "mdy_")) tokens.push_back(line);
  }
  return tokens;
}

TEST_CASE("Webhooks deliver every event of 200 cases in order through faults and kills",
          "[webhooks]") {
  Scratch scratch;
  const std::string db = (scratch.dir / "mayday.db").string();
  const std::vector<std::string> flags = {"--webhook-allow-private", "--webhook-allow-http",
                                          "--webhook-max-backoff",   "3",
                                          "--webhook-timeout",       "12"};
  auto daemon = std::make_unique<Daemon>(MAYDAYD_BINARY, db, flags);
  const std::string address = daemon->address();
  const std::string listen = absl::StrCat("127.0.0.1:", daemon->port());
  const std::string admin = CreateToken(MAYDAYD_BINARY, db, "admin", "root");
  const std::vector<std::string> members =
      Lines(Run({MAYDAYD_BINARY, "token", "create", "--db", db, "--role", "member", "--subject",
                 "m", "--count", std::to_string(kCases)}));
  REQUIRE(members.size() == static_cast<size_t>(kCases));
  const std::string crews = (scratch.dir / "crews.tokens").string();
  {
    std::ofstream out(crews);
    for (const std::string& token :
         Lines(Run({MAYDAYD_BINARY, "token", "create", "--db", db, "--role", "responder",
                    "--subject", "unit", "--count", "24"}))) {
      out << token << "\n";
    }
  }

  // Both endpoints, through maydayctl.
  Healthy healthy;
  HttpReceiver::Options slow_options;
  slow_options.handler = [](const ReceivedRequest&) { return Reply{.delay = absl::Seconds(10)}; };
  auto slow = HttpReceiver::Start(std::move(slow_options));
  REQUIRE(slow.ok());
  const std::string secret_file = (scratch.dir / "hook.secret").string();
  std::ofstream(secret_file) << kSecret << "\n";
  for (const std::string& url : {healthy.Url(), (*slow)->Url("/slow")}) {
    const Output added = Run({MAYDAYCTL_BINARY, "--server", address, "--token", admin, "webhooks",
                              "add", url, "--secret-file", secret_file});
    INFO(added.text());
    REQUIRE(added.exit_code == 0);
  }

  Drained sim({MAYDAY_SIM_BINARY,    "responders", "--server",        address,
               "--token-file",       crews,        "--center",        "52.3676,4.9041",
               "--radius-m",         "1500",       "--fleet",         "tow:24",
               "--accept-delay-ms",  "0",          "--drive-seconds", "2",
               "--on-scene-seconds", "2",          "--duration-s",    "600"});
  absl::SleepFor(absl::Seconds(3));  // on duty, positions reported

  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto alerts = v1::AlertService::NewStub(channel);
  std::vector<std::string> case_names(kCases);
  // Raises case `i`, retrying (same request_id) through restarts.
  const auto raise = [&](int i) {
    v1::RaiseAlertRequest request;
    request.set_request_id(absl::StrCat("press-", i));
    request.set_kind(v1::CASE_KIND_ROAD);
    request.mutable_location()->set_latitude(52.3676 + (i % 10) * 0.0005);
    request.mutable_location()->set_longitude(4.9041 + (i / 10 % 10) * 0.0005);
    for (int attempt = 0; attempt < 200; ++attempt) {
      v1::Case opened;
      if (alerts->RaiseAlert(As(members[i], absl::Seconds(2)).get(), request, &opened).ok()) {
        case_names[i] = opened.name();
        return;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
  };

  // Phase 1: no faults; the slow endpoint holds its requests 10 s each.
  for (int i = 0; i < kFirstPhaseCases; ++i) {
    raise(i);
    absl::SleepFor(absl::Milliseconds(300));
  }
  absl::SleepFor(absl::Seconds(4));
  const absl::Time phase_one_end = absl::Now();
  absl::Duration worst_quiet = absl::ZeroDuration();
  int quiet_deliveries = 0;
  for (const Seen& s : healthy.seen()) {
    if (s.received > phase_one_end) continue;
    worst_quiet = std::max(worst_quiet, s.received - s.event_time);
    ++quiet_deliveries;
  }
  WARN("phase 1: " << quiet_deliveries << " deliveries, slowest "
                   << absl::FormatDuration(worst_quiet) << " after its commit; the slow endpoint "
                   << (*slow)->requests().size() << " requests");
  CHECK(quiet_deliveries >= kFirstPhaseCases);
  CHECK(worst_quiet < absl::Seconds(1));

  // Phase 2: random 500s, two SIGKILLs, the receiver down for 60 s.
  healthy.set_failure_rate(0.15);
  std::thread raiser([&] {
    for (int i = kFirstPhaseCases; i < kCases; ++i) {
      raise(i);
      absl::SleepFor(absl::Milliseconds(200));
    }
  });
  const auto kill_and_restart = [&] {
    const int status = daemon->Stop(SIGKILL);
    CHECK(WIFSIGNALED(status));
    daemon = std::make_unique<Daemon>(MAYDAYD_BINARY, db, flags, listen);
  };
  absl::SleepFor(absl::Seconds(5));
  kill_and_restart();
  absl::SleepFor(absl::Seconds(3));
  healthy.set_down(true);
  const absl::Time down_at = absl::Now();
  absl::SleepFor(absl::Seconds(15));
  kill_and_restart();
  absl::SleepFor(down_at + absl::Seconds(60) - absl::Now());
  healthy.set_down(false);
  raiser.join();

  // Every case closed: a care agent cancels those the crews have not
  // resolved yet, so that each case's last event is known.
  const std::string agent = CreateToken(MAYDAYD_BINARY, db, "operator", "desk");
  auto operators = v1::OperatorService::NewStub(channel);
  std::map<std::string, int64_t> last_sequence;
  for (const std::string& name : case_names) {
    REQUIRE_FALSE(name.empty());
    v1::Case c;
    for (int attempt = 0; attempt < 50; ++attempt) {
      v1::GetCaseRequest get;
      get.set_name(name);
      if (!operators->GetCase(As(agent, absl::Seconds(2)).get(), get, &c).ok()) continue;
      if (c.state() == v1::CASE_STATE_RESOLVED || c.state() == v1::CASE_STATE_CANCELLED) break;
      v1::CancelCaseRequest cancel;
      cancel.set_name(name);
      cancel.set_reason("end of the test");
      operators->CancelCase(As(agent, absl::Seconds(2)).get(), cancel, &c);
    }
    REQUIRE((c.state() == v1::CASE_STATE_RESOLVED || c.state() == v1::CASE_STATE_CANCELLED));
    last_sequence[name] = c.last_sequence();
  }
  int64_t events = 0;
  for (const auto& [name, last] : last_sequence) events += last;

  // Wait until every event was delivered (answered 2xx) at least once.
  const auto delivered_all = [&] {
    std::map<std::string, std::set<int64_t>> got;
    for (const Seen& s : healthy.seen()) {
      if (s.answered_ok) got[s.case_name].insert(s.sequence);
    }
    for (const auto& [name, last] : last_sequence) {
      if (static_cast<int64_t>(got[name].size()) < last) return false;
    }
    return true;
  };
  const absl::Time give_up = absl::Now() + absl::Seconds(90);
  while (!delivered_all() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(200));

  const std::vector<Seen> seen = healthy.seen();
  std::map<std::string, std::vector<int64_t>> first_delivered;
  std::map<std::string, int> copies;
  int bad_signatures = 0;
  int bad_keys = 0;
  int refused = 0;
  for (const Seen& s : seen) {
    if (!s.signature_ok) ++bad_signatures;
    if (s.key != s.body_key || s.key != absl::StrCat(s.case_name, "/events/", s.sequence)) {
      ++bad_keys;
    }
    if (!s.answered_ok) {
      ++refused;
      continue;
    }
    if (++copies[s.key] > 1) continue;
    first_delivered[s.case_name].push_back(s.sequence);
  }
  int duplicates = 0;
  for (const auto& [key, n] : copies) duplicates += n - 1;
  WARN(kCases << " cases, " << events << " events; " << seen.size() << " requests to the healthy "
              << "endpoint: " << refused << " answered 500 or dropped, " << duplicates
              << " duplicates (same key); slow endpoint " << (*slow)->requests().size()
              << " requests");
  CHECK(bad_signatures == 0);
  CHECK(bad_keys == 0);
  for (const auto& [name, last] : last_sequence) {
    INFO(name);
    std::vector<int64_t> in_order;
    for (int64_t s = 1; s <= last; ++s) in_order.push_back(s);
    CHECK(first_delivered[name] == in_order);
  }
  daemon->Stop(SIGTERM);
  (*slow)->Stop();
}

}  // namespace
}  // namespace mayday::testing
