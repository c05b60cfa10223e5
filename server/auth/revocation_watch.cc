// Revocations made through other replicas; see revocation_watch.h.
#include "auth/revocation_watch.h"

#include <pthread.h>

#include <cstdio>
#include <utility>
#include <vector>

#include "api/names.h"
#include "log/log.h"

namespace mayday::server {
namespace {

// Audit rows read per query.
constexpr int kPage = 1000;

}  // namespace

RevocationWatch::RevocationWatch(Store* store, const base::Clock* clock,
                                 std::function<void(const std::string&)> on_revoked,
                                 absl::Duration interval)
    : store_(store), clock_(clock), on_revoked_(std::move(on_revoked)), interval_(interval) {}

RevocationWatch::~RevocationWatch() { Stop(); }

absl::Status RevocationWatch::Start() {
  absl::StatusOr<HistoryHeads> heads = store_->Heads();
  if (!heads.ok()) return heads.status();
  position_ = heads->audit_sequence;
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void RevocationWatch::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

bool RevocationWatch::CatchUp() {
  while (true) {
    absl::StatusOr<std::vector<AuditRecord>> rows = store_->ListAudit(position_, kPage);
    if (!rows.ok()) {
      LogWarning("audit_unreadable", "cannot read the audit trail after row %lld: %s; retrying",
                 static_cast<long long>(position_), rows.status().ToString().c_str());
      return false;
    }
    for (const AuditRecord& row : *rows) {
      position_ = row.sequence;
      if (row.entry.action != "token.revoke") continue;
      absl::StatusOr<std::string> id = ParseTokenName("target", row.entry.target);
      if (id.ok()) on_revoked_(*id);
    }
    if (static_cast<int>(rows->size()) < kPage) return true;
  }
}

void RevocationWatch::Run() {
  pthread_setname_np(pthread_self(), "mayday-revoked");
  while (true) {
    CatchUp();
    absl::MutexLock lock(&mu_);
    if (clock_->AwaitWithDeadline(&mu_, absl::Condition(&stopping_), clock_->Now() + interval_)) {
      return;
    }
  }
}

}  // namespace mayday::server
