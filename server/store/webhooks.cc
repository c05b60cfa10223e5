// Webhook endpoints and deliveries (webhook_records.h): the registry, the
// marks and counts the deliverer moves, the deliveries it queues (those not
// made at their first attempt) and what each retry came to.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "store/codec.h"
#include "store/queries.h"
#include "store/sql_store.h"

namespace mayday::server::store_internal {
namespace {

constexpr int kMaxDeliveries = 1000;

// Binds each value in turn from parameter 1 on; the first error wins.
class Binder {
 public:
  explicit Binder(Statement& stmt) : stmt_(stmt) {}
  Binder& Text(absl::string_view value) {
    if (status_.ok()) status_ = stmt_.BindText(++index_, value);
    return *this;
  }
  Binder& Blob(absl::string_view value) {
    if (status_.ok()) status_ = stmt_.BindBlob(++index_, value);
    return *this;
  }
  Binder& Int(int64_t value) {
    if (status_.ok()) status_ = stmt_.BindInt64(++index_, value);
    return *this;
  }
  Binder& Time(absl::Time value) { return Int(absl::ToUnixMicros(value)); }
  const absl::Status& status() const { return status_; }

 private:
  Statement& stmt_;
  int index_ = 0;
  absl::Status status_;
};

// Runs a statement that returns no rows; the rows it changed.
absl::StatusOr<int64_t> RunWrite(Database& db, StatementLease& stmt, const absl::Status& bound) {
  if (!bound.ok()) return WriteFailed(bound);
  if (absl::Status status = stmt->Step().status(); !status.ok()) return WriteFailed(status);
  return db.changes();
}

constexpr char kDeliveryColumns[] =
    "endpoint, case_id, sequence, state, attempts, create_time_us, retry_from_us, "
    "next_attempt_us, last_attempt_us, last_result";

WebhookDelivery ReadDelivery(const Statement& stmt) {
  WebhookDelivery row;
  row.endpoint = std::string(stmt.ColumnText(0));
  row.case_id = std::string(stmt.ColumnText(1));
  row.sequence = stmt.ColumnInt64(2);
  row.state = static_cast<DeliveryState>(stmt.ColumnInt64(3));
  row.attempts = stmt.ColumnInt64(4);
  row.create_time = absl::FromUnixMicros(stmt.ColumnInt64(5));
  row.retry_from = absl::FromUnixMicros(stmt.ColumnInt64(6));
  row.next_attempt = absl::FromUnixMicros(stmt.ColumnInt64(7));
  row.last_attempt =
      stmt.ColumnIsNull(8) ? absl::InfinitePast() : absl::FromUnixMicros(stmt.ColumnInt64(8));
  row.last_result = std::string(stmt.ColumnText(9));
  return row;
}

// Every row `select` returns, as deliveries.
absl::StatusOr<std::vector<WebhookDelivery>> ReadDeliveries(StatementLease& select) {
  std::vector<WebhookDelivery> rows;
  while (true) {
    absl::StatusOr<bool> row = select->Step();
    if (!row.ok()) return ReadFailed(row.status());
    if (!*row) return rows;
    rows.push_back(ReadDelivery(*select));
  }
}

absl::Status EndpointNotFound(absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("webhooks/", id, " not found"));
}

}  // namespace

absl::Status InsertWebhook(Database& db, const WebhookEndpoint& endpoint) {
  if (endpoint.id.empty() || endpoint.url.empty() || endpoint.secret.empty() ||
      endpoint.creator.empty()) {
    return absl::InvalidArgumentError(
        "a webhook endpoint needs an id, a URL, a secret and a creator");
  }
  // From the chain's head as committed: events of this batch, whose
  // commit row comes after, are the endpoint's.
  absl::StatusOr<StatementLease> head =
      db.Prepare("SELECT coalesce(max(sequence), 0) FROM case_chain");
  if (!head.ok()) return WriteFailed(head.status());
  absl::StatusOr<bool> has_row = (*head)->Step();
  if (!has_row.ok()) return WriteFailed(has_row.status());
  const int64_t scanned = (*head)->ColumnInt64(0);
  absl::StatusOr<StatementLease> insert = db.Prepare(
      "INSERT INTO webhook_endpoints (id, url, events, format, secret, creator, create_time_us, "
      "scanned_commit) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!insert.ok()) return WriteFailed(insert.status());
  Binder bind(**insert);
  bind.Text(endpoint.id)
      .Text(endpoint.url)
      .Text(absl::StrJoin(endpoint.events, " "))
      .Text(endpoint.format)
      .Blob(endpoint.secret)
      .Text(endpoint.creator)
      .Time(endpoint.create_time)
      .Int(scanned);
  if (!bind.status().ok()) return WriteFailed(bind.status());
  absl::Status status = (*insert)->Step().status();
  if (ViolationOf(status) == Violation::kPrimaryKey) {
    return absl::AlreadyExistsError(absl::StrCat("webhooks/", endpoint.id, " already exists"));
  }
  if (!status.ok()) return WriteFailed(status);
  return absl::OkStatus();
}

absl::Status RemoveWebhook(Database& db, absl::string_view id) {
  // The deliveries first: PostgreSQL cascades, and SQLite too while
  // foreign keys are on, but the removal must not depend on that.
  absl::StatusOr<StatementLease> deliveries =
      db.Prepare("DELETE FROM webhook_deliveries WHERE endpoint = ?1");
  if (!deliveries.ok()) return WriteFailed(deliveries.status());
  if (auto removed = RunWrite(db, *deliveries, (*deliveries)->BindText(1, id)); !removed.ok()) {
    return removed.status();
  }
  absl::StatusOr<StatementLease> endpoint =
      db.Prepare("DELETE FROM webhook_endpoints WHERE id = ?1");
  if (!endpoint.ok()) return WriteFailed(endpoint.status());
  absl::StatusOr<int64_t> removed = RunWrite(db, *endpoint, (*endpoint)->BindText(1, id));
  if (!removed.ok()) return removed.status();
  if (*removed == 0) return EndpointNotFound(id);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<WebhookEndpoint>> SelectWebhooks(Database& db, bool counts) {
  absl::StatusOr<StatementLease> select = db.Prepare(
      "SELECT id, url, events, format, secret, creator, create_time_us, scanned_commit, "
      "delivered FROM webhook_endpoints ORDER BY id");
  if (!select.ok()) return ReadFailed(select.status());
  std::vector<WebhookEndpoint> endpoints;
  while (true) {
    absl::StatusOr<bool> row = (*select)->Step();
    if (!row.ok()) return ReadFailed(row.status());
    if (!*row) break;
    WebhookEndpoint& endpoint = endpoints.emplace_back();
    endpoint.id = std::string((*select)->ColumnText(0));
    endpoint.url = std::string((*select)->ColumnText(1));
    endpoint.events = absl::StrSplit((*select)->ColumnText(2), ' ', absl::SkipEmpty());
    endpoint.format = std::string((*select)->ColumnText(3));
    endpoint.secret = std::string((*select)->ColumnBlob(4));
    endpoint.creator = std::string((*select)->ColumnText(5));
    endpoint.create_time = absl::FromUnixMicros((*select)->ColumnInt64(6));
    endpoint.scanned_commit = (*select)->ColumnInt64(7);
    endpoint.delivered = (*select)->ColumnInt64(8);
  }
  if (!counts) return endpoints;
  absl::StatusOr<StatementLease> count = db.Prepare(
      "SELECT state, count(*) FROM webhook_deliveries WHERE endpoint = ?1 AND state <> 1 "
      "GROUP BY state");
  if (!count.ok()) return ReadFailed(count.status());
  for (WebhookEndpoint& endpoint : endpoints) {
    if (absl::Status status = (*count)->BindText(1, endpoint.id); !status.ok()) {
      return ReadFailed(status);
    }
    while (true) {
      absl::StatusOr<bool> row = (*count)->Step();
      if (!row.ok()) return ReadFailed(row.status());
      if (!*row) break;
      const int64_t n = (*count)->ColumnInt64(1);
      switch (static_cast<DeliveryState>((*count)->ColumnInt64(0))) {
        case DeliveryState::kPending:
          endpoint.pending = n;
          break;
        case DeliveryState::kDelivered:  // counted on the endpoint
          break;
        case DeliveryState::kDead:
          endpoint.dead = n;
          break;
      }
    }
    (*count)->Reset();
  }
  return endpoints;
}

absl::Status SettleWebhookDeliveries(Database& db, const DeliverySettlement& settled) {
  absl::StatusOr<StatementLease> mark = db.Prepare(
      "UPDATE webhook_endpoints SET scanned_commit = CASE WHEN scanned_commit < ?2 THEN ?2 "
      "ELSE scanned_commit END, delivered = delivered + ?3 WHERE id = ?1");
  if (!mark.ok()) return WriteFailed(mark.status());
  Binder bind_mark(**mark);
  bind_mark.Text(settled.endpoint).Int(settled.mark).Int(settled.delivered);
  absl::StatusOr<int64_t> moved = RunWrite(db, *mark, bind_mark.status());
  if (!moved.ok()) return moved.status();
  if (*moved == 0) return absl::OkStatus();  // removed meanwhile: nothing to keep
  absl::StatusOr<StatementLease> insert = db.Prepare(
      absl::StrCat("INSERT INTO webhook_deliveries (", kDeliveryColumns,
                   ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING"));
  if (!insert.ok()) return WriteFailed(insert.status());
  for (const WebhookDelivery& row : settled.rows) {
    Binder bind(**insert);
    bind.Text(settled.endpoint)
        .Text(row.case_id)
        .Int(row.sequence)
        .Int(static_cast<int64_t>(row.state))
        .Int(row.attempts)
        .Time(row.create_time)
        .Time(row.retry_from)
        .Time(row.next_attempt);
    absl::Status bound = bind.status();
    if (bound.ok()) {
      bound = row.last_attempt == absl::InfinitePast()
                  ? (*insert)->BindNull(9)
                  : (*insert)->BindInt64(9, absl::ToUnixMicros(row.last_attempt));
    }
    if (bound.ok()) bound = (*insert)->BindText(10, row.last_result);
    if (auto inserted = RunWrite(db, *insert, bound); !inserted.ok()) return inserted.status();
    (*insert)->Reset();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> UpdateDeliveries(
    Database& db, const std::vector<DeliveryAttempt>& attempts) {
  absl::StatusOr<StatementLease> update = db.Prepare(
      "UPDATE webhook_deliveries SET state = ?4, attempts = attempts + 1, last_attempt_us = ?5, "
      "last_result = ?6, next_attempt_us = ?7 "
      "WHERE endpoint = ?1 AND case_id = ?2 AND sequence = ?3 AND state = 0");
  if (!update.ok()) return WriteFailed(update.status());
  absl::StatusOr<StatementLease> count =
      db.Prepare("UPDATE webhook_endpoints SET delivered = delivered + 1 WHERE id = ?1");
  if (!count.ok()) return WriteFailed(count.status());
  for (const DeliveryAttempt& attempt : attempts) {
    Binder bind(**update);
    bind.Text(attempt.endpoint)
        .Text(attempt.case_id)
        .Int(attempt.sequence)
        .Int(static_cast<int64_t>(attempt.state))
        .Time(attempt.time)
        .Text(attempt.result)
        .Time(attempt.state == DeliveryState::kPending ? attempt.next_attempt : attempt.time);
    absl::StatusOr<int64_t> updated = RunWrite(db, *update, bind.status());
    if (!updated.ok()) return updated.status();
    (*update)->Reset();
    if (*updated == 0 || attempt.state != DeliveryState::kDelivered) continue;
    absl::StatusOr<int64_t> counted = RunWrite(db, *count, (*count)->BindText(1, attempt.endpoint));
    if (!counted.ok()) return counted.status();
    (*count)->Reset();
  }
  // Which of their cases have nothing pending or dead left.
  absl::StatusOr<StatementLease> open = db.Prepare(
      "SELECT 1 FROM webhook_deliveries WHERE endpoint = ?1 AND case_id = ?2 AND state <> 1 "
      "LIMIT 1");
  if (!open.ok()) return WriteFailed(open.status());
  std::vector<std::string> clear;
  for (const DeliveryAttempt& attempt : attempts) {
    if (std::find(clear.begin(), clear.end(), attempt.case_id) != clear.end()) continue;
    Binder bind(**open);
    bind.Text(attempt.endpoint).Text(attempt.case_id);
    if (!bind.status().ok()) return WriteFailed(bind.status());
    absl::StatusOr<bool> found = (*open)->Step();
    if (!found.ok()) return WriteFailed(found.status());
    if (!*found) clear.push_back(attempt.case_id);
    (*open)->Reset();
  }
  return clear;
}

absl::StatusOr<std::vector<std::string>> SelectOpenCases(Database& db, absl::string_view endpoint) {
  absl::StatusOr<StatementLease> select = db.Prepare(
      "SELECT DISTINCT case_id FROM webhook_deliveries WHERE endpoint = ?1 AND state <> 1");
  if (!select.ok()) return ReadFailed(select.status());
  if (absl::Status bound = (*select)->BindText(1, endpoint); !bound.ok()) {
    return ReadFailed(bound);
  }
  std::vector<std::string> cases;
  while (true) {
    absl::StatusOr<bool> row = (*select)->Step();
    if (!row.ok()) return ReadFailed(row.status());
    if (!*row) return cases;
    cases.emplace_back((*select)->ColumnText(0));
  }
}

absl::StatusOr<int64_t> ResumeDeadDeliveries(Database& db, absl::string_view endpoint,
                                             absl::string_view case_id, absl::Time now) {
  absl::StatusOr<StatementLease> known =
      db.Prepare("SELECT 1 FROM webhook_endpoints WHERE id = ?1");
  if (!known.ok()) return WriteFailed(known.status());
  if (absl::Status status = (*known)->BindText(1, endpoint); !status.ok()) {
    return WriteFailed(status);
  }
  absl::StatusOr<bool> found = (*known)->Step();
  if (!found.ok()) return WriteFailed(found.status());
  if (!*found) return EndpointNotFound(endpoint);
  absl::StatusOr<StatementLease> resume = db.Prepare(
      "UPDATE webhook_deliveries SET state = 0, retry_from_us = ?3, next_attempt_us = ?3 "
      "WHERE endpoint = ?1 AND state = 2 AND (?2 = '' OR case_id = ?2)");
  if (!resume.ok()) return WriteFailed(resume.status());
  Binder bind(**resume);
  bind.Text(endpoint).Text(case_id).Time(now);
  return RunWrite(db, *resume, bind.status());
}

absl::StatusOr<int64_t> DeleteDeliveredBefore(Database& db, absl::Time before) {
  absl::StatusOr<StatementLease> prune =
      db.Prepare("DELETE FROM webhook_deliveries WHERE state = 1 AND last_attempt_us < ?1");
  if (!prune.ok()) return WriteFailed(prune.status());
  Binder bind(**prune);
  bind.Time(before);
  return RunWrite(db, *prune, bind.status());
}

absl::StatusOr<std::vector<WebhookDelivery>> SelectDeliveries(Database& db,
                                                              const DeliveryQuery& query) {
  if (query.limit < 1 || query.limit > kMaxDeliveries) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size must be in 1..", kMaxDeliveries, ", not ", query.limit));
  }
  bool delivered = false;
  bool open = query.states.empty();
  for (DeliveryState state : query.states) {
    (state == DeliveryState::kDelivered ? delivered : open) = true;
  }
  std::vector<WebhookDelivery> rows;
  // The deliveries not made, oldest first (by case, in sequence), then
  // those made, latest first.
  if (open) {
    absl::StatusOr<StatementLease> select =
        db.Prepare(absl::StrCat("SELECT ", kDeliveryColumns,
                                " FROM webhook_deliveries WHERE endpoint = ?1 AND state <> 1 "
                                "ORDER BY create_time_us, case_id, sequence LIMIT ?2"));
    if (!select.ok()) return ReadFailed(select.status());
    Binder bind(**select);
    bind.Text(query.endpoint).Int(query.limit);
    if (!bind.status().ok()) return ReadFailed(bind.status());
    absl::StatusOr<std::vector<WebhookDelivery>> found = ReadDeliveries(*select);
    if (!found.ok()) return found.status();
    for (WebhookDelivery& row : *found) {
      bool wanted = query.states.empty();
      for (DeliveryState state : query.states) wanted = wanted || state == row.state;
      if (wanted) rows.push_back(std::move(row));
    }
  }
  if (delivered && static_cast<int>(rows.size()) < query.limit) {
    absl::StatusOr<StatementLease> select =
        db.Prepare(absl::StrCat("SELECT ", kDeliveryColumns,
                                " FROM webhook_deliveries WHERE endpoint = ?1 AND state = 1 "
                                "ORDER BY last_attempt_us DESC LIMIT ?2"));
    if (!select.ok()) return ReadFailed(select.status());
    Binder bind(**select);
    bind.Text(query.endpoint).Int(query.limit - static_cast<int64_t>(rows.size()));
    if (!bind.status().ok()) return ReadFailed(bind.status());
    absl::StatusOr<std::vector<WebhookDelivery>> found = ReadDeliveries(*select);
    if (!found.ok()) return found.status();
    for (WebhookDelivery& row : *found) rows.push_back(std::move(row));
  }
  return rows;
}

absl::StatusOr<DueDeliveries> SelectDueDeliveries(Database& db, absl::string_view endpoint,
                                                  absl::Time now, int limit) {
  // A case's delivery may go only when none of its earlier events waits
  // (pending or dead): each case's events arrive in sequence order.
  absl::StatusOr<StatementLease> select = db.Prepare(absl::StrCat(
      "SELECT ", kDeliveryColumns,
      " FROM webhook_deliveries d WHERE endpoint = ?1 AND state = 0 AND next_attempt_us <= ?2 "
      "AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.endpoint = d.endpoint "
      "AND e.case_id = d.case_id AND e.state <> 1 AND e.sequence < d.sequence) "
      "ORDER BY next_attempt_us, case_id LIMIT ?3"));
  if (!select.ok()) return ReadFailed(select.status());
  Binder bind(**select);
  bind.Text(endpoint).Time(now).Int(limit);
  if (!bind.status().ok()) return ReadFailed(bind.status());
  DueDeliveries due;
  absl::StatusOr<std::vector<WebhookDelivery>> rows = ReadDeliveries(*select);
  if (!rows.ok()) return rows.status();
  due.rows = *std::move(rows);
  absl::StatusOr<StatementLease> next = db.Prepare(
      "SELECT min(next_attempt_us) FROM webhook_deliveries d WHERE endpoint = ?1 AND state = 0 "
      "AND next_attempt_us > ?2 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e "
      "WHERE e.endpoint = d.endpoint AND e.case_id = d.case_id AND e.state <> 1 "
      "AND e.sequence < d.sequence)");
  if (!next.ok()) return ReadFailed(next.status());
  Binder bind_next(**next);
  bind_next.Text(endpoint).Time(now);
  if (!bind_next.status().ok()) return ReadFailed(bind_next.status());
  absl::StatusOr<bool> row = (*next)->Step();
  if (!row.ok()) return ReadFailed(row.status());
  if (*row && !(*next)->ColumnIsNull(0)) {
    due.next_due = absl::FromUnixMicros((*next)->ColumnInt64(0));
  }
  return due;
}

absl::Status BatchTxn::PutWebhook(const WebhookEndpoint& endpoint) {
  return InsertWebhook(db_, endpoint);
}

absl::Status BatchTxn::DeleteWebhook(std::string_view id) { return RemoveWebhook(db_, ToAbsl(id)); }

absl::Status BatchTxn::SettleDeliveries(const DeliverySettlement& settled) {
  return SettleWebhookDeliveries(db_, settled);
}

absl::StatusOr<std::vector<std::string>> BatchTxn::RecordAttempts(
    const std::vector<DeliveryAttempt>& attempts) {
  return UpdateDeliveries(db_, attempts);
}

absl::StatusOr<int64_t> BatchTxn::Redeliver(std::string_view endpoint, std::string_view case_id,
                                            absl::Time now) {
  return ResumeDeadDeliveries(db_, ToAbsl(endpoint), ToAbsl(case_id), now);
}

absl::StatusOr<int64_t> BatchTxn::PruneDeliveries(absl::Time before) {
  return DeleteDeliveredBefore(db_, before);
}

absl::StatusOr<std::vector<WebhookEndpoint>> SqlStore::ListWebhooks(bool counts) {
  return Read<std::vector<WebhookEndpoint>>(
      [&](Database& db) { return SelectWebhooks(db, counts); });
}

absl::StatusOr<std::vector<WebhookDelivery>> SqlStore::ListWebhookDeliveries(
    const DeliveryQuery& query) {
  return Read<std::vector<WebhookDelivery>>(
      [&](Database& db) { return SelectDeliveries(db, query); });
}

absl::StatusOr<std::vector<std::string>> SqlStore::OpenWebhookCases(std::string_view endpoint) {
  return Read<std::vector<std::string>>(
      [&](Database& db) { return SelectOpenCases(db, ToAbsl(endpoint)); });
}

absl::StatusOr<DueDeliveries> SqlStore::DueWebhookDeliveries(std::string_view endpoint,
                                                             absl::Time now, int limit) {
  return Read<DueDeliveries>(
      [&](Database& db) { return SelectDueDeliveries(db, ToAbsl(endpoint), now, limit); });
}

}  // namespace mayday::server::store_internal
