// Members' safety timers: one row per timer, the SafetyTimer itself plus the
// columns the queries filter on (who, which start, running or not, when).
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/names.h"
#include "api/proto_time.h"
#include "store/codec.h"
#include "store/queries.h"

namespace mayday::server::store_internal {
namespace {

using mayday::v1::SafetyTimer;

constexpr char kColumns[] = "SELECT id, timer FROM safety_timers ";

absl::StatusOr<SafetyTimer> ParseTimer(const Statement& row) {
  SafetyTimer timer;
  const absl::string_view blob = row.ColumnBlob(1);
  if (!timer.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
    return absl::DataLossError(
        absl::StrCat("the stored timer timers/", row.ColumnText(0), " does not parse"));
  }
  return timer;
}

// The timer of the next row of `select`, if any.
absl::StatusOr<std::optional<SafetyTimer>> NextTimer(Statement& select) {
  absl::StatusOr<bool> row = select.Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::nullopt;
  return ParseTimer(select);
}

}  // namespace

absl::StatusOr<std::optional<SafetyTimer>> SelectTimer(Database& db, absl::string_view timer_id) {
  absl::StatusOr<StatementLease> select = db.Prepare(absl::StrCat(kColumns, "WHERE id = ?1"));
  if (!select.ok()) return select.status();
  if (absl::Status s = (*select)->BindText(1, timer_id); !s.ok()) return s;
  return NextTimer(**select);
}

absl::StatusOr<std::optional<SafetyTimer>> SelectTimerByRequest(Database& db,
                                                                absl::string_view member,
                                                                absl::string_view request_id) {
  absl::StatusOr<StatementLease> select =
      db.Prepare(absl::StrCat(kColumns, "WHERE member = ?1 AND request_id = ?2"));
  if (!select.ok()) return select.status();
  absl::Status s = (*select)->BindText(1, member);
  if (s.ok()) s = (*select)->BindText(2, request_id);
  if (!s.ok()) return s;
  return NextTimer(**select);
}

absl::StatusOr<std::optional<SafetyTimer>> SelectRunningTimer(Database& db,
                                                              absl::string_view member) {
  absl::StatusOr<StatementLease> select = db.Prepare(
      absl::StrCat(kColumns, "WHERE member = ?1 AND state = ?2 ORDER BY deadline_us, id LIMIT 1"));
  if (!select.ok()) return select.status();
  absl::Status s = (*select)->BindText(1, member);
  if (s.ok()) s = (*select)->BindInt64(2, SafetyTimer::STATE_RUNNING);
  if (!s.ok()) return s;
  return NextTimer(**select);
}

absl::StatusOr<std::vector<SafetyTimer>> SelectTimers(Database& db, bool running_only, int limit) {
  if (limit < 1 || limit > 1000) {
    return absl::InvalidArgumentError(absl::StrCat("limit must be 1 to 1000; got ", limit));
  }
  std::vector<SafetyTimer> out;
  // The running ones, soonest first (safety_timers_running), then the
  // latest of the others.
  const std::string queries[] = {
      absl::StrCat(kColumns, "WHERE state = ?1 ORDER BY deadline_us, id LIMIT ?2"),
      absl::StrCat(kColumns, "WHERE state <> ?1 ORDER BY update_time_us DESC, id LIMIT ?2"),
  };
  for (const std::string& sql : queries) {
    const int left = limit - static_cast<int>(out.size());
    if (left <= 0 || (running_only && &sql != &queries[0])) break;
    absl::StatusOr<StatementLease> select = db.Prepare(sql);
    if (!select.ok()) return ReadFailed(select.status());
    absl::Status s = (*select)->BindInt64(1, SafetyTimer::STATE_RUNNING);
    if (s.ok()) s = (*select)->BindInt64(2, left);
    if (!s.ok()) return ReadFailed(s);
    while (true) {
      absl::StatusOr<std::optional<SafetyTimer>> timer = NextTimer(**select);
      if (!timer.ok()) {
        return absl::IsDataLoss(timer.status()) ? timer.status() : ReadFailed(timer.status());
      }
      if (!timer->has_value()) break;
      out.push_back(std::move(**timer));
    }
  }
  return out;
}

absl::Status UpsertTimer(Database& db, const SafetyTimer& timer) {
  const std::optional<absl::string_view> id = TimerIdOf(timer.name());
  if (!id.has_value() || timer.member().empty() || timer.request_id().empty()) {
    return absl::InvalidArgumentError(
        "a timer needs a name \"timers/{id}\", a member and a request_id; nothing was stored");
  }
  std::string blob;
  if (!timer.SerializeToString(&blob)) {
    return absl::InvalidArgumentError("the timer cannot be serialized");
  }
  absl::StatusOr<StatementLease> upsert = db.Prepare(
      "INSERT INTO safety_timers (id, member, request_id, state, deadline_us, update_time_us, "
      "timer) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO UPDATE SET "
      "state = excluded.state, deadline_us = excluded.deadline_us, "
      "update_time_us = excluded.update_time_us, timer = excluded.timer");
  if (!upsert.ok()) return WriteFailed(upsert.status());
  absl::Status s = (*upsert)->BindText(1, *id);
  if (s.ok()) s = (*upsert)->BindText(2, timer.member());
  if (s.ok()) s = (*upsert)->BindText(3, timer.request_id());
  if (s.ok()) s = (*upsert)->BindInt64(4, timer.state());
  if (s.ok()) s = (*upsert)->BindInt64(5, absl::ToUnixMicros(FromProtoTime(timer.deadline())));
  if (s.ok()) {
    s = (*upsert)->BindInt64(6, absl::ToUnixMicros(FromProtoTime(timer.update_time())));
  }
  if (s.ok()) s = (*upsert)->BindBlob(7, blob);
  if (s.ok()) s = (*upsert)->Step().status();
  if (ViolationOf(s) == Violation::kUnique) {
    return absl::AlreadyExistsError(
        absl::StrCat("another timer of ", timer.member(), " has request_id ", timer.request_id()));
  }
  if (!s.ok()) return WriteFailed(s);
  return absl::OkStatus();
}

}  // namespace mayday::server::store_internal
