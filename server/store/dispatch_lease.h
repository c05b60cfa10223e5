// Which replica dispatches, when several maydayd share one PostgreSQL
// database. Dispatch must run in exactly one place: two engines would offer
// one case to two crews. So each dispatch region ("default" for now; the
// key is there so that dispatch can later be split by area, one holder per
// region) has one row in dispatch_leases: its holder, an epoch, and when
// the lease runs out, on the database's clock (replicas' clocks may
// disagree; the database's is the one they share).
//
//   - A replica takes the lease if there is none or it ran out: the epoch
//     goes up by one. The holder renews it every `renew_every`.
//   - Taking it over holds the store's write lock (pg_database.h) for its
//     transaction, so it waits for any batch in flight: a batch that passed
//     the fence check is committed before the epoch changes, and the new
//     holder, which rebuilds dispatch from the store after taking over,
//     sees it.
//   - Every dispatch write checks, in its own transaction and under the
//     same write lock, that its holder and epoch are still the region's
//     (WriteTxn::CheckDispatchLease): a holder that was paused past its
//     lease (SIGSTOP, a long GC-like stall, a cut network) and wakes up
//     writes nothing once another replica took over. Fencing, not timing,
//     keeps a case from being offered twice.
//   - A holder that cannot renew before its lease runs out (by its own
//     clock's count since the last renewal) has lost it: `on_lost` is
//     called once, and maydayd exits for its supervisor to restart it as a
//     standby.
//   - Closing the lease (a clean stop) ends it at once, so that a standby
//     takes over without waiting for it to run out.
#ifndef MAYDAY_SERVER_STORE_DISPATCH_LEASE_H_
#define MAYDAY_SERVER_STORE_DISPATCH_LEASE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mayday/base/clock.h"

namespace mayday::server {

namespace store_internal {
class PgConnection;
}  // namespace store_internal

struct DispatchLeaseOptions {
  // The dispatch region the lease is for.
  std::string region = "default";
  // How long a lease lasts unless renewed; a standby takes over at most
  // this long (plus `renew_every`) after a holder died without a word.
  absl::Duration ttl = absl::Seconds(2);
  // How often the holder renews and a standby tries to take over.
  absl::Duration renew_every = absl::Milliseconds(250);
  // Where the other replicas reach this one ("host:port"), written in the
  // row while it holds the lease: standbys relay dispatch's calls there.
  std::string address;
};

class DispatchLease {
 public:
  // Called on the lease's thread: `on_acquired` once this replica holds
  // the lease, with its epoch (it may block: dispatch is rebuilt there);
  // `on_lost` once if it held the lease and lost it. Neither is called
  // after the lease is destroyed.
  struct Callbacks {
    std::function<void(int64_t epoch)> on_acquired;
    std::function<void(const absl::Status& why)> on_lost;
  };
  // Connects to the PostgreSQL database `target` and starts trying for the
  // lease at once. `holder` names this replica in the row and in messages
  // ("maydayd pid 12 on host-a, 127.0.0.1:7433"); made unique here.
  // UNAVAILABLE if PostgreSQL cannot be reached; INVALID_ARGUMENT for a
  // ttl not above renew_every.
  static absl::StatusOr<std::unique_ptr<DispatchLease>> Start(const std::string& target,
                                                              const std::string& holder,
                                                              DispatchLeaseOptions options,
                                                              Callbacks callbacks,
                                                              const base::Clock* clock = nullptr);
  // Stops trying; a held lease ends at once (when the database is reachable).
  ~DispatchLease();
  // Stops taking and renewing (joins the lease's thread); a held lease
  // stays held, with its epoch, until it runs out or the lease is
  // destroyed: for a clean stop, so that dispatch's last writes still pass
  // the fence. Idempotent.
  void StopRenewing();
  // StopRenewing, then ends a held lease now (a standby takes over at its
  // next try): epoch() is nullopt from here on. Idempotent.
  void Release();
  DispatchLease(const DispatchLease&) = delete;
  DispatchLease& operator=(const DispatchLease&) = delete;

  // This replica's name in dispatch_leases.holder.
  const std::string& holder() const { return holder_; }
  const std::string& region() const { return options_.region; }
  // The epoch this replica holds the lease under; nullopt while it does not.
  std::optional<int64_t> epoch() const;
  // Where the replica that holds the lease is reached (its
  // DispatchLeaseOptions::address), as last read: at each try, every
  // renew_every; nullopt if the last read found no live lease (none taken
  // yet, or the last one ran out). A failed read keeps the last.
  std::optional<std::string> holder_address() const;

 private:
  DispatchLease(std::string target, std::string holder, DispatchLeaseOptions options,
                Callbacks callbacks, const base::Clock* clock);
  void Run();
  // One attempt: takes, renews or finds another holder. OK(epoch) if this
  // replica holds it after; OK(nullopt) if another does; an error if the
  // database could not be asked.
  absl::StatusOr<std::optional<int64_t>> Attempt();

  const std::string target_;
  const std::string holder_;
  const DispatchLeaseOptions options_;
  const Callbacks callbacks_;
  const base::Clock* const clock_;
  // Lease thread only.
  std::unique_ptr<store_internal::PgConnection> connection_;
  absl::Time renewed_ = absl::InfinitePast();  // by clock_, at the last renewal
  mutable absl::Mutex mu_;
  std::optional<int64_t> epoch_ ABSL_GUARDED_BY(mu_);
  std::optional<std::string> holder_address_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_STORE_DISPATCH_LEASE_H_
