// The store's Database over PostgreSQL; see pg_database.h.
#include "store/pg_database.h"

#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace mayday::server::store_internal {

// A prepared statement of a PgDatabase: the SQL as PostgreSQL's, the values
// bound, and the rows of its run until Reset.
class PgStatement final : public Statement {
 public:
  PgStatement(PgDatabase* db, PgSql sql)
      : db_(db), sql_(std::move(sql)), params_(sql_.parameters) {}

  absl::Status BindText(int index, absl::string_view value) override {
    return Bind(index, [&](int k) { params_.SetText(k, value); });
  }
  absl::Status BindBlob(int index, absl::string_view value) override {
    return Bind(index, [&](int k) { params_.SetBytes(k, value); });
  }
  absl::Status BindInt64(int index, int64_t value) override {
    return Bind(index, [&](int k) { params_.SetInt64(k, value); });
  }
  absl::Status BindNull(int index) override {
    return Bind(index, [&](int k) { params_.SetNull(k); });
  }

  absl::StatusOr<bool> Step() override {
    if (!rows_.has_value()) {
      absl::StatusOr<PgRows> rows = db_->connection_->Query(sql_.text, params_);
      if (!rows.ok()) return MarkedPgError(rows.status());
      db_->changes_ = rows->affected();
      db_->total_changes_ += db_->changes_;
      rows_ = *std::move(rows);
      row_ = -1;
    }
    return ++row_ < rows_->size();
  }

  // A column of an unexpected type reads as 0 or empty; the store's
  // contract tests run every query on PostgreSQL.
  int64_t ColumnInt64(int index) const override {
    return rows_->IsNull(row_, index) ? 0 : rows_->Int64(row_, index).value_or(0);
  }
  absl::string_view ColumnText(int index) const override {
    return rows_->Text(row_, index).value_or(absl::string_view());
  }
  absl::string_view ColumnBlob(int index) const override { return ColumnText(index); }
  bool ColumnIsNull(int index) const override { return rows_->IsNull(row_, index); }

  void Reset() override {
    rows_.reset();
    row_ = -1;
    params_ = PgParams(sql_.parameters);
  }

 private:
  template <typename Set>
  absl::Status Bind(int index, Set set) {
    if (index < 1 || index >= static_cast<int>(sql_.slot.size())) {
      return absl::OutOfRangeError(
          absl::StrCat("parameter ?", index, " is not in the statement: ", sql_.text));
    }
    if (const int k = sql_.slot[static_cast<size_t>(index)]; k > 0) set(k - 1);
    return absl::OkStatus();
  }

  PgDatabase* const db_;
  const PgSql sql_;
  PgParams params_;
  std::optional<PgRows> rows_;
  int row_ = -1;
};

PgSql ToPgSql(absl::string_view sql) {
  PgSql out;
  out.slot.push_back(0);
  out.text.reserve(sql.size() + 8);
  size_t i = 0;
  // Copies from `i` through the first `end` after `from` (or to the end).
  const auto copy_through = [&](absl::string_view end, size_t from) {
    size_t stop = sql.find(end, from);
    stop = stop == absl::string_view::npos ? sql.size() : stop + end.size();
    absl::StrAppend(&out.text, sql.substr(i, stop - i));
    i = stop;
  };
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {
      // A doubled quote inside is two quoted strings back to back here.
      copy_through(absl::string_view(&sql[i], 1), i + 1);
    } else if (absl::StartsWith(sql.substr(i), "--")) {
      copy_through("\n", i + 2);
    } else if (absl::StartsWith(sql.substr(i), "/*")) {
      copy_through("*/", i + 2);
    } else if (c == '?' && i + 1 < sql.size() && absl::ascii_isdigit(sql[i + 1])) {
      size_t end = i + 1;
      int n = 0;
      while (end < sql.size() && absl::ascii_isdigit(sql[end])) n = n * 10 + (sql[end++] - '0');
      if (static_cast<size_t>(n) >= out.slot.size()) out.slot.resize(static_cast<size_t>(n) + 1, 0);
      int& k = out.slot[static_cast<size_t>(n)];
      if (k == 0) k = ++out.parameters;
      absl::StrAppend(&out.text, "$", k);
      i = end;
    } else {
      out.text.push_back(c);
      ++i;
    }
  }
  return out;
}

absl::Status MarkedPgError(absl::Status status) {
  const std::string state = PgSqlState(status);
  if (state == "23505") {
    MarkViolation(status, absl::EndsWith(PgConstraint(status), "_pkey") ? Violation::kPrimaryKey
                                                                        : Violation::kUnique);
  } else if (state == "23503") {
    MarkViolation(status, Violation::kForeignKey);
  } else if (absl::StartsWith(state, "23")) {
    MarkViolation(status, Violation::kOther);
  } else if (state == "53100") {
    MarkStorageFailure(status, "disk full");
  } else if (state == "58030") {
    MarkStorageFailure(status, "I/O error");
  } else if (state == "40001" || state == "40P01" || state == "55P03" || state == "53300") {
    MarkStorageFailure(status, "database busy");
  } else if (state == "25006") {
    MarkStorageFailure(status, "database read-only");
  } else if (state == "XX001" || state == "XX002") {
    MarkStorageFailure(status, "database corrupt");
  } else if (state.empty() || absl::StartsWith(state, "08") || absl::StartsWith(state, "57P")) {
    MarkStorageFailure(status, "database unreachable");
  }
  return status;
}

absl::StatusOr<std::unique_ptr<PgDatabase>> PgDatabase::Connect(const std::string& conninfo,
                                                                absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<PgConnection>> connection =
      PgConnection::Connect(conninfo, timeout);
  if (!connection.ok()) return MarkedPgError(connection.status());
  return std::unique_ptr<PgDatabase>(new PgDatabase(*std::move(connection)));
}

PgDatabase::PgDatabase(std::unique_ptr<PgConnection> connection)
    : connection_(std::move(connection)) {}

PgDatabase::~PgDatabase() = default;

absl::Status PgDatabase::Exec(absl::string_view sql) {
  absl::StatusOr<PgRows> rows = connection_->Exec(sql);
  return rows.ok() ? absl::OkStatus() : MarkedPgError(rows.status());
}

absl::StatusOr<StatementLease> PgDatabase::Prepare(absl::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    it = statements_.emplace(std::string(sql), std::make_unique<PgStatement>(this, ToPgSql(sql)))
             .first;
  }
  return StatementLease(it->second.get());
}

absl::Status PgDatabase::BeginWrite() {
  absl::Status status =
      Exec(absl::StrCat("BEGIN; SELECT pg_advisory_xact_lock(", kWriteLockKey, ")"));
  // BEGIN went through and the lock did not (a timeout, a cancel): leave no
  // transaction open behind the caller, who was told it failed.
  if (!status.ok() && !autocommit()) Exec("ROLLBACK").IgnoreError();
  return status;
}

bool PgDatabase::autocommit() const { return !connection_->in_transaction(); }

int64_t PgDatabase::changes() const { return changes_; }

int64_t PgDatabase::total_changes() const { return total_changes_; }

bool PgDatabase::failed_transaction() const { return connection_->transaction_failed(); }

}  // namespace mayday::server::store_internal
