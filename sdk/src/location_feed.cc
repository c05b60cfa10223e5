// Background location updates; see location_feed.h.
#include "location_feed.h"

#include <utility>

#include "backoff.h"
#include "channel.h"
#include "grpc_status.h"

namespace mayday::sdk::internal {

LocationFeed::LocationFeed(const ClientOptions& options, std::shared_ptr<Stub> stub)
    : options_(options), stub_(std::move(stub)) {}

LocationFeed::~LocationFeed() {
  std::thread thread;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (in_flight_ != nullptr) in_flight_->TryCancel();
    thread = std::move(thread_);
  }
  if (thread.joinable()) thread.join();
}

absl::Status LocationFeed::Feed(const std::string& case_name,
                                const mayday::v1::Location& location) {
  if (case_name.empty()) {
    return absl::InvalidArgumentError("FeedLocation: case_name is required");
  }
  absl::MutexLock lock(&mu_);
  if (ended_.count(case_name) > 0) {
    return absl::FailedPreconditionError("FeedLocation: the server refused updates for this case");
  }
  unsent_[case_name] = location;
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void LocationFeed::Run() {
  Backoff backoff(options_.initial_backoff, options_.max_backoff, RandomSeed());
  absl::MutexLock lock(&mu_);
  while (true) {
    auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ || !unsent_.empty();
    };
    mu_.Await(absl::Condition(&has_work));
    if (stopping_) return;
    auto first = unsent_.begin();
    mayday::v1::UpdateCaseLocationRequest request;
    request.set_name(first->first);
    *request.mutable_location() = first->second;
    unsent_.erase(first);

    grpc::ClientContext context;
    PrepareContext(&context, options_.token, absl::Now() + options_.call_timeout);
    in_flight_ = &context;
    mu_.Unlock();
    mayday::v1::Case updated;
    const grpc::Status status = stub_->UpdateCaseLocation(&context, request, &updated);
    mu_.Lock();
    in_flight_ = nullptr;
    if (stopping_) return;
    if (status.ok()) {
      backoff.Reset();
    } else if (AfterRaiseFailure(status) != AfterFailure::kGiveUp) {
      // Transient, a rate limit's "retry later", or an untrusted server
      // (which Raise and WatchCase report): try again later.
      // Resend unless a newer position arrived meanwhile.
      unsent_.try_emplace(request.name(), request.location());
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), backoff.Next());
    } else {
      ended_.insert(request.name());
      unsent_.erase(request.name());
    }
  }
}

}  // namespace mayday::sdk::internal
