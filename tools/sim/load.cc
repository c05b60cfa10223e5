// RaiseAlert load generator; see load.h.
#include "sim/load.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "mayday/v1/alert_service.grpc.pb.h"
#include "maydayctl/json.h"
#include "maydayctl/rpc.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;

// What a phone sends: a random point (over the Netherlands, or in the
// options' area), both kinds, a short note, a fresh request_id.
v1::RaiseAlertRequest MakeAlert(const LoadOptions& options, std::mt19937_64& random) {
  LatLng at;
  if (options.area_radius_meters > 0) {
    at = RandomPointWithin(options.area_center, options.area_radius_meters, random);
  } else {
    at = {std::uniform_real_distribution<double>(51.0, 53.4)(random),
          std::uniform_real_distribution<double>(3.5, 7.1)(random)};
  }
  v1::RaiseAlertRequest request;
  request.set_request_id(absl::StrFormat("%016x%016x", random(), random()));
  request.set_kind(random() % 2 == 0 ? v1::CASE_KIND_ROAD : v1::CASE_KIND_MEDICAL);
  request.mutable_location()->set_latitude(at.latitude);
  request.mutable_location()->set_longitude(at.longitude);
  request.mutable_location()->set_horizontal_accuracy_meters(12);
  request.set_note("load test: grey van, hazard lights on");
  return request;
}

class Load {
 public:
  Load(const LoadOptions& options, const std::shared_ptr<grpc::ChannelCredentials>& credentials)
      : options_(options), random_(options.seed) {
    for (int i = 0; i < options.connections; ++i) {
      grpc::ChannelArguments args = ChannelArgumentsFor(options.server);
      args.SetInt("mayday.load.connection", i);  // one connection per stub
      stubs_.push_back(v1::AlertService::NewStub(
          grpc::CreateCustomChannel(options.server.address, credentials, args)));
    }
  }

  LoadResult Run() {
    start_ = absl::Now();
    measure_from_ = start_ + options_.warmup;
    end_ = measure_from_ + options_.duration;
    if (options_.rate <= 0) {
      for (int i = 0; i < options_.concurrency; ++i) Launch(absl::Now(), /*slot_held=*/false);
    } else {
      Pace();
    }
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](Load* self) ABSL_NO_THREAD_SAFETY_ANALYSIS { return self->in_flight_ == 0; }, this));
    return Summarize();
  }

 private:
  struct Call {
    grpc::ClientContext context;
    v1::RaiseAlertRequest request;
    v1::Case reply;
    absl::Time due;
    absl::Time sent;
  };

  // Open loop: a call is due every 1/rate s; if all `concurrency` slots are
  // busy it waits, and the wait counts in its latency.
  void Pace() {
    const absl::Duration period = absl::Seconds(1.0 / options_.rate);
    for (int64_t i = 0;; ++i) {
      const absl::Time due = start_ + period * i;
      if (due >= end_) return;
      absl::SleepFor(due - absl::Now());
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](Load* self) ABSL_NO_THREAD_SAFETY_ANALYSIS {
              return self->in_flight_ < self->options_.concurrency;
            },
            this));
      }
      Launch(due, /*slot_held=*/false);
    }
  }

  // Starts a call due at `due`. `slot_held`: the caller already counts it in
  // in_flight_ (a closed-loop call taking over its predecessor's slot).
  void Launch(absl::Time due, bool slot_held) {
    auto call = std::make_unique<Call>();
    int64_t n;
    {
      absl::MutexLock lock(&mu_);
      call->request = MakeAlert(options_, random_);
      n = launched_++;
      if (!slot_held) ++in_flight_;
    }
    call->due = due;
    call->context.AddMetadata("authorization",
                              "Bearer " + options_.tokens[n % options_.tokens.size()]);
    call->context.set_deadline(absl::ToChronoTime(absl::Now() + options_.call_timeout));
    call->sent = absl::Now();
    Call* raw = call.release();
    stubs_[n % stubs_.size()]->async()->RaiseAlert(
        &raw->context, &raw->request, &raw->reply,
        [this, raw](grpc::Status status) { Done(std::unique_ptr<Call>(raw), status); });
  }

  void Done(std::unique_ptr<Call> call, const grpc::Status& status) {
    const absl::Time now = absl::Now();
    const bool counted = call->due >= measure_from_ && call->due < end_;
    // Closed loop: keep `concurrency` calls in flight until the end.
    const bool again = options_.rate <= 0 && now < end_;
    {
      absl::MutexLock lock(&mu_);
      if (status.ok() && options_.timeline > absl::ZeroDuration() && call->due < end_) {
        const size_t slice = static_cast<size_t>((call->due - start_) / options_.timeline);
        if (slice >= worst_ns_.size()) worst_ns_.resize(slice + 1, 0);
        worst_ns_[slice] = std::max(worst_ns_[slice], absl::ToInt64Nanoseconds(now - call->due));
      }
      if (counted) {
        if (status.ok()) {
          latencies_ns_.push_back(absl::ToInt64Nanoseconds(now - call->due));
          // maydayd answers a press of a member whose case of the kind is
          // open with that case, opened by another request_id.
          if (call->reply.request_id() != call->request.request_id()) ++joined_;
          if (options_.on_acknowledged) options_.on_acknowledged(call->reply, call->sent);
        } else {
          ++failed_;
          if (first_error_.empty()) {
            first_error_ = absl::StrCat(status.error_code(), ": ", status.error_message());
          }
        }
      }
    }
    // Gone before its slot is: once in_flight_ reaches 0, Run returns and
    // this Load (its channels with it) is destroyed.
    call.reset();
    if (again) {
      Launch(now, /*slot_held=*/true);
      return;
    }
    absl::MutexLock lock(&mu_);
    --in_flight_;
  }

  LoadResult Summarize() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    LoadResult result;
    std::sort(latencies_ns_.begin(), latencies_ns_.end());
    result.completed = static_cast<int64_t>(latencies_ns_.size());
    result.failed = failed_;
    result.joined = joined_;
    result.first_error = first_error_;
    result.seconds = absl::ToDoubleSeconds(options_.duration);
    result.per_second = result.completed / result.seconds;
    SetLatencies(latencies_ns_, result);
    for (int64_t ns : worst_ns_) result.worst_ms_by_slice.push_back(ns / 1e6);
    return result;
  }

  const LoadOptions options_;
  std::vector<std::unique_ptr<v1::AlertService::Stub>> stubs_;
  absl::Time start_, measure_from_, end_;
  absl::Mutex mu_;
  std::mt19937_64 random_ ABSL_GUARDED_BY(mu_);
  int64_t launched_ ABSL_GUARDED_BY(mu_) = 0;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<int64_t> latencies_ns_ ABSL_GUARDED_BY(mu_);
  std::vector<int64_t> worst_ns_ ABSL_GUARDED_BY(mu_);  // per timeline slice
  int64_t failed_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t joined_ ABSL_GUARDED_BY(mu_) = 0;
  std::string first_error_ ABSL_GUARDED_BY(mu_);
};

// `,"timeline_ms":N,"worst_ms":[...]`, or nothing without a timeline.
std::string Timeline(const LoadOptions& options, const LoadResult& r) {
  if (options.timeline <= absl::ZeroDuration()) return "";
  std::string out =
      absl::StrCat(",\"timeline_ms\":", JsonNumber(absl::ToDoubleMilliseconds(options.timeline), 1),
                   ",\"worst_ms\":[");
  for (size_t i = 0; i < r.worst_ms_by_slice.size(); ++i) {
    absl::StrAppend(&out, i == 0 ? "" : ",", JsonNumber(r.worst_ms_by_slice[i], 1));
  }
  return out + "]";
}

}  // namespace

int64_t Quantile(const std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double rank = std::ceil(std::clamp(q, 0.0, 1.0) * sorted.size());
  const size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

absl::StatusOr<LoadResult> RunAlertLoad(const LoadOptions& options) {
  if (options.tokens.empty()) return absl::InvalidArgumentError("no member tokens");
  if (options.concurrency < 1 || options.connections < 1) {
    return absl::InvalidArgumentError("concurrency and connections must be at least 1");
  }
  if (options.duration <= absl::ZeroDuration() || options.rate < 0) {
    return absl::InvalidArgumentError("duration must be positive and rate not negative");
  }
  if (options.timeline > absl::ZeroDuration() && options.timeline < absl::Milliseconds(1)) {
    return absl::InvalidArgumentError("timeline slices must be at least 1 ms long");
  }
  auto credentials = ChannelCredentialsFor(options.server);
  if (!credentials.ok()) return credentials.status();
  Load load(options, *credentials);
  return load.Run();
}

std::string LoadResultJson(const std::string& label, const LoadOptions& options,
                           const LoadResult& r) {
  return absl::StrCat(
      "{\"label\":", JsonString(label), ",\"rate\":", JsonNumber(options.rate, 1),
      ",\"concurrency\":", options.concurrency, ",\"connections\":", options.connections,
      ",\"completed\":", r.completed, ",\"failed\":", r.failed, ",\"joined\":", r.joined,
      ",\"seconds\":", JsonNumber(r.seconds, 3), ",\"per_second\":", JsonNumber(r.per_second, 1),
      ",\"p50_ms\":", JsonNumber(r.p50_ms, 3), ",\"p99_ms\":", JsonNumber(r.p99_ms, 3),
      ",\"p999_ms\":", JsonNumber(r.p999_ms, 3), ",\"max_ms\":", JsonNumber(r.max_ms, 3),
      ",\"first_error\":", JsonString(r.first_error), Timeline(options, r), "}");
}

}  // namespace mayday::tools
