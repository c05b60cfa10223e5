// TokenSessions; see token_sessions.h.
#include "auth/token_sessions.h"

#include <pthread.h>

#include <algorithm>
#include <utility>

#include "absl/status/status.h"

namespace mayday::server {

TokenSessions::TokenSessions(const base::Clock* clock, OnExpired on_expired)
    : clock_(clock), on_expired_(std::move(on_expired)) {
  thread_ = std::thread([this] { ExpiryLoop(); });
}

TokenSessions::~TokenSessions() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void TokenSessions::Open(const Principal& principal, CappedStream* stream) {
  absl::MutexLock lock(&mu_);
  Token& token = open_[principal.token_id];
  token.principal = principal;
  token.streams.push_back(stream);
  if (revoked_.contains(principal.token_id)) {
    EndLocked(token, "the token was revoked: ask for a new one");
  } else if (principal.expire_time <= clock_->Now()) {
    EndLocked(token, "the token expired: ask for a new one");
  }
  if (principal.expire_time != absl::InfiniteFuture()) ++changes_;
}

void TokenSessions::Close(const Principal& principal, CappedStream* stream) {
  absl::MutexLock lock(&mu_);
  auto it = open_.find(principal.token_id);
  if (it == open_.end()) return;
  std::vector<CappedStream*>& streams = it->second.streams;
  streams.erase(std::remove(streams.begin(), streams.end(), stream), streams.end());
  if (streams.empty()) open_.erase(it);
}

void TokenSessions::Revoke(const std::string& token_id) {
  absl::MutexLock lock(&mu_);
  revoked_[token_id] = true;
  auto it = open_.find(token_id);
  if (it != open_.end()) EndLocked(it->second, "the token was revoked: ask for a new one");
}

size_t TokenSessions::OpenCount(const std::string& token_id) const {
  absl::MutexLock lock(&mu_);
  auto it = open_.find(token_id);
  return it == open_.end() ? 0 : it->second.streams.size();
}

void TokenSessions::EndLocked(Token& token, const char* why) {
  // Each stream ends itself (its Evict is idempotent and does not call back
  // here); it leaves the table from its OnDone, through Close.
  for (CappedStream* stream : token.streams) stream->Evict(absl::UnauthenticatedError(why));
}

void TokenSessions::ExpiryLoop() {
  pthread_setname_np(pthread_self(), "mayday-tokens");
  mu_.Lock();
  while (!stopping_) {
    // The earliest expiry among the tokens with open streams.
    absl::Time next = absl::InfiniteFuture();
    for (const auto& [id, token] : open_) next = std::min(next, token.principal.expire_time);
    const int64_t seen = changes_;
    const auto changed = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ || changes_ != seen;
    };
    if (clock_->AwaitWithDeadline(&mu_, absl::Condition(&changed), next)) continue;
    std::vector<Principal> expired;
    const absl::Time now = clock_->Now();
    for (auto& [id, token] : open_) {
      if (token.principal.expire_time > now || token.streams.empty()) continue;
      EndLocked(token, "the token expired: ask for a new one");
      expired.push_back(token.principal);
      token.principal.expire_time = absl::InfiniteFuture();  // ended: not again
    }
    if (expired.empty() || !on_expired_) continue;
    mu_.Unlock();
    for (const Principal& principal : expired) on_expired_(principal);
    mu_.Lock();
  }
  mu_.Unlock();
}

}  // namespace mayday::server
