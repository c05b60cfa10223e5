// The dispatch lease on PostgreSQL; see dispatch_lease.h.
#include "store/dispatch_lease.h"

#include <openssl/rand.h>
#include <pthread.h>

#include <cstdio>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "log/log.h"
#include "store/pg_connection.h"
#include "store/pg_database.h"

namespace mayday::server {
namespace {

using store_internal::PgConnection;
using store_internal::PgParams;
using store_internal::PgRows;

// The database's clock, in microseconds since 1970.
constexpr char kDatabaseNow[] = "(extract(epoch from clock_timestamp()) * 1000000)::bigint";

// A connection for the lease: its take-over holds the store's write lock,
// never for long even if this process stops inside it.
absl::StatusOr<std::unique_ptr<PgConnection>> ConnectForLease(const std::string& target,
                                                              absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<PgConnection>> connection = PgConnection::Connect(target, timeout);
  if (!connection.ok()) return connection.status();
  if (auto limited = (*connection)->Exec(store_internal::kLimitIdleInTransaction); !limited.ok()) {
    return limited.status();
  }
  return connection;
}

std::string UniqueSuffix() {
  unsigned char bytes[4] = {};
  if (RAND_bytes(bytes, sizeof bytes) != 1) return "";
  return absl::StrCat(" #", absl::BytesToHexString(absl::string_view(
                                reinterpret_cast<const char*>(bytes), sizeof bytes)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<DispatchLease>> DispatchLease::Start(const std::string& target,
                                                                    const std::string& holder,
                                                                    DispatchLeaseOptions options,
                                                                    Callbacks callbacks,
                                                                    const base::Clock* clock) {
  if (options.renew_every <= absl::ZeroDuration() || options.ttl <= options.renew_every) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the dispatch lease must last longer than its renewal interval (",
        absl::FormatDuration(options.ttl), " vs ", absl::FormatDuration(options.renew_every), ")"));
  }
  if (options.region.empty()) {
    return absl::InvalidArgumentError("the dispatch region must have a name");
  }
  // Reachable now, or maydayd does not start.
  absl::StatusOr<std::unique_ptr<PgConnection>> connection =
      ConnectForLease(target, absl::Seconds(5));
  if (!connection.ok()) return connection.status();
  std::unique_ptr<DispatchLease> lease(
      new DispatchLease(target, holder + UniqueSuffix(), std::move(options), std::move(callbacks),
                        clock != nullptr ? clock : base::SystemClock()));
  lease->connection_ = *std::move(connection);
  lease->thread_ = std::thread([raw = lease.get()] { raw->Run(); });
  return lease;
}

DispatchLease::DispatchLease(std::string target, std::string holder, DispatchLeaseOptions options,
                             Callbacks callbacks, const base::Clock* clock)
    : target_(std::move(target)),
      holder_(std::move(holder)),
      options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      clock_(clock) {}

void DispatchLease::StopRenewing() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

DispatchLease::~DispatchLease() { Release(); }

void DispatchLease::Release() {
  StopRenewing();
  std::optional<int64_t> held;
  {
    absl::MutexLock lock(&mu_);
    std::swap(held, epoch_);
  }
  if (!held.has_value() || connection_ == nullptr || !connection_->healthy()) return;
  // Ends now rather than at its expiry: a standby takes over at its next try.
  connection_
      ->Query(
          "UPDATE dispatch_leases SET expire_time_us = 0 "
          "WHERE region = $1 AND holder = $2 AND epoch = $3",
          PgParams().Text(options_.region).Text(holder_).Int64(*held))
      .IgnoreError();
}

std::optional<int64_t> DispatchLease::epoch() const {
  absl::MutexLock lock(&mu_);
  return epoch_;
}

std::optional<std::string> DispatchLease::holder_address() const {
  absl::MutexLock lock(&mu_);
  return holder_address_;
}

absl::StatusOr<std::optional<int64_t>> DispatchLease::Attempt() {
  if (connection_ == nullptr || !connection_->healthy()) {
    connection_.reset();
    absl::StatusOr<std::unique_ptr<PgConnection>> connection =
        ConnectForLease(target_, options_.renew_every);
    if (!connection.ok()) return connection.status();
    connection_ = *std::move(connection);
  }
  PgConnection& db = *connection_;
  const int64_t ttl_us = absl::ToInt64Microseconds(options_.ttl);
  if (const std::optional<int64_t> held = epoch(); held.has_value()) {
    absl::StatusOr<PgRows> renewed =
        db.Query(absl::StrCat("UPDATE dispatch_leases SET expire_time_us = ", kDatabaseNow,
                              " + $4 WHERE region = $1 AND holder = $2 AND epoch = $3"),
                 PgParams().Text(options_.region).Text(holder_).Int64(*held).Int64(ttl_us));
    if (!renewed.ok()) return renewed.status();
    if (renewed->affected() == 1) return held;
    return std::nullopt;
  }
  // Under the store's write lock: a batch in flight, which passed its fence
  // check under the old epoch, commits before the epoch changes.
  absl::StatusOr<PgRows> begun = db.Exec(
      absl::StrCat("BEGIN; SELECT pg_advisory_xact_lock(", store_internal::kWriteLockKey, ")"));
  if (!begun.ok()) {
    if (db.in_transaction()) db.Exec("ROLLBACK").IgnoreError();
    return begun.status();
  }
  absl::StatusOr<PgRows> taken = db.Query(
      absl::StrCat("INSERT INTO dispatch_leases (region, holder, epoch, expire_time_us, address) "
                   "VALUES ($1, $2, 1, ",
                   kDatabaseNow,
                   " + $3, $4) ON CONFLICT (region) DO UPDATE SET holder = EXCLUDED.holder, "
                   "epoch = dispatch_leases.epoch + 1, expire_time_us = EXCLUDED.expire_time_us, "
                   "address = EXCLUDED.address WHERE dispatch_leases.expire_time_us < ",
                   kDatabaseNow, " RETURNING epoch"),
      PgParams().Text(options_.region).Text(holder_).Int64(ttl_us).Text(options_.address));
  if (!taken.ok()) {
    db.Exec("ROLLBACK").IgnoreError();
    return taken.status();
  }
  if (absl::StatusOr<PgRows> committed = db.Exec("COMMIT"); !committed.ok()) {
    return committed.status();
  }
  if (taken->size() == 0) {
    // Another replica holds it: where it is reached, for the relay.
    absl::StatusOr<PgRows> holder = db.Query(
        absl::StrCat("SELECT address FROM dispatch_leases WHERE region = $1 AND expire_time_us >= ",
                     kDatabaseNow),
        PgParams().Text(options_.region));
    if (!holder.ok()) return holder.status();
    std::optional<std::string> address;
    if (holder->size() == 1) {
      absl::StatusOr<absl::string_view> text = holder->Text(0, 0);
      if (!text.ok()) return text.status();
      address = std::string(*text);
    }
    absl::MutexLock lock(&mu_);
    holder_address_ = std::move(address);
    return std::nullopt;
  }
  absl::StatusOr<int64_t> epoch = taken->Int64(0, 0);
  if (!epoch.ok()) return epoch.status();
  return std::optional<int64_t>(*epoch);
}

void DispatchLease::Run() {
  pthread_setname_np(pthread_self(), "mayday-lease");
  while (true) {
    const absl::Time start = clock_->Now();
    const bool held = epoch().has_value();
    absl::StatusOr<std::optional<int64_t>> outcome = Attempt();
    if (outcome.ok() && outcome->has_value()) {
      renewed_ = start;
      if (!held) {
        {
          absl::MutexLock lock(&mu_);
          if (stopping_) return;
          epoch_ = **outcome;
          holder_address_ = options_.address;
        }
        LogInfo("dispatch_lease", "%s holds dispatch for region \"%s\" (epoch %lld)",
                holder_.c_str(), options_.region.c_str(), static_cast<long long>(**outcome));
        if (callbacks_.on_acquired) callbacks_.on_acquired(**outcome);
      }
    } else if (held && (outcome.ok() || clock_->Now() - renewed_ >= options_.ttl)) {
      // Taken over, or not renewed in time: another replica may dispatch
      // now, and this one's writes are refused.
      const absl::Status why =
          outcome.ok()
              ? absl::AbortedError(absl::StrCat("another replica took over dispatch for region \"",
                                                options_.region, "\""))
              : absl::UnavailableError(absl::StrCat("could not renew the dispatch lease within ",
                                                    absl::FormatDuration(options_.ttl), " (",
                                                    outcome.status().message(),
                                                    "); another replica may dispatch now"));
      {
        absl::MutexLock lock(&mu_);
        epoch_.reset();
      }
      if (callbacks_.on_lost) callbacks_.on_lost(why);
      return;
    }
    absl::MutexLock lock(&mu_);
    if (clock_->AwaitWithDeadline(&mu_, absl::Condition(&stopping_),
                                  start + options_.renew_every)) {
      return;
    }
  }
}

}  // namespace mayday::server
