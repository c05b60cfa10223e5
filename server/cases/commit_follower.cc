// Following every replica's commits; see commit_follower.h.
#include "cases/commit_follower.h"

#include <pthread.h>

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

#include "log/log.h"

namespace mayday::server {

CommitFollower::CommitFollower(Store* store, EventHub* hub, std::unique_ptr<CommitSignal> signal,
                               CommitFollowerOptions options)
    : store_(store), hub_(hub), signal_(std::move(signal)), options_(options) {}

CommitFollower::~CommitFollower() { Stop(); }

absl::Status CommitFollower::Start() {
  absl::StatusOr<HistoryHeads> heads = store_->Heads();
  if (!heads.ok()) return heads.status();
  {
    absl::MutexLock lock(&mu_);
    position_ = heads->commit_sequence;
  }
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void CommitFollower::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  // The thread sees it within one wait (options_.poll).
  if (thread_.joinable()) thread_.join();
}

void CommitFollower::OnCommit(std::function<void(const CommitRecord&)> consumer) {
  absl::MutexLock lock(&mu_);
  consumer_ = std::move(consumer);
}

int64_t CommitFollower::position() const {
  absl::MutexLock lock(&mu_);
  return position_;
}

bool CommitFollower::AwaitPosition(int64_t sequence, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  const auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return position_ >= sequence; };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

bool CommitFollower::CatchUp() {
  while (true) {
    int64_t after = 0;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return true;
      after = position_;
    }
    absl::StatusOr<std::vector<CommitRecord>> commits =
        store_->ReadCommits(after, options_.max_commits);
    if (!commits.ok()) {
      LogWarning("commits_unreadable", "cannot read the commits after %lld: %s; retrying",
                 static_cast<long long>(after), commits.status().ToString().c_str());
      return false;
    }
    for (const CommitRecord& commit : *commits) {
      for (const mayday::v1::CaseEvent& event : commit.events) hub_->Publish(event);
      std::function<void(const CommitRecord&)> consumer;
      {
        absl::MutexLock lock(&mu_);
        consumer = consumer_;
      }
      if (consumer) consumer(commit);
      absl::MutexLock lock(&mu_);
      position_ = commit.sequence;
    }
    if (static_cast<int>(commits->size()) < options_.max_commits) return true;
  }
}

void CommitFollower::Run() {
  pthread_setname_np(pthread_self(), "mayday-follow");
  while (true) {
    CatchUp();
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    // Reads again on an announcement, or after `poll` without one; looks
    // at stopping_ every 100 ms meanwhile.
    const absl::Time deadline = absl::Now() + options_.poll;
    for (absl::Duration left = options_.poll; left > absl::ZeroDuration();
         left = deadline - absl::Now()) {
      if (signal_->Await(std::min(left, absl::Milliseconds(100)))) break;
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
  }
}

}  // namespace mayday::server
