// CallPool: threads of our own for the unary calls whose work may wait (for
// a commit's fsync, for the dispatcher's lock, for a store read), so that
// gRPC's callback threads never do. The server has two of those on this kind
// of machine, and they also read every alert and every crew's position
// report: two calls waiting on them stop the whole server. RaiseAlert and
// the streams' reactions never wait and stay on gRPC's threads.
#ifndef MAYDAY_SERVER_RPC_CALL_POOL_H_
#define MAYDAY_SERVER_RPC_CALL_POOL_H_

#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace mayday::server {

// Thread-safe.
class CallPool {
 public:
  // Starts `threads` (at least 1) threads named "mayday-call".
  explicit CallPool(int threads);
  // Runs what is queued, then stops the threads.
  ~CallPool();
  CallPool(const CallPool&) = delete;
  CallPool& operator=(const CallPool&) = delete;

  // Runs `work` on one of the pool's threads, in the order queued (several
  // at once, one per thread).
  void Run(absl::AnyInvocable<void() &&> work);

 private:
  void Loop();

  absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void() &&>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_RPC_CALL_POOL_H_
