// Dispatch's faults as decorators; see dispatch_faults.h.
#include "dispatch_faults.h"

#include <cstdio>
#include <utility>

namespace mayday::testing {

void StallingEngine::Stall() {
  absl::MutexLock lock(&mu_);
  stall_ = true;
}

void StallingEngine::Resume() {
  absl::MutexLock lock(&mu_);
  stall_ = false;
}

bool StallingEngine::AwaitStalled(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  const auto blocked = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return blocked_ > 0; };
  return mu_.AwaitWithTimeout(absl::Condition(&blocked), timeout);
}

std::vector<dispatch::Decision> StallingEngine::Step() {
  {
    absl::MutexLock lock(&mu_);
    ++blocked_;
    const auto resumed = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !stall_; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&resumed), absl::Minutes(1))) {
      std::fprintf(stderr, "StallingEngine: still stalled after a minute; going on\n");
    }
    --blocked_;
  }
  return EngineWrapper::Step();
}

void FailingCaseWriter::AppendAsync(
    std::string case_id, std::string actor, server::OwnedCaseChange change,
    absl::AnyInvocable<void(absl::StatusOr<server::CommittedChange>)> done,
    std::optional<server::AuditEntry> audit) {
  if (fail_) {
    change = [](const mayday::v1::Case&, mayday::v1::Case&, mayday::v1::CaseEvent&) {
      return absl::UnavailableError("dispatch commits fail (a test's FailingCaseWriter)");
    };
  }
  wrapped_->AppendAsync(std::move(case_id), std::move(actor), std::move(change), std::move(done),
                        std::move(audit));
}

void DispatchFaults::Install(server::ServerOptions& options) {
  options.wrap_engine = [this](std::unique_ptr<dispatch::Engine> engine) {
    auto stalling = std::make_unique<StallingEngine>(std::move(engine));
    this->engine = stalling.get();
    return std::unique_ptr<dispatch::Engine>(std::move(stalling));
  };
  options.wrap_dispatch_writer = [this](server::CaseWriter* writer) {
    auto failing = std::make_unique<FailingCaseWriter>(writer);
    this->writer = failing.get();
    return std::unique_ptr<server::CaseWriter>(std::move(failing));
  };
}

}  // namespace mayday::testing
