// The crash test's load client; see crash_load.h.
#include "sim/crash_load.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "mayday/sdk/client.h"
#include "mayday/v1/alert_service.grpc.pb.h"
#include "maydayctl/json.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;

// Wait between attempts: doubles from the first to the last.
constexpr absl::Duration kFirstBackoff = absl::Milliseconds(10);
constexpr absl::Duration kMaxBackoff = absl::Milliseconds(100);
// gRPC's own reconnect backoff starts at 1 s and grows to 2 min: far slower
// than a restart. A phone would keep the default; the test must not wait.
// (gRPC also takes the "minimum backoff" as the time a connection attempt
// may take, handshake included: that one stays long enough for a busy
// machine.)
constexpr int kReconnectBackoffMs = 20;
constexpr int kMaxReconnectBackoffMs = 100;
constexpr int kConnectTimeoutMs = 2000;

// Codes that mean "the server could not answer, try again": what a killed or
// restarting server produces. Anything else is a refusal, which the test
// never provokes, so it counts as a failure.
bool Retryable(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return true;
    default:
      return false;
  }
}

std::string CodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

// One client thread's connection. After a failed call the client dials
// again on a new channel, as a phone does after a network change: a channel
// that lost its server keeps failing for seconds after the server is back
// (gRPC backs off and, on a busy machine, gives up handshakes), which would
// measure gRPC's reconnection instead of maydayd's recovery.
class Connection {
 public:
  explicit Connection(std::string address) : address_(std::move(address)) { Reset(); }

  v1::AlertService::Stub& stub() { return *stub_; }

  // A new channel and connection (its own subchannel: channels with equal
  // arguments would share one).
  void Reset() {
    static std::atomic<int> generation = 0;
    grpc::ChannelArguments args;
    args.SetInt("mayday.crash.connection", generation++);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, kReconnectBackoffMs);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, kConnectTimeoutMs);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kMaxReconnectBackoffMs);
    stub_ = v1::AlertService::NewStub(
        grpc::CreateCustomChannel(address_, grpc::InsecureChannelCredentials(), args));
  }

 private:
  const std::string address_;
  std::unique_ptr<v1::AlertService::Stub> stub_;
};

class CrashLoad {
 public:
  // `watch_log` may be null (no watchers).
  CrashLoad(const CrashLoadOptions& options, std::FILE* acked, std::FILE* watch_log,
            const std::atomic<bool>* stop)
      : options_(options), acked_(acked), watch_log_(watch_log), stop_(stop) {}

  CrashLoadResult Run() {
    start_ = absl::Now();
    std::vector<std::thread> threads;
    for (int i = 0; i < options_.clients; ++i) threads.emplace_back([this, i] { Client(i); });
    for (std::thread& t : threads) t.join();
    // The watchers end with the load (each waits for its SDK thread).
    std::vector<Watching> watching;
    {
      absl::MutexLock lock(&mu_);
      std::swap(watching, watching_);
    }
    watching.clear();
    absl::MutexLock lock(&mu_);
    result_.seconds = absl::ToDoubleSeconds(absl::Now() - start_);
    return result_;
  }

 private:
  // One member's phone after another: raise, record, maybe raise again,
  // cancel; until stopped.
  void Client(int index) {
    std::mt19937_64 random(options_.seed * 1'000'003 + index);
    Connection connection(options_.address);
    std::uniform_real_distribution<double> latitude(51.0, 53.4), longitude(3.5, 7.1);
    if (options_.near.has_value()) {
      // About 2 km either way.
      const auto [lat, lon] = *options_.near;
      latitude = std::uniform_real_distribution<double>(lat - 0.018, lat + 0.018);
      longitude = std::uniform_real_distribution<double>(lon - 0.03, lon + 0.03);
    }
    for (int64_t n = 0; !stop_->load(); ++n) {
      if (options_.per_second > 0) {
        // This client's n-th alert, in turn with the others.
        const absl::Time due =
            start_ +
            absl::Seconds(static_cast<double>(n * options_.clients + index) / options_.per_second);
        while (!stop_->load() && absl::Now() < due) {
          absl::SleepFor(std::min(due - absl::Now(), absl::Milliseconds(100)));
        }
        if (stop_->load()) return;
      }
      const size_t token_index = (index + n * options_.clients) % options_.tokens.size();
      const std::string& token = options_.tokens[token_index];
      v1::RaiseAlertRequest request;
      request.set_request_id(absl::StrFormat("%016x%016x", random(), random()));
      request.set_kind(random() % 2 == 0 ? v1::CASE_KIND_ROAD : v1::CASE_KIND_MEDICAL);
      request.mutable_location()->set_latitude(latitude(random));
      request.mutable_location()->set_longitude(longitude(random));
      request.set_note("crash test");
      int attempts = 0;
      std::optional<v1::Case> acked;
      if (options_.through_sdk) {
        absl::StatusOr<v1::Case> raised = RaiseThroughSdk(token, request);
        if (!raised.ok()) {
          absl::MutexLock lock(&mu_);
          ++result_.gave_up;
          ++result_.errors[absl::StatusCodeToString(raised.status().code())];
          continue;
        }
        acked = *std::move(raised);
        attempts = 1;
      } else {
        acked = RaiseUntilAcknowledged(connection, token, request, &attempts);
      }
      if (!acked.has_value()) return;
      Record(request.request_id(), *acked, token_index, attempts);
      if (options_.watch_every > 0 && n % options_.watch_every == 0) Watch(token, *acked);
      if (options_.reraise_every > 0 && n % options_.reraise_every == 0) {
        std::optional<v1::Case> again =
            RaiseUntilAcknowledged(connection, token, request, &attempts);
        if (!again.has_value()) return;
        absl::MutexLock lock(&mu_);
        ++result_.reraised;
        if (again->name() != acked->name()) {
          ++result_.reraise_mismatches;
          std::fprintf(stderr, "crash-load: request_id %s opened %s, then %s\n",
                       request.request_id().c_str(), acked->name().c_str(), again->name().c_str());
        }
      }
      if (options_.keep_open) continue;
      if (!CancelUntilDone(connection, token, acked->name())) return;
    }
  }

  // One press through the SDK, as a phone makes it: the SDK retries with
  // the same request_id until the client's raise deadline.
  absl::StatusOr<v1::Case> RaiseThroughSdk(const std::string& token,
                                           const v1::RaiseAlertRequest& request) {
    sdk::ClientOptions options;
    options.server = options_.address;
    options.token = token;
    options.call_timeout = options_.call_timeout;
    options.raise_deadline = options_.drain_timeout;
    options.initial_backoff = absl::Milliseconds(100);
    options.max_backoff = absl::Seconds(1);
    absl::StatusOr<std::unique_ptr<sdk::Client>> client = sdk::Client::Create(options);
    if (!client.ok()) return client.status();
    sdk::Alert alert;
    alert.kind = request.kind();
    alert.latitude = request.location().latitude();
    alert.longitude = request.location().longitude();
    alert.note = request.note();
    alert.request_id = request.request_id();
    return (*client)->RaiseAlert(alert);
  }

  // Follows `acked` with its member's SDK WatchCase on the next watch
  // server, writing each event delivered to the watch log.
  void Watch(const std::string& token, const v1::Case& acked) {
    if (options_.watch_servers.empty() || watch_log_ == nullptr) return;
    sdk::ClientOptions options;
    {
      absl::MutexLock lock(&mu_);
      options.server = options_.watch_servers[result_.watched % options_.watch_servers.size()];
    }
    options.token = token;
    options.initial_backoff = absl::Milliseconds(100);
    options.max_backoff = absl::Seconds(1);
    absl::StatusOr<std::unique_ptr<sdk::Client>> client = sdk::Client::Create(options);
    if (!client.ok()) return;
    const std::string name = acked.name();
    absl::StatusOr<std::unique_ptr<sdk::Watch>> watch = (*client)->WatchCase(
        name, 0,
        [this, name](const v1::CaseEvent& event) {
          absl::MutexLock lock(&watch_mu_);
          std::fprintf(watch_log_, "%s %lld %d\n", name.c_str(),
                       static_cast<long long>(event.sequence()), static_cast<int>(event.state()));
          std::fflush(watch_log_);
        },
        [](const absl::Status&) {});
    if (!watch.ok()) return;
    absl::MutexLock lock(&mu_);
    ++result_.watched;
    watching_.push_back(Watching{*std::move(client), *std::move(watch)});
  }

  // Sends `request` until the server acknowledges it. nullopt on a refusal
  // or when draining took too long (counted in the result).
  std::optional<v1::Case> RaiseUntilAcknowledged(Connection& connection, const std::string& token,
                                                 const v1::RaiseAlertRequest& request,
                                                 int* attempts) {
    absl::Duration backoff = kFirstBackoff;
    std::optional<absl::Time> first_failure;
    while (true) {
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + token);
      context.set_deadline(absl::ToChronoTime(absl::Now() + options_.call_timeout));
      v1::Case reply;
      const grpc::Status status = connection.stub().RaiseAlert(&context, request, &reply);
      ++*attempts;
      if (status.ok()) {
        // Committed before an attempt failed: the kill came between the
        // commit and the answer, and the retry found the case.
        if (first_failure.has_value() &&
            absl::FromUnixMicros(reply.create_time().seconds() * 1'000'000 +
                                 reply.create_time().nanos() / 1000) < *first_failure) {
          absl::MutexLock lock(&mu_);
          ++result_.found_by_retry;
        }
        return reply;
      }
      if (!first_failure.has_value()) first_failure = absl::Now();
      if (!Failed(status, "RaiseAlert")) return std::nullopt;
      if (DrainExpired()) return std::nullopt;
      connection.Reset();
      absl::SleepFor(backoff);
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
  }

  // Cancels the member's case until it is CANCELLED (a retry after a lost
  // answer finds it already cancelled: FAILED_PRECONDITION). False on a
  // refusal or an expired drain.
  bool CancelUntilDone(Connection& connection, const std::string& token, const std::string& name) {
    absl::Duration backoff = kFirstBackoff;
    bool retried = false;
    while (true) {
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + token);
      context.set_deadline(absl::ToChronoTime(absl::Now() + options_.call_timeout));
      v1::CancelCaseRequest request;
      request.set_name(name);
      request.set_reason("crash test: false alarm");
      v1::Case reply;
      const grpc::Status status = connection.stub().CancelCase(&context, request, &reply);
      if (status.ok() ||
          (retried && status.error_code() == grpc::StatusCode::FAILED_PRECONDITION)) {
        absl::MutexLock lock(&mu_);
        ++result_.cancelled;
        return true;
      }
      if (!Failed(status, "CancelCase")) return false;
      retried = true;
      if (DrainExpired()) return false;
      connection.Reset();
      absl::SleepFor(backoff);
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
  }

  // Counts a failed call; true if it is worth retrying.
  bool Failed(const grpc::Status& status, const char* method) {
    absl::MutexLock lock(&mu_);
    ++result_.errors[CodeName(status.error_code())];
    if (Retryable(status.error_code())) return true;
    ++result_.refused;
    if (result_.first_refusal.empty()) {
      result_.first_refusal =
          absl::StrCat(method, ": ", CodeName(status.error_code()), ": ", status.error_message());
    }
    return false;
  }

  bool DrainExpired() {
    if (!stop_->load()) return false;
    absl::MutexLock lock(&mu_);
    if (drain_deadline_ == absl::InfiniteFuture()) {
      drain_deadline_ = absl::Now() + options_.drain_timeout;
    }
    if (absl::Now() < drain_deadline_) return false;
    result_.drain_timed_out = true;
    return true;
  }

  void Record(const std::string& request_id, const v1::Case& c, size_t token_index, int attempts) {
    absl::MutexLock lock(&mu_);
    std::fprintf(acked_, "%s %s %s %zu %lld\n", request_id.c_str(), c.name().c_str(),
                 c.member().c_str(), token_index,
                 static_cast<long long>(absl::ToUnixMillis(absl::Now())));
    std::fflush(acked_);
    ++result_.acknowledged;
    result_.attempts += attempts;
    if (attempts > 1) ++result_.retried;
  }

  // A watcher: its Client, and the watch (destroyed first).
  struct Watching {
    std::unique_ptr<sdk::Client> client;
    std::unique_ptr<sdk::Watch> watch;
  };

  const CrashLoadOptions options_;
  std::FILE* const acked_;
  std::FILE* const watch_log_;
  const std::atomic<bool>* const stop_;
  absl::Time start_;  // set before the clients start
  absl::Mutex mu_;
  CrashLoadResult result_ ABSL_GUARDED_BY(mu_);
  std::vector<Watching> watching_ ABSL_GUARDED_BY(mu_);
  absl::Mutex watch_mu_;  // writes to watch_log_
  absl::Time drain_deadline_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
};

}  // namespace

absl::StatusOr<CrashLoadResult> RunCrashLoad(const CrashLoadOptions& options,
                                             const std::atomic<bool>* stop) {
  if (options.tokens.empty()) return absl::InvalidArgumentError("no member tokens");
  if (options.clients < 1) return absl::InvalidArgumentError("--clients must be at least 1");
  if (options.address.empty()) return absl::InvalidArgumentError("no server address");
  std::FILE* acked = std::fopen(options.acked_path.c_str(), "w");
  if (acked == nullptr) {
    return absl::NotFoundError(absl::StrCat("cannot write the acknowledgement file ",
                                            options.acked_path, ": ", std::strerror(errno)));
  }
  std::FILE* watch_log = nullptr;
  if (options.watch_every > 0) {
    if (options.watch_servers.empty() || options.watch_log.empty()) {
      std::fclose(acked);
      return absl::InvalidArgumentError("watchers need watch servers and a watch log");
    }
    watch_log = std::fopen(options.watch_log.c_str(), "w");
    if (watch_log == nullptr) {
      std::fclose(acked);
      return absl::NotFoundError(absl::StrCat("cannot write the watch log ", options.watch_log,
                                              ": ", std::strerror(errno)));
    }
  }
  CrashLoadResult result;
  {
    CrashLoad load(options, acked, watch_log, stop);
    result = load.Run();
  }
  std::fclose(acked);
  if (watch_log != nullptr) std::fclose(watch_log);
  return result;
}

std::string CrashLoadResultJson(const CrashLoadResult& r) {
  std::string errors = "{";
  for (const auto& [code, count] : r.errors) {
    absl::StrAppend(&errors, errors.size() > 1 ? "," : "", JsonString(code), ":", count);
  }
  errors += "}";
  return absl::StrCat(
      "{\"acknowledged\":", r.acknowledged, ",\"attempts\":", r.attempts,
      ",\"retried\":", r.retried, ",\"found_by_retry\":", r.found_by_retry,
      ",\"gave_up\":", r.gave_up, ",\"watched\":", r.watched, ",\"reraised\":", r.reraised,
      ",\"reraise_mismatches\":", r.reraise_mismatches, ",\"cancelled\":", r.cancelled,
      ",\"refused\":", r.refused, ",\"first_refusal\":", JsonString(r.first_refusal),
      ",\"drain_timed_out\":", r.drain_timed_out ? "true" : "false", ",\"errors\":", errors,
      ",\"seconds\":", JsonNumber(r.seconds, 3), "}");
}

}  // namespace mayday::tools
