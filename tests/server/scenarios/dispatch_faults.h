// Faults of dispatch for the degraded-mode tests, put in as decorators of what
// dispatch runs on (ServerOptions::wrap_engine and wrap_dispatch_writer), so
// that the production loop has no test hooks: an engine whose Step() hangs,
// and a case writer whose commits fail.
#ifndef MAYDAY_TESTS_SERVER_DISPATCH_FAULTS_H_
#define MAYDAY_TESTS_SERVER_DISPATCH_FAULTS_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cases/case_log.h"
#include "mayday/dispatch/engine_wrapper.h"
#include "server.h"

namespace mayday::testing {

// An engine whose Step() can be made to hang, as a stuck engine would: the
// thread that calls it blocks there, holding the dispatcher's lock, until
// Resume() (or, as a safety net for a test that failed half-way, a minute).
class StallingEngine final : public dispatch::EngineWrapper {
 public:
  using EngineWrapper::EngineWrapper;

  // Every Step() from now on blocks until Resume().
  void Stall();
  // Lets blocked Step()s go on, and new ones run.
  void Resume();
  // Waits (real time) until a Step() is blocked. False after `timeout`.
  bool AwaitStalled(absl::Duration timeout = absl::Seconds(10));

  std::vector<dispatch::Decision> Step() override;

 private:
  absl::Mutex mu_;
  bool stall_ ABSL_GUARDED_BY(mu_) = false;
  int blocked_ ABSL_GUARDED_BY(mu_) = 0;
};

// A case writer whose changes can be made to fail (UNAVAILABLE, on the
// store's writer thread, so nothing of them is stored), as a failing disk
// would for dispatch's writes alone.
class FailingCaseWriter final : public server::CaseWriter {
 public:
  explicit FailingCaseWriter(server::CaseWriter* wrapped) : wrapped_(wrapped) {}

  void Fail(bool fail) { fail_ = fail; }

  void AppendAsync(std::string case_id, std::string actor, server::OwnedCaseChange change,
                   absl::AnyInvocable<void(absl::StatusOr<server::CommittedChange>)> done,
                   std::optional<server::AuditEntry> audit) override;

 private:
  server::CaseWriter* const wrapped_;
  std::atomic<bool> fail_ = false;
};

// Both decorators, for a TestServer's configure function. Install() sets the
// wrappers in the options; `engine` and `writer` point at the ones the
// running server uses (set again on each restart).
struct DispatchFaults {
  StallingEngine* engine = nullptr;
  FailingCaseWriter* writer = nullptr;

  void Install(server::ServerOptions& options);
};

}  // namespace mayday::testing

#endif  // MAYDAY_TESTS_SERVER_DISPATCH_FAULTS_H_
