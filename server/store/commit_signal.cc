// LISTEN for commits; see commit_signal.h.
#include "store/commit_signal.h"

#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "store/pg_connection.h"
#include "store/pg_store.h"

namespace mayday::server {

using store_internal::PgConnection;

absl::StatusOr<std::unique_ptr<CommitSignal>> CommitSignal::Listen(const std::string& target) {
  std::unique_ptr<CommitSignal> signal(new CommitSignal(target));
  if (absl::Status s = signal->Connect(absl::Seconds(5)); !s.ok()) return s;
  return signal;
}

CommitSignal::CommitSignal(std::string target) : target_(std::move(target)) {}

CommitSignal::~CommitSignal() = default;

absl::Status CommitSignal::Connect(absl::Duration timeout) {
  connection_.reset();
  absl::StatusOr<std::unique_ptr<PgConnection>> connection =
      PgConnection::Connect(target_, timeout);
  if (!connection.ok()) return connection.status();
  if (auto listening = (*connection)->Exec(absl::StrCat("LISTEN ", store_internal::kCommitChannel));
      !listening.ok()) {
    return listening.status();
  }
  connection_ = *std::move(connection);
  return absl::OkStatus();
}

bool CommitSignal::Await(absl::Duration timeout) {
  if (connection_ == nullptr || !connection_->healthy()) {
    const absl::Time give_up = absl::Now() + timeout;
    // The follower reads the store after this anyway: what was announced
    // while the connection was down is not lost.
    if (!Connect(timeout).ok()) {
      const absl::Duration left = give_up - absl::Now();
      if (left > absl::ZeroDuration()) std::this_thread::sleep_for(absl::ToChronoNanoseconds(left));
    }
    return false;
  }
  absl::StatusOr<std::vector<PgConnection::Notice>> notices = connection_->AwaitNotices(timeout);
  return notices.ok() && !notices->empty();
}

}  // namespace mayday::server
