// The fan-out benchmark; see fanout.h.
#include "sim/fanout.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "mayday/v1/alert_service.grpc.pb.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "maydayctl/json.h"
#include "sim/load.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;

constexpr absl::Duration kCallTimeout = absl::Seconds(30);
// How long streams may take to open, and events to arrive after the last post.
constexpr absl::Duration kSettleTimeout = absl::Seconds(60);
// Texts of the benchmark's messages: timed ones, and the probe that shows
// the operator streams are open.
constexpr char kTimedPrefix[] = "fanout benchmark ";
constexpr char kProbeText[] = "fanout probe";

// Every delivery's latency, from all streams.
class Deliveries {
 public:
  void Add(absl::Duration latency) {
    absl::MutexLock lock(&mu_);
    latencies_ns_.push_back(absl::ToInt64Nanoseconds(latency));
  }
  int64_t count() {
    absl::MutexLock lock(&mu_);
    return static_cast<int64_t>(latencies_ns_.size());
  }
  std::vector<int64_t> Sorted() {
    absl::MutexLock lock(&mu_);
    std::vector<int64_t> sorted = latencies_ns_;
    std::sort(sorted.begin(), sorted.end());
    return sorted;
  }

 private:
  absl::Mutex mu_;
  std::vector<int64_t> latencies_ns_ ABSL_GUARDED_BY(mu_);
};

absl::Time EventTime(const v1::CaseEvent& e) {
  return absl::FromUnixSeconds(e.event_time().seconds()) +
         absl::Nanoseconds(e.event_time().nanos());
}

// A stream of CaseEvents (WatchCase or WatchCases): times the benchmark's
// messages; `open` is notified on its first event (WatchCase replays the
// case's last stored event; WatchCases sees the probe).
class Watcher final : public grpc::ClientReadReactor<v1::CaseEvent> {
 public:
  explicit Watcher(Deliveries* deliveries) : deliveries_(deliveries) {}

  grpc::ClientContext* context() { return &context_; }
  void Begin() {
    StartRead(&event_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    const absl::Time now = absl::Now();
    if (!open_.HasBeenNotified()) open_.Notify();
    if (event_.has_message_posted() &&
        absl::StartsWith(event_.message_posted().text(), kTimedPrefix)) {
      deliveries_->Add(now - EventTime(event_));
    }
    StartRead(&event_);
  }
  void OnDone(const grpc::Status& status) override {
    status_ = status;
    if (!open_.HasBeenNotified()) open_.Notify();
    done_.Notify();
  }

  bool WaitOpen(absl::Duration timeout) { return open_.WaitForNotificationWithTimeout(timeout); }
  bool ended() const { return done_.HasBeenNotified(); }
  const grpc::Status& status() const { return status_; }
  void Cancel() {
    context_.TryCancel();
    done_.WaitForNotification();
  }

 private:
  grpc::ClientContext context_;
  v1::CaseEvent event_;
  Deliveries* const deliveries_;
  absl::Notification open_, done_;
  grpc::Status status_;
};

// VmRSS (KiB) and Threads of a process, from /proc/PID/status.
void ReadProcess(int pid, int64_t* rss_kib, int* threads) {
  *rss_kib = 0;
  *threads = 0;
  if (pid <= 0) return;
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    std::istringstream fields(line);
    std::string key;
    int64_t value = 0;
    fields >> key >> value;
    if (key == "VmRSS:") *rss_kib = value;
    if (key == "Threads:") *threads = static_cast<int>(value);
  }
}

absl::Status Failed(absl::string_view what, const grpc::Status& status) {
  return absl::UnavailableError(absl::StrCat(what, ": ", DescribeStatus(FromGrpc(status))));
}

class Fanout {
 public:
  explicit Fanout(const FanoutOptions& options) : options_(options) {}

  absl::StatusOr<FanoutResult> Run() {
    auto credentials = ChannelCredentialsFor(options_.server);
    if (!credentials.ok()) return credentials.status();
    for (int i = 0; i < options_.connections; ++i) {
      grpc::ChannelArguments args = ChannelArgumentsFor(options_.server);
      args.SetInt("mayday.fanout.connection", i);  // one connection per channel
      channels_.push_back(grpc::CreateCustomChannel(options_.server.address, *credentials, args));
    }
    auto alerts = v1::AlertService::NewStub(channels_[0]);
    auto operators = v1::OperatorService::NewStub(channels_[0]);

    // One case per member; its last event is what its watchers replay first.
    std::vector<v1::Case> cases;
    for (size_t m = 0; m < options_.member_tokens.size(); ++m) {
      grpc::ClientContext context;
      PrepareContext(&context, options_.member_tokens[m], kCallTimeout);
      v1::RaiseAlertRequest request;
      request.set_request_id(absl::StrCat("fanout-", m, "-", absl::ToUnixNanos(absl::Now())));
      request.set_kind(m % 2 == 0 ? v1::CASE_KIND_ROAD : v1::CASE_KIND_MEDICAL);
      request.mutable_location()->set_latitude(52.09 + 0.001 * (m % 100));
      request.mutable_location()->set_longitude(5.12 + 0.001 * (m / 100));
      request.set_note("fan-out benchmark");
      v1::Case reply;
      if (auto s = alerts->RaiseAlert(&context, request, &reply); !s.ok()) {
        return Failed("RaiseAlert", s);
      }
      cases.push_back(reply);
    }
    FanoutResult result;
    ReadProcess(options_.server_pid, &result.rss_before_kib, &result.threads_before);

    // The members' watchers, several per case, each replaying the timeline first.
    int64_t stream = 0;
    for (size_t c = 0; c < cases.size(); ++c) {
      for (int w = 0; w < options_.watchers_per_case; ++w, ++stream) {
        auto watcher = std::make_unique<Watcher>(&deliveries_);
        PrepareContext(watcher->context(), options_.member_tokens[c], absl::InfiniteDuration());
        v1::WatchCaseRequest request;
        request.set_name(cases[c].name());
        request.set_after_sequence(0);
        watch_requests_.push_back(request);
        v1::AlertService::NewStub(channels_[stream % channels_.size()])
            ->async()
            ->WatchCase(watcher->context(), &watch_requests_.back(), watcher.get());
        watcher->Begin();
        watchers_.push_back(std::move(watcher));
      }
    }
    for (auto& w : watchers_) {
      if (!w->WaitOpen(kSettleTimeout) || w->ended()) {
        return Failed("a WatchCase stream did not open", w->status());
      }
    }
    // The operators' streams; a probe message shows they are all open.
    for (int o = 0; o < options_.operator_watchers; ++o, ++stream) {
      auto watcher = std::make_unique<Watcher>(&deliveries_);
      PrepareContext(watcher->context(), options_.operator_token, absl::InfiniteDuration());
      v1::OperatorService::NewStub(channels_[stream % channels_.size()])
          ->async()
          ->WatchCases(watcher->context(), &watch_all_request_, watcher.get());
      watcher->Begin();
      operator_watchers_.push_back(std::move(watcher));
    }
    const absl::Time probe_deadline = absl::Now() + kSettleTimeout;
    for (auto& w : operator_watchers_) {
      while (!w->WaitOpen(absl::Milliseconds(200))) {
        if (absl::Now() > probe_deadline) {
          return absl::DeadlineExceededError("the operators' WatchCases streams did not open");
        }
        if (auto s = Post(*operators, cases[0].name(), kProbeText); !s.ok()) return s;
      }
      if (w->ended()) return Failed("a WatchCases stream ended", w->status());
    }
    result.streams = static_cast<int64_t>(watchers_.size() + operator_watchers_.size());
    absl::SleepFor(absl::Seconds(1));  // idle
    ReadProcess(options_.server_pid, &result.rss_idle_kib, &result.threads_idle);

    // The timed messages, paced, round the cases.
    const absl::Duration period = absl::Seconds(1.0 / options_.events_per_second);
    const absl::Time start = absl::Now();
    for (int e = 0; e < options_.events; ++e) {
      absl::SleepFor(start + period * e - absl::Now());
      const std::string text = absl::StrCat(kTimedPrefix, e);
      if (auto s = Post(*operators, cases[e % cases.size()].name(), text); !s.ok()) return s;
    }
    result.expected = static_cast<int64_t>(options_.events) *
                      (options_.watchers_per_case + options_.operator_watchers);
    const absl::Time deadline = absl::Now() + kSettleTimeout;
    while (deliveries_.count() < result.expected && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    for (auto& w : watchers_) w->Cancel();
    for (auto& w : operator_watchers_) w->Cancel();

    const std::vector<int64_t> sorted = deliveries_.Sorted();
    result.delivered = static_cast<int64_t>(sorted.size());
    SetLatencies(sorted, result);
    return result;
  }

 private:
  absl::Status Post(v1::OperatorService::Stub& operators, const std::string& case_name,
                    const std::string& text) {
    grpc::ClientContext context;
    PrepareContext(&context, options_.operator_token, kCallTimeout);
    v1::PostMessageRequest request;
    request.set_case_(case_name);
    request.set_text(text);
    v1::CaseEvent posted;
    if (auto s = operators.PostMessage(&context, request, &posted); !s.ok()) {
      return Failed("PostMessage", s);
    }
    return absl::OkStatus();
  }

  const FanoutOptions options_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  Deliveries deliveries_;
  std::deque<v1::WatchCaseRequest> watch_requests_;  // stable addresses
  v1::WatchCasesRequest watch_all_request_;
  std::vector<std::unique_ptr<Watcher>> watchers_, operator_watchers_;
};

}  // namespace

absl::StatusOr<FanoutResult> RunFanout(const FanoutOptions& options) {
  if (options.member_tokens.empty()) return absl::InvalidArgumentError("no member tokens");
  if (options.operator_token.empty()) return absl::InvalidArgumentError("no operator token");
  if (options.watchers_per_case < 1 || options.operator_watchers < 1 || options.connections < 1 ||
      options.events < 1 || options.events_per_second <= 0) {
    return absl::InvalidArgumentError(
        "watchers, connections, events and events per second must be positive");
  }
  Fanout fanout(options);
  return fanout.Run();
}

std::string FanoutResultJson(const std::string& label, const FanoutOptions& options,
                             const FanoutResult& r) {
  const double per_stream_kib =
      r.streams > 0 ? static_cast<double>(r.rss_idle_kib - r.rss_before_kib) / r.streams : 0;
  return absl::StrCat(
      "{\"label\":", JsonString(label), ",\"cases\":", options.member_tokens.size(),
      ",\"streams\":", r.streams,
      ",\"watch_case_streams\":", options.member_tokens.size() * options.watchers_per_case,
      ",\"watch_cases_streams\":", options.operator_watchers, ",\"events\":", options.events,
      ",\"expected\":", r.expected, ",\"delivered\":", r.delivered,
      ",\"p50_ms\":", JsonNumber(r.p50_ms, 3), ",\"p99_ms\":", JsonNumber(r.p99_ms, 3),
      ",\"p999_ms\":", JsonNumber(r.p999_ms, 3), ",\"max_ms\":", JsonNumber(r.max_ms, 3),
      ",\"rss_before_kib\":", r.rss_before_kib, ",\"rss_idle_kib\":", r.rss_idle_kib,
      ",\"kib_per_stream\":", JsonNumber(per_stream_kib, 1),
      ",\"threads_before\":", r.threads_before, ",\"threads_idle\":", r.threads_idle, "}");
}

}  // namespace mayday::tools
