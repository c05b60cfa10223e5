// The wake-up of a replica's commit follower (cases/commit_follower.h): on
// PostgreSQL every commit that writes case events is announced with NOTIFY
// (PgStore, kCommitChannel), and this LISTENs for it on a connection of its
// own. Only a wake-up: a notice lost (the connection broke, a reconnect) is
// made good by the follower, which reads the store by commit sequence
// whenever it wakes, and at the latest after each wait's timeout.
#ifndef MAYDAY_SERVER_STORE_COMMIT_SIGNAL_H_
#define MAYDAY_SERVER_STORE_COMMIT_SIGNAL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mayday::server {

namespace store_internal {
class PgConnection;
}  // namespace store_internal

// Not thread-safe: one follower thread uses it.
class CommitSignal {
 public:
  // LISTENs on the PostgreSQL database `target`. UNAVAILABLE if it cannot
  // be reached.
  static absl::StatusOr<std::unique_ptr<CommitSignal>> Listen(const std::string& target);
  ~CommitSignal();

  // Returns when a commit was announced (true), or after `timeout` (false;
  // on the real clock: a wait on a socket). A broken connection is made
  // again here, without blocking longer than `timeout`; meanwhile it
  // returns false after the timeout.
  bool Await(absl::Duration timeout);

 private:
  explicit CommitSignal(std::string target);
  absl::Status Connect(absl::Duration timeout);

  const std::string target_;
  std::unique_ptr<store_internal::PgConnection> connection_;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_STORE_COMMIT_SIGNAL_H_
