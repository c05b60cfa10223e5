// WatchCase's (and WatchCrew's) machinery: one std::thread per watch reading the server stream
// with the synchronous API, reconnecting with backoff and resuming from the
// last delivered sequence. The state the thread uses lives in a WatchRunner
// shared between the thread and the Watch handle, so the thread stays valid
// even if the handle is destroyed from inside a callback.
#ifndef MAYDAY_SDK_SRC_WATCH_IMPL_H_
#define MAYDAY_SDK_SRC_WATCH_IMPL_H_

#include <grpcpp/client_context.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "backoff.h"
#include "mayday/sdk/client.h"
#include "mayday/v1/alert_service.grpc.pb.h"

namespace mayday::sdk::internal {

// Everything a watch needs; moved into its runner.
struct WatchParams {
  std::shared_ptr<mayday::v1::AlertService::StubInterface> stub;
  std::string token;
  std::string case_name;
  int64_t after_sequence = 0;
  // WatchCase's events; or, for WatchCrew, on_position (exactly one is set).
  std::function<void(const mayday::v1::CaseEvent&)> on_event;
  std::function<void(const mayday::v1::CrewPosition&)> on_position;
  std::function<void(const absl::Status&)> on_end;
  absl::Duration initial_backoff;
  absl::Duration max_backoff;
  uint64_t backoff_seed = 0;
};

// True for RESOLVED and CANCELLED, after which a case never changes.
bool IsTerminalState(mayday::v1::CaseState state);

// The watch loop and the state it shares with Watch's methods.
class WatchRunner {
 public:
  explicit WatchRunner(WatchParams params);

  // The thread body: streams, reconnects, then calls on_end once.
  void Run();
  // See Watch. Thread-safe.
  void Cancel();
  bool WaitDone(absl::Duration timeout);
  int64_t last_sequence() const { return last_sequence_.load(); }

 private:
  // Runs one WatchCase call from last_sequence_ and returns how it ended.
  // Sets *terminal when the terminal event was delivered and *progressed
  // when at least one new event was.
  grpc::Status RunStream(bool* terminal, bool* progressed);
  // The same for one WatchCrew call: *terminal when the server ended it OK
  // (the crew is there, or the case is over).
  grpc::Status RunCrewStream(bool* terminal, bool* progressed);
  // Prepares `context` for a call and makes it the one Cancel interrupts;
  // false (nothing to call) if the watch was cancelled.
  bool Attach(grpc::ClientContext* context);
  // The call ended with `status`: Cancel has nothing to interrupt now.
  grpc::Status Detach(grpc::Status status);
  // Waits `delay` or until Cancel; returns false if cancelled.
  bool SleepUnlessCancelled(absl::Duration delay);
  bool cancelled() const;

  const WatchParams params_;
  Backoff backoff_;  // watch thread only
  std::atomic<int64_t> last_sequence_;

  mutable absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  // The context of the stream being read, so that Cancel can interrupt it.
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
};

// The handle returned by Client::WatchCase.
class WatchImpl final : public Watch {
 public:
  // Starts the watch thread.
  explicit WatchImpl(WatchParams params);
  ~WatchImpl() override;

  void Cancel() override { runner_->Cancel(); }
  bool WaitDone(absl::Duration timeout) override { return runner_->WaitDone(timeout); }
  int64_t last_sequence() const override { return runner_->last_sequence(); }

 private:
  std::shared_ptr<WatchRunner> runner_;
  std::thread thread_;
};

}  // namespace mayday::sdk::internal

#endif  // MAYDAY_SDK_SRC_WATCH_IMPL_H_
