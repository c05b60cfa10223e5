// PositionLog: where the crews are, kept without letting a fleet that
// reports every second flood the database. Reports are held in memory and
// written once per flush interval in one transaction: the latest position of
// each responder (replaced, so the table holds one row per responder) and,
// for a responder on a case, at most one track point per interval.
//
// Positions are not acknowledged alerts: a crash loses at most the last
// interval's reports, and every crew sends a new one seconds later. Dispatch
// itself uses the in-memory engine, not this log.
#ifndef MAYDAY_SERVER_RESPONDERS_POSITION_LOG_H_
#define MAYDAY_SERVER_RESPONDERS_POSITION_LOG_H_

#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mayday/base/clock.h"
#include "store/store.h"

namespace mayday::server {

// Thread-safe.
class PositionLog {
 public:
  // `store` and `clock` are not owned and must outlive the log. Starts the
  // flush thread, which writes every `interval`.
  PositionLog(Store* store, const base::Clock* clock, absl::Duration interval = absl::Seconds(1));
  // Flushes what is pending, then stops the thread.
  ~PositionLog();

  // Records a report of `responder_id` (validated), on `case_id` if it is
  // assigned to one (empty otherwise). Never blocks on storage.
  void Record(const std::string& responder_id, const mayday::v1::Location& location,
              const std::string& case_id);

  // Writes what is pending now. The store's error if the write failed (the
  // reports are dropped: newer ones follow).
  absl::Status Flush();

 private:
  void FlushLoop();

  Store* const store_;
  const base::Clock* const clock_;
  const absl::Duration interval_;
  absl::Mutex flush_mu_;  // one flush at a time, in order
  absl::Mutex mu_;
  // The newest report of each responder since the last flush.
  absl::flat_hash_map<std::string, PositionReport> pending_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_RESPONDERS_POSITION_LOG_H_
