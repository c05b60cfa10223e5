// Reads of cases and their events: GetCase, ListEvents, ListCases (keyset
// pagination, newest first) and ListOpenCases (oldest first).
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "store/codec.h"
#include "store/queries.h"

namespace mayday::server::store_internal {
namespace {

using ::mayday::v1::Case;
using ::mayday::v1::CaseEvent;

constexpr int kMaxPageSize = 1000;

// Parameter numbers of the ListCases SELECT; the states follow from
// kFirstStateParameter on, in `states` order.
enum ListCasesParameter {
  kMemberParameter = 1,
  kKindParameter,
  kCursorTimeParameter,
  kCursorIdParameter,
  kLimitParameter,
  kResponderParameter,
  kMinTimeParameter,
  kMaxTimeParameter,
  kFirstStateParameter,
};

// The SELECT for a ListCases page. Each clause appears only when its filter
// is set, so SQLite can pick the index that fits.
std::string ListCasesSql(const CaseFilter& filter, size_t state_count, bool has_cursor) {
  std::string sql = "SELECT id, create_time_us, snapshot FROM cases WHERE TRUE";
  if (!filter.member.empty()) {
    absl::StrAppend(&sql, " AND member = ?", kMemberParameter);
  }
  if (!filter.responder.empty()) {
    absl::StrAppend(&sql, " AND responder = ?", kResponderParameter);
  }
  if (filter.kind != mayday::v1::CASE_KIND_UNSPECIFIED) {
    absl::StrAppend(&sql, " AND kind = ?", kKindParameter);
  }
  if (filter.min_create_time.has_value()) {
    absl::StrAppend(&sql, " AND create_time_us >= ?", kMinTimeParameter);
  }
  if (filter.max_create_time.has_value()) {
    absl::StrAppend(&sql, " AND create_time_us < ?", kMaxTimeParameter);
  }
  if (state_count > 0) {
    absl::StrAppend(&sql, " AND state IN (");
    for (size_t i = 0; i < state_count; ++i) {
      absl::StrAppend(&sql, i == 0 ? "" : ", ", "?", kFirstStateParameter + i);
    }
    absl::StrAppend(&sql, ")");
  }
  if (has_cursor) {
    absl::StrAppend(&sql, " AND (create_time_us, id) < (?", kCursorTimeParameter, ", ?",
                    kCursorIdParameter, ")");
  }
  absl::StrAppend(&sql, " ORDER BY create_time_us DESC, id DESC LIMIT ?", kLimitParameter);
  return sql;
}

}  // namespace

absl::StatusOr<Case> SelectCase(Database& db, absl::string_view case_id) {
  absl::StatusOr<StatementLease> select =
      db.Prepare("SELECT id, snapshot FROM cases WHERE id = ?1");
  if (!select.ok()) return ReadFailed(select.status());
  if (absl::Status status = (*select)->BindText(1, case_id); !status.ok()) {
    return ReadFailed(status);
  }
  absl::StatusOr<bool> row = (*select)->Step();
  if (!row.ok()) return ReadFailed(row.status());
  if (!*row) {
    return absl::NotFoundError(absl::StrCat("case cases/", case_id, " not found"));
  }
  return ParseCase((*select)->ColumnBlob(1), absl::StrCat("case cases/", case_id));
}

absl::StatusOr<std::vector<CaseEvent>> SelectEvents(Database& db, absl::string_view case_id,
                                                    int64_t after_sequence, int limit) {
  if (limit < 1) {
    return absl::InvalidArgumentError(absl::StrCat("event limit must be at least 1, not ", limit));
  }
  absl::StatusOr<StatementLease> select = db.Prepare(
      "SELECT sequence, event FROM case_events WHERE case_id = ?1 AND "
      "sequence > ?2 ORDER BY sequence LIMIT ?3");
  if (!select.ok()) return ReadFailed(select.status());
  absl::Status status = (*select)->BindText(1, case_id);
  if (status.ok()) status = (*select)->BindInt64(2, after_sequence);
  if (status.ok()) status = (*select)->BindInt64(3, limit);
  if (!status.ok()) return ReadFailed(status);
  std::vector<CaseEvent> events;
  while (true) {
    absl::StatusOr<bool> row = (*select)->Step();
    if (!row.ok()) return ReadFailed(row.status());
    if (!*row) return events;
    absl::StatusOr<CaseEvent> event =
        ParseEvent((*select)->ColumnBlob(1),
                   absl::StrCat("event ", (*select)->ColumnInt64(0), " of case cases/", case_id));
    if (!event.ok()) return event.status();
    events.push_back(*std::move(event));
  }
}

absl::StatusOr<std::vector<CommitRecord>> SelectCommits(Database& db, int64_t after_sequence,
                                                        int max_commits) {
  if (max_commits < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("commit limit must be at least 1, not ", max_commits));
  }
  // Commit rows are numbered without gaps (each is the last + 1, taken
  // under the write lock), so a range of numbers is a range of commits.
  absl::StatusOr<StatementLease> select = db.Prepare(
      "SELECT chain_sequence, case_id, sequence, event FROM case_events "
      "WHERE chain_sequence > ?1 AND chain_sequence <= ?2 "
      "ORDER BY chain_sequence, case_id, sequence");
  if (!select.ok()) return ReadFailed(select.status());
  absl::Status status = (*select)->BindInt64(1, after_sequence);
  if (status.ok()) status = (*select)->BindInt64(2, after_sequence + max_commits);
  if (!status.ok()) return ReadFailed(status);
  std::vector<CommitRecord> commits;
  while (true) {
    absl::StatusOr<bool> row = (*select)->Step();
    if (!row.ok()) return ReadFailed(row.status());
    if (!*row) return commits;
    const int64_t commit = (*select)->ColumnInt64(0);
    if (commits.empty() || commits.back().sequence != commit) {
      commits.push_back(CommitRecord{.sequence = commit, .events = {}});
    }
    absl::StatusOr<CaseEvent> event = ParseEvent(
        (*select)->ColumnBlob(3), absl::StrCat("event ", (*select)->ColumnInt64(2),
                                               " of case cases/", (*select)->ColumnText(1)));
    if (!event.ok()) return event.status();
    commits.back().events.push_back(*std::move(event));
  }
}

absl::StatusOr<CasePage> SelectCases(Database& db, const CaseFilter& filter, int page_size,
                                     absl::string_view page_token) {
  if (page_size < 1 || page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size must be in 1..", kMaxPageSize, ", not ", page_size));
  }
  std::optional<CaseCursor> cursor;
  if (!page_token.empty()) {
    cursor = DecodePageToken(page_token);
    if (!cursor.has_value()) {
      return absl::InvalidArgumentError(
          "page_token is malformed; pass a next_page_token from a previous "
          "call with the same filter");
    }
  }
  // Sorted and deduplicated, so equal filters share one cached statement.
  std::vector<mayday::v1::CaseState> states = filter.states;
  std::sort(states.begin(), states.end());
  states.erase(std::unique(states.begin(), states.end()), states.end());

  absl::StatusOr<StatementLease> select =
      db.Prepare(ListCasesSql(filter, states.size(), cursor.has_value()));
  if (!select.ok()) return ReadFailed(select.status());
  Statement& stmt = **select;
  absl::Status status;
  if (!filter.member.empty()) status.Update(stmt.BindText(kMemberParameter, filter.member));
  if (!filter.responder.empty()) {
    status.Update(stmt.BindText(kResponderParameter, filter.responder));
  }
  if (filter.kind != mayday::v1::CASE_KIND_UNSPECIFIED) {
    status.Update(stmt.BindInt64(kKindParameter, filter.kind));
  }
  if (filter.min_create_time.has_value()) {
    status.Update(stmt.BindInt64(kMinTimeParameter, absl::ToUnixMicros(*filter.min_create_time)));
  }
  if (filter.max_create_time.has_value()) {
    status.Update(stmt.BindInt64(kMaxTimeParameter, absl::ToUnixMicros(*filter.max_create_time)));
  }
  if (cursor.has_value()) {
    status.Update(stmt.BindInt64(kCursorTimeParameter, cursor->create_time_us));
    status.Update(stmt.BindText(kCursorIdParameter, cursor->id));
  }
  // One row more than a page tells whether another page follows.
  status.Update(stmt.BindInt64(kLimitParameter, int64_t{page_size} + 1));
  for (size_t i = 0; i < states.size(); ++i) {
    status.Update(stmt.BindInt64(static_cast<int>(kFirstStateParameter + i), states[i]));
  }
  if (!status.ok()) return ReadFailed(status);

  CasePage page;
  CaseCursor last;
  while (true) {
    absl::StatusOr<bool> row = stmt.Step();
    if (!row.ok()) return ReadFailed(row.status());
    if (!*row) break;
    if (page.cases.size() == static_cast<size_t>(page_size)) {
      page.next_page_token = EncodePageToken(last);
      break;
    }
    last.id = std::string(stmt.ColumnText(0));
    last.create_time_us = stmt.ColumnInt64(1);
    absl::StatusOr<Case> parsed =
        ParseCase(stmt.ColumnBlob(2), absl::StrCat("case cases/", last.id));
    if (!parsed.ok()) return parsed.status();
    page.cases.push_back(*std::move(parsed));
  }
  return page;
}

absl::StatusOr<std::vector<OpenCase>> SelectOpenCases(Database& db) {
  // One pass over cases_open (the WHERE clause is its own, word for word: see
  // migrations.cc), joined with the later events of the cases waiting for a
  // responder (dispatching: 1, escalated: 7), whose offers dispatch must
  // remember. A case with only its first event has nothing to join.
  absl::StatusOr<StatementLease> select = db.Prepare(
      "SELECT c.id, c.snapshot, e.event FROM cases AS c "
      "LEFT JOIN case_events AS e ON e.case_id = c.id AND e.sequence > 1 "
      "AND c.state IN (1, 7) AND c.last_sequence > 1 "
      "WHERE c.closed = 0 ORDER BY c.create_time_us, c.id, e.sequence");
  if (!select.ok()) return ReadFailed(select.status());
  Statement& stmt = **select;
  std::vector<OpenCase> cases;
  std::string last_id;
  while (true) {
    absl::StatusOr<bool> row = stmt.Step();
    if (!row.ok()) return ReadFailed(row.status());
    if (!*row) return cases;
    const absl::string_view id = stmt.ColumnText(0);
    if (cases.empty() || id != last_id) {
      last_id = std::string(id);
      absl::StatusOr<Case> parsed = ParseCase(stmt.ColumnBlob(1), "case cases/" + last_id);
      if (!parsed.ok()) return parsed.status();
      cases.push_back(OpenCase{.snapshot = *std::move(parsed)});
    }
    if (stmt.ColumnIsNull(2)) continue;
    absl::StatusOr<CaseEvent> event =
        ParseEvent(stmt.ColumnBlob(2), absl::StrCat("an event of case cases/", last_id));
    if (!event.ok()) return event.status();
    cases.back().events.push_back(*std::move(event));
  }
}

}  // namespace mayday::server::store_internal
