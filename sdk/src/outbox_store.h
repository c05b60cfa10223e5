// The alert outbox on disk: one small SQLite file, <data_dir>/mayday-outbox.db,
// that holds every RaiseAlert request from the moment it is raised until the
// server acknowledges it, so that an alert survives the app being killed.
// Written with synchronous=FULL: a row that Insert returned for is on disk.
#ifndef MAYDAY_SDK_SRC_OUTBOX_STORE_H_
#define MAYDAY_SDK_SRC_OUTBOX_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "mayday/v1/alert_service.pb.h"

struct sqlite3;

namespace mayday::sdk::internal {

// Thread-safe: every method takes the store's mutex.
class OutboxStore {
 public:
  // The file name inside data_dir.
  static constexpr char kFileName[] = "mayday-outbox.db";

  // Opens (creating if needed) the outbox in `data_dir`, which must exist.
  // Empty data_dir: an in-memory store that does not survive the process.
  // FAILED_PRECONDITION if the file cannot be opened or initialised.
  static absl::StatusOr<std::unique_ptr<OutboxStore>> Open(const std::string& data_dir);
  ~OutboxStore();
  OutboxStore(const OutboxStore&) = delete;
  OutboxStore& operator=(const OutboxStore&) = delete;

  // Stores `request` as pending (replacing a row with the same request_id).
  // Returns once it is durable, or the SQLite error as UNAVAILABLE.
  absl::Status Insert(const mayday::v1::RaiseAlertRequest& request);
  // Marks the alert acknowledged with the case it opened.
  absl::Status MarkAcknowledged(const std::string& request_id, const std::string& case_name);
  // Marks the alert failed for good (a non-retryable error).
  absl::Status MarkFailed(const std::string& request_id, const std::string& error);
  // Returns the pending requests, oldest first.
  absl::StatusOr<std::vector<mayday::v1::RaiseAlertRequest>> LoadPending();
  // Returns the case name of an acknowledged alert, or "" if none.
  std::string AcknowledgedCase(const std::string& request_id);

 private:
  explicit OutboxStore(sqlite3* db) : db_(db) {}
  absl::Status Exec(const char* sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status SetState(const std::string& request_id, int state, const std::string& case_name,
                        const std::string& error);

  absl::Mutex mu_;
  sqlite3* const db_ ABSL_PT_GUARDED_BY(mu_);
};

}  // namespace mayday::sdk::internal

#endif  // MAYDAY_SDK_SRC_OUTBOX_STORE_H_
