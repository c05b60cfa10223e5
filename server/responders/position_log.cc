// Batched positions of responders; see position_log.h.
#include "responders/position_log.h"

#include <pthread.h>

#include <cstdio>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "log/log.h"

namespace mayday::server {

PositionLog::PositionLog(Store* store, const base::Clock* clock, absl::Duration interval)
    : store_(store), clock_(clock), interval_(interval) {
  thread_ = std::thread([this] { FlushLoop(); });
}

PositionLog::~PositionLog() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
  (void)Flush();
}

void PositionLog::Record(const std::string& responder_id, const mayday::v1::Location& location,
                         const std::string& case_id) {
  PositionReport report;
  report.responder = absl::StrCat("responders/", responder_id);
  report.case_id = case_id;
  report.location = location;
  report.report_time = clock_->Now();
  absl::MutexLock lock(&mu_);
  pending_[responder_id] = std::move(report);
}

absl::Status PositionLog::Flush() {
  absl::MutexLock flush_lock(&flush_mu_);
  std::vector<PositionReport> batch;
  {
    absl::MutexLock lock(&mu_);
    batch.reserve(pending_.size());
    for (auto& [id, report] : pending_) batch.push_back(std::move(report));
    pending_.clear();
  }
  return store_->SavePositions(batch);
}

void PositionLog::FlushLoop() {
  pthread_setname_np(pthread_self(), "mayday-position");
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      clock_->AwaitWithTimeout(&mu_, absl::Condition(&stopping_), interval_);
      if (stopping_) return;
    }
    if (absl::Status s = Flush(); !s.ok()) {
      LogWarning("positions_not_stored", "responder positions not stored: %s",
                 s.ToString().c_str());
    }
  }
}

}  // namespace mayday::server
