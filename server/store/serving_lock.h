// The one maydayd that serves a database. Two servers on one file would
// each dispatch their own alerts to their own crews: an alert raised
// through one escalated "nobody within 50 km" while crews were on duty on
// the other, whose desk never saw it. So serving takes an exclusive lock on
// "<file>-lock" (flock: it dies with the process, kill -9 included, so a
// restart never needs a hand clean-up) and writes its pid there for the
// refusal to name. Other processes that write the file briefly
// (`maydayd token create`) do not take it.
#ifndef MAYDAY_SERVER_STORE_SERVING_LOCK_H_
#define MAYDAY_SERVER_STORE_SERVING_LOCK_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "mayday/base/clock.h"

namespace mayday::server {

class ServingLock {
 public:
  // Takes the lock of the store `target` names (as Store::Open takes it).
  // A file: the lock of "<file>-lock"; ALREADY_EXISTS, naming the file and
  // the other process ("another maydayd (pid N) serves mayday.db"), if
  // another process holds it; UNAVAILABLE if the lock file cannot be made.
  // A PostgreSQL database: an advisory lock held by a connection of its own
  // (PostgreSQL releases it when that connection ends, a killed maydayd's
  // included); ALREADY_EXISTS naming the other maydayd's pid and host if
  // one holds it; UNAVAILABLE if PostgreSQL cannot be reached. Until
  // dispatch can hand over between replicas, one maydayd serves a
  // database. If that connection breaks, the lock may go to another
  // maydayd: `on_lost` is called once, on a thread of the lock's, within
  // about a second (of `clock`; null: the system clock).
  static absl::StatusOr<std::unique_ptr<ServingLock>> Take(
      const std::string& target, std::function<void(const absl::Status&)> on_lost = {},
      const base::Clock* clock = nullptr);
  virtual ~ServingLock() = default;  // releases it
  ServingLock(const ServingLock&) = delete;
  ServingLock& operator=(const ServingLock&) = delete;

 protected:
  ServingLock() = default;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_STORE_SERVING_LOCK_H_
