// The streams open under each access token, so that a token that stops
// being valid stops them too: revoking a token ends every stream it holds at
// once, and a token's expiry ends them at its expiry time (on the injected
// clock). Without this a stream outlives its credentials: outside testers
// watched an operator's WatchCases keep delivering members' locations after
// `maydayctl tokens revoke`.
#ifndef MAYDAY_SERVER_AUTH_TOKEN_SESSIONS_H_
#define MAYDAY_SERVER_AUTH_TOKEN_SESSIONS_H_

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/token.h"
#include "mayday/base/clock.h"
#include "rpc/stream_caps.h"

namespace mayday::server {

// Thread-safe. Streams are not owned: a stream must Close() before it is
// destroyed, and after Close() returns it is never called again.
class TokenSessions {
 public:
  // Told when a token expires while streams of it are open (the principal
  // it stood for), on the sessions' own thread, after they were ended.
  using OnExpired = std::function<void(const Principal&)>;

  // `clock` is not owned and must outlive the object. Starts the thread
  // ("mayday-tokens") that ends streams at their token's expiry.
  TokenSessions(const base::Clock* clock, OnExpired on_expired);
  ~TokenSessions();
  TokenSessions(const TokenSessions&) = delete;
  TokenSessions& operator=(const TokenSessions&) = delete;

  // Counts `stream` as open under `principal`'s token. If the token is
  // already expired or revoked meanwhile, the stream is ended at once.
  void Open(const Principal& principal, CappedStream* stream);
  // Forgets `stream` (from its OnDone). No-op if it was never opened.
  void Close(const Principal& principal, CappedStream* stream);
  // The token `token_id` was revoked: every stream of it ends now with
  // UNAUTHENTICATED, and streams opened under it later end at once.
  void Revoke(const std::string& token_id);

  // Streams open under `token_id` (for tests).
  size_t OpenCount(const std::string& token_id) const;

  // A stream's entry: Open() once the stream is authenticated, Close() from
  // its OnDone (a no-op if it was never opened). Not thread-safe: the stream
  // calls both.
  class Ticket {
   public:
    void Open(TokenSessions* sessions, const Principal& principal, CappedStream* stream) {
      sessions_ = sessions;
      principal_ = principal;
      stream_ = stream;
      sessions_->Open(principal_, stream_);
    }
    void Close() {
      if (sessions_ != nullptr) sessions_->Close(principal_, stream_);
      sessions_ = nullptr;
    }

   private:
    TokenSessions* sessions_ = nullptr;
    Principal principal_;
    CappedStream* stream_ = nullptr;
  };

 private:
  struct Token {
    Principal principal;
    std::vector<CappedStream*> streams;
  };
  void EndLocked(Token& token, const char* why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ExpiryLoop();

  const base::Clock* const clock_;
  const OnExpired on_expired_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Token> open_ ABSL_GUARDED_BY(mu_);
  // Tokens revoked since start (ids only; a handful a day).
  absl::flat_hash_map<std::string, bool> revoked_ ABSL_GUARDED_BY(mu_);
  // Bumped when a stream with an expiry is opened, so that the expiry
  // thread looks again at its next deadline.
  int64_t changes_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_AUTH_TOKEN_SESSIONS_H_
