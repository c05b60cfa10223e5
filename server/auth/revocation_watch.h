// A token revoked through one replica of a shared database stops working on
// every replica within a second. The revoking replica forgets it and ends
// its streams at once (OperatorService.RevokeToken); every replica also
// reads the audit trail's new rows every `interval`, and for each
// "token.revoke" row forgets the tokens it remembered (Authenticator) and
// ends the streams open under that token here (TokenSessions), so that a
// revoked operator's WatchCases on another replica stops delivering too.
#ifndef MAYDAY_SERVER_AUTH_REVOCATION_WATCH_H_
#define MAYDAY_SERVER_AUTH_REVOCATION_WATCH_H_

#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mayday/base/clock.h"
#include "store/store.h"

namespace mayday::server {

class RevocationWatch {
 public:
  // `on_revoked` gets the id of each token revoked after Start(), on the
  // watch's thread ("mayday-revoked"). `store` and `clock` are not owned.
  RevocationWatch(Store* store, const base::Clock* clock,
                  std::function<void(const std::string& token_id)> on_revoked,
                  absl::Duration interval = absl::Milliseconds(250));
  ~RevocationWatch();  // Stop()

  // Starts after the audit trail's last row now. UNAVAILABLE if the store
  // cannot be read.
  absl::Status Start();
  void Stop();

 private:
  void Run();
  // Reads the rows after position_; false if the store could not be read.
  bool CatchUp();

  Store* const store_;
  const base::Clock* const clock_;
  const std::function<void(const std::string&)> on_revoked_;
  const absl::Duration interval_;
  int64_t position_ = 0;  // the watch's thread only, once started
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_AUTH_REVOCATION_WATCH_H_
