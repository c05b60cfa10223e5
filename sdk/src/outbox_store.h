// The alert outbox on disk: one small SQLite file, <data_dir>/mayday-outbox.db,
// that holds every RaiseAlert request from the moment it is raised until the
// server acknowledges it, so that an alert survives the app being killed.
// Written with synchronous=FULL: a row that Insert returned for is on disk.
#ifndef MAYDAY_SDK_SRC_OUTBOX_STORE_H_
#define MAYDAY_SDK_SRC_OUTBOX_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "mayday/v1/alert_service.pb.h"

struct sqlite3;

namespace mayday::sdk::internal {

// A queued alert that belongs to another member (OutboxStore::
// WaitingForOthers).
struct OthersAlert {
  std::string request_id;
  mayday::v1::CaseKind kind = mayday::v1::CASE_KIND_UNSPECIFIED;
  int64_t queued_at_seconds = 0;  // Unix time it was raised
};

// Each alert is kept with its member's key (MemberKey, request_id.h): a
// phone shared by several members (a family, a log-out and log-in) keeps
// one outbox, and an alert must go under the token of the member who
// raised it, never under the next one's. A store sees and changes only its
// own member's alerts, but can tell how many wait for others.
// Thread-safe: every method takes the store's mutex.
class OutboxStore {
 public:
  // The file name inside data_dir.
  static constexpr char kFileName[] = "mayday-outbox.db";

  // Opens (creating if needed) the outbox in `data_dir`, which must exist,
  // for the member whose key is `member`. Empty data_dir: an in-memory
  // store that does not survive the process. FAILED_PRECONDITION if the
  // file cannot be opened or initialised. An outbox written before alerts
  // had members is given to the first member who opens it (a phone that
  // had one member).
  static absl::StatusOr<std::unique_ptr<OutboxStore>> Open(const std::string& data_dir,
                                                           const std::string& member);
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
  // The pending alerts of other members, oldest first.
  absl::StatusOr<std::vector<OthersAlert>> WaitingForOthers();

 private:
  OutboxStore(sqlite3* db, std::string member) : db_(db), member_(std::move(member)) {}
  absl::Status Exec(const char* sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool HasMemberColumn() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status SetState(const std::string& request_id, int state, const std::string& case_name,
                        const std::string& error);

  absl::Mutex mu_;
  sqlite3* const db_ ABSL_PT_GUARDED_BY(mu_);
  const std::string member_;
};

}  // namespace mayday::sdk::internal

#endif  // MAYDAY_SDK_SRC_OUTBOX_STORE_H_
