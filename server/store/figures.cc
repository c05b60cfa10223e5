// What the metrics page counts from the store (Store::Figures): the open
// cases by state and kind, and the oldest escalated ones.
#include <vector>

#include "store/codec.h"
#include "store/queries.h"

namespace mayday::server::store_internal {

// Open cases by state and kind: those not closed (RESOLVED 5, CANCELLED 6),
// through the cases_open index.
absl::StatusOr<std::vector<OpenCaseCount>> CountOpenCases(Database& db) {
  auto stmt = db.Prepare(
      "SELECT state, kind, COUNT(*) FROM cases WHERE state NOT IN (5, 6) GROUP BY state, kind");
  if (!stmt.ok()) return stmt.status();
  std::vector<OpenCaseCount> counts;
  while (true) {
    absl::StatusOr<bool> row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    if (!*row) return counts;
    counts.push_back({.state = static_cast<mayday::v1::CaseState>((*stmt)->ColumnInt64(0)),
                      .kind = static_cast<mayday::v1::CaseKind>((*stmt)->ColumnInt64(1)),
                      .count = (*stmt)->ColumnInt64(2)});
  }
}

// The oldest ESCALATED (7) cases, through the cases_by_state index.
absl::StatusOr<std::vector<mayday::v1::Case>> SelectOldestEscalated(Database& db) {
  auto stmt =
      db.Prepare("SELECT snapshot FROM cases WHERE state = 7 ORDER BY create_time_us, id LIMIT ?1");
  if (!stmt.ok()) return stmt.status();
  if (auto s = (*stmt)->BindInt64(1, StoreFigures::kOldestEscalated); !s.ok()) return s;
  std::vector<mayday::v1::Case> cases;
  while (true) {
    absl::StatusOr<bool> row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    if (!*row) return cases;
    auto parsed = ParseCase((*stmt)->ColumnBlob(0), "an escalated case");
    if (!parsed.ok()) return parsed.status();
    cases.push_back(*std::move(parsed));
  }
}

}  // namespace mayday::server::store_internal
