// `maydayctl cases watch`: a live tail of OperatorService.WatchCases. The
// stream is read on a worker thread while the main thread waits for SIGINT or
// SIGTERM with sigtimedwait, so that Ctrl-C becomes a TryCancel on the call
// (no work inside a signal handler). A stream that breaks with UNAVAILABLE is
// reopened with exponential backoff; events committed while it was down are
// not replayed (WatchCases has no resume point), which is said on stderr.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <iostream>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/client_context.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "maydayctl/commands.h"
#include "maydayctl/format.h"
#include "maydayctl/json.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;

constexpr absl::Duration kInitialBackoff = absl::Seconds(1);
constexpr absl::Duration kMaxBackoff = absl::Seconds(30);
// How often the main thread checks whether the tail ended by itself.
constexpr absl::Duration kSignalPoll = absl::Milliseconds(100);

// Reads WatchCases until stopped or failed, reconnecting on UNAVAILABLE.
// Run() on one thread; Stop() from any other.
class CaseTail {
 public:
  CaseTail(v1::OperatorService::Stub* stub, const CtlOptions& options)
      : stub_(stub), options_(options), color_(isatty(STDOUT_FILENO) == 1) {}

  // Blocks until Stop() (then OK), until stdout is closed (OK), or until the
  // stream fails with a code other than UNAVAILABLE (that status).
  absl::Status Run() {
    absl::Duration backoff = kInitialBackoff;
    const absl::TimeZone zone = absl::LocalTimeZone();
    while (true) {
      std::unique_ptr<grpc::ClientReader<v1::CaseEvent>> reader;
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) return absl::OkStatus();
        context_ = std::make_unique<grpc::ClientContext>();
        PrepareContext(context_.get(), options_.token, absl::ZeroDuration());
        reader = stub_->WatchCases(context_.get(), v1::WatchCasesRequest());
      }
      v1::CaseEvent event;
      while (reader->Read(&event)) {
        backoff = kInitialBackoff;
        if (!Print(event, zone)) {
          Stop();  // stdout closed, e.g. piped into head.
          break;
        }
      }
      const absl::Status status = FromGrpc(reader->Finish());
      if (IsStopping() || status.ok()) return absl::OkStatus();
      if (status.code() != absl::StatusCode::kUnavailable) return status;
      std::cerr << "maydayctl: watch stream lost (" << DescribeStatus(status)
                << "); reconnecting in " << HumanDuration(backoff)
                << "; events in between are not replayed\n";
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), backoff);
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
  }

  // Makes Run() return soon: cancels the open call and any backoff wait.
  void Stop() {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (context_ != nullptr) context_->TryCancel();
  }

 private:
  bool IsStopping() {
    absl::MutexLock lock(&mu_);
    return stopping_;
  }

  // Prints one event; false when stdout can no longer be written.
  bool Print(const v1::CaseEvent& event, absl::TimeZone zone) {
    if (options_.json) {
      absl::StatusOr<std::string> json = ToJson(event);
      std::cout << (json.ok() ? *json : "{}") << '\n';
    } else {
      std::cout << FormatWatchLine(event, zone, color_) << '\n';
    }
    std::cout.flush();
    return static_cast<bool>(std::cout);
  }

  v1::OperatorService::Stub* const stub_;
  const CtlOptions& options_;
  const bool color_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<grpc::ClientContext> context_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::Status WatchCases(const CtlOptions& options) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = OpenChannel(options.server);
  if (!channel.ok()) return channel.status();
  std::unique_ptr<v1::OperatorService::Stub> stub = v1::OperatorService::NewStub(*channel);

  CaseTail tail(stub.get(), options);
  std::atomic<bool> done = false;
  absl::Status result;
  std::thread worker([&] {
    result = tail.Run();
    done = true;
  });
  const timespec poll = absl::ToTimespec(kSignalPoll);
  while (!done) {
    if (sigtimedwait(&signals, nullptr, &poll) > 0) tail.Stop();
  }
  worker.join();
  return result;
}

}  // namespace mayday::tools
