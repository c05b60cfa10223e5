// The one maydayd that serves a SQLite file. Two servers on one file would
// each dispatch their own alerts to their own crews: an alert raised
// through one escalated "nobody within 50 km" while crews were on duty on
// the other, whose desk never saw it. So serving takes an exclusive lock on
// "<file>-lock" (flock: it dies with the process, kill -9 included, so a
// restart never needs a hand clean-up) and writes its pid there for the
// refusal to name. Other processes that write the file briefly
// (`maydayd token create`) do not take it.
#ifndef MAYDAY_SERVER_STORE_SERVING_LOCK_H_
#define MAYDAY_SERVER_STORE_SERVING_LOCK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace mayday::server {

class ServingLock {
 public:
  // Takes the lock of the SQLite file `target` names (as Store::Open takes
  // it): "<file>-lock". ALREADY_EXISTS, naming the file and the other
  // process ("another maydayd (pid N) serves mayday.db"), if another
  // process holds it; UNAVAILABLE if the lock file cannot be made;
  // INVALID_ARGUMENT for a PostgreSQL target, which replicas share (one of
  // them dispatches: store/dispatch_lease.h).
  static absl::StatusOr<std::unique_ptr<ServingLock>> Take(const std::string& target);
  virtual ~ServingLock() = default;  // releases it
  ServingLock(const ServingLock&) = delete;
  ServingLock& operator=(const ServingLock&) = delete;

 protected:
  ServingLock() = default;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_STORE_SERVING_LOCK_H_
