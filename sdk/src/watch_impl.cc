// The watch thread; see watch_impl.h.
#include "watch_impl.h"

#include <utility>

#include "channel.h"
#include "grpc_status.h"

namespace mayday::sdk::internal {

bool IsTerminalState(mayday::v1::CaseState state) {
  return state == mayday::v1::CASE_STATE_RESOLVED || state == mayday::v1::CASE_STATE_CANCELLED;
}

WatchRunner::WatchRunner(WatchParams params)
    : params_(std::move(params)),
      backoff_(params_.initial_backoff, params_.max_backoff, params_.backoff_seed),
      last_sequence_(params_.after_sequence) {}

void WatchRunner::Run() {
  absl::Status end;
  while (true) {
    bool terminal = false;
    bool progressed = false;
    const grpc::Status status = params_.on_position ? RunCrewStream(&terminal, &progressed)
                                                    : RunStream(&terminal, &progressed);
    if (terminal) break;  // end stays OK
    if (cancelled()) {
      end = absl::CancelledError("watch cancelled");
      break;
    }
    // A stream that ends OK before the terminal event is as good as broken.
    if (!status.ok() && EndsWatch(status)) {
      end = ToSdkStatus(status);
      break;
    }
    if (progressed) backoff_.Reset();
    if (!SleepUnlessCancelled(backoff_.Next())) {
      end = absl::CancelledError("watch cancelled");
      break;
    }
  }
  params_.on_end(end);
  absl::MutexLock lock(&mu_);
  done_ = true;
}

grpc::Status WatchRunner::RunStream(bool* terminal, bool* progressed) {
  grpc::ClientContext context;
  if (!Attach(&context)) return grpc::Status::CANCELLED;
  mayday::v1::WatchCaseRequest request;
  request.set_name(params_.case_name);
  request.set_after_sequence(last_sequence_.load());
  std::unique_ptr<grpc::ClientReaderInterface<mayday::v1::CaseEvent>> reader =
      params_.stub->WatchCase(&context, request);

  mayday::v1::CaseEvent event;
  while (reader->Read(&event)) {
    if (event.sequence() <= last_sequence_.load()) continue;  // seen already
    if (cancelled()) break;  // Cancel has already cancelled `context`
    params_.on_event(event);
    last_sequence_.store(event.sequence());
    *progressed = true;
    if (IsTerminalState(event.state())) {
      *terminal = true;
      context.TryCancel();  // nothing follows; do not wait for the server
      break;
    }
  }
  return Detach(reader->Finish());
}

grpc::Status WatchRunner::RunCrewStream(bool* terminal, bool* progressed) {
  grpc::ClientContext context;
  if (!Attach(&context)) return grpc::Status::CANCELLED;
  mayday::v1::WatchCrewRequest request;
  request.set_name(params_.case_name);
  std::unique_ptr<grpc::ClientReaderInterface<mayday::v1::CrewPosition>> reader =
      params_.stub->WatchCrew(&context, request);
  mayday::v1::CrewPosition position;
  while (reader->Read(&position)) {
    if (cancelled()) break;  // Cancel has already cancelled `context`
    params_.on_position(position);
    *progressed = true;
  }
  grpc::Status status = reader->Finish();
  // The server ends the stream OK only when there is nothing more to show.
  *terminal = status.ok() && !cancelled();
  return Detach(std::move(status));
}

bool WatchRunner::Attach(grpc::ClientContext* context) {
  PrepareContext(context, params_.token, absl::InfiniteFuture());
  absl::MutexLock lock(&mu_);
  if (cancelled_) return false;
  context_ = context;
  return true;
}

grpc::Status WatchRunner::Detach(grpc::Status status) {
  absl::MutexLock lock(&mu_);
  context_ = nullptr;
  return status;
}

void WatchRunner::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  if (context_ != nullptr) context_->TryCancel();
}

bool WatchRunner::WaitDone(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&done_), timeout);
}

bool WatchRunner::SleepUnlessCancelled(absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&cancelled_), delay);
  return !cancelled_;
}

bool WatchRunner::cancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

WatchImpl::WatchImpl(WatchParams params)
    : runner_(std::make_shared<WatchRunner>(std::move(params))) {
  thread_ = std::thread([runner = runner_] { runner->Run(); });
}

WatchImpl::~WatchImpl() {
  runner_->Cancel();
  if (thread_.get_id() == std::this_thread::get_id()) {
    // Destroyed from its own callback: the thread keeps `runner_` alive and
    // finishes by itself as soon as the callback returns.
    thread_.detach();
  } else {
    thread_.join();
  }
}

}  // namespace mayday::sdk::internal
