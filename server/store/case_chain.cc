// The case history's hash chains: hashing, the commit rows, the migration
// that chains old files, and the check; see case_chain.h.
#include "store/case_chain.h"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <tuple>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "store/codec.h"

namespace mayday::server::store_internal {
namespace {

constexpr size_t kHashBytes = 32;

// SHA-256 as OpenSSL implements it, looked up once: looking it up at each
// digest (what EVP_sha256() and SHA256() do in OpenSSL 3) costs more than
// hashing an event.
const EVP_MD* Sha256Method() {
  static const EVP_MD* const method = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return method;
}

// SHA-256 fed piece by piece (a migrated file's first commit row covers
// every event it held).
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    EVP_DigestInit_ex(ctx_.get(), Sha256Method(), nullptr);
  }
  Sha256& Add(absl::string_view bytes) {
    EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size());
    return *this;
  }
  std::string Finish() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(ctx_.get(), digest, &size);
    return std::string(reinterpret_cast<const char*>(digest), size);
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

// An event as a commit row's hash covers it.
void AddCovered(Sha256& sha, absl::string_view case_id, int64_t sequence, absl::string_view hash) {
  sha.Add(absl::StrCat(case_id.size(), ":", case_id, "\n", sequence, "\n")).Add(hash);
}

// The start of a commit row's hash: the previous row's hash and the row's
// own fields.
Sha256 CommitHashStart(absl::string_view prev, int64_t sequence, int64_t time_us,
                       int64_t event_count) {
  Sha256 sha;
  sha.Add(prev).Add(absl::StrCat(sequence, "\n", time_us, "\n", event_count, "\n"));
  return sha;
}

absl::Status InsertCommitRow(Database& db, int64_t sequence, int64_t time_us, int64_t event_count,
                             absl::string_view prev, absl::string_view hash) {
  absl::StatusOr<StatementLease> insert = db.Prepare(
      "INSERT INTO case_chain (sequence, time_us, event_count, prev_hash, hash) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!insert.ok()) return insert.status();
  absl::Status status = (*insert)->BindInt64(1, sequence);
  if (status.ok()) status = (*insert)->BindInt64(2, time_us);
  if (status.ok()) status = (*insert)->BindInt64(3, event_count);
  if (status.ok()) status = (*insert)->BindBlob(4, prev);
  if (status.ok()) status = (*insert)->BindBlob(5, hash);
  if (status.ok()) status = (*insert)->Step().status();
  return status;
}

// The last row of `table` (audit_log or case_chain): its sequence and hash.
absl::Status ReadLast(Database& db, absl::string_view table, int64_t& sequence, std::string& hash) {
  absl::StatusOr<StatementLease> last = db.Prepare(
      absl::StrCat("SELECT sequence, hash FROM ", table, " ORDER BY sequence DESC LIMIT 1"));
  if (!last.ok()) return last.status();
  absl::StatusOr<bool> row = (*last)->Step();
  if (!row.ok()) return row.status();
  sequence = *row ? (*last)->ColumnInt64(0) : 0;
  hash = *row ? std::string((*last)->ColumnBlob(1)) : std::string();
  return absl::OkStatus();
}

// The check's first half: every case's events against their chain.
class CaseWalk {
 public:
  explicit CaseWalk(CaseHistoryVerdict& verdict) : verdict_(verdict) {}

  // The next row of the cases ⟕ case_events scan; false once broken.
  bool Row(const Statement& row) {
    const absl::string_view id = row.ColumnText(0);
    if (!started_ || id != id_) {
      if (started_ && !EndCase()) return false;
      StartCase(id, row.ColumnInt64(1), row.ColumnBlob(2));
    }
    if (row.ColumnIsNull(3)) return Break(1, "the case has no events");
    const int64_t sequence = row.ColumnInt64(3);
    ++verdict_.events;
    if (sequence != last_ + 1) {
      return Break(last_ + 1, absl::StrCat("event ", last_ + 1, " is missing (the next stored is ",
                                           sequence, ")"));
    }
    const absl::string_view stored = row.ColumnBlob(5);
    if (CaseEventHash(prev_, id_, sequence, row.ColumnBlob(4)) != stored) {
      return Break(
          sequence,
          sequence == 1
              ? std::string("event 1 does not match its hash: it was changed")
              : absl::StrCat("event ", sequence, " does not match its hash over event ",
                             sequence - 1, "'s: event ", sequence, " was changed, or event ",
                             sequence - 1, " together with its hash"));
    }
    prev_ = std::string(stored);
    last_ = sequence;
    return true;
  }

  // After the last row; false if broken.
  bool Finish() { return !started_ || EndCase(); }

 private:
  void StartCase(absl::string_view id, int64_t last_sequence, absl::string_view head) {
    started_ = true;
    id_ = std::string(id);
    case_last_sequence_ = last_sequence;
    head_ = std::string(head);
    prev_ = ChainGenesis();
    last_ = 0;
    ++verdict_.cases;
  }

  bool EndCase() {
    if (last_ < case_last_sequence_) {
      return Break(last_ + 1, absl::StrCat("the case is at sequence ", case_last_sequence_,
                                           " but its events end at ", last_, ": events ", last_ + 1,
                                           " to ", case_last_sequence_, " are missing"));
    }
    if (last_ > case_last_sequence_) {
      return Break(case_last_sequence_ + 1,
                   absl::StrCat("the case is at sequence ", case_last_sequence_,
                                " but has events up to ", last_, ": events were added"));
    }
    if (head_ != prev_) {
      return Break(last_, absl::StrCat("the case's head hash is not the hash of its event ", last_,
                                       ": the case's chain was rewritten"));
    }
    return true;
  }

  bool Break(int64_t sequence, std::string problem) {
    verdict_.broken_case = absl::StrCat("cases/", id_);
    verdict_.broken_sequence = sequence;
    verdict_.problem = std::move(problem);
    return false;
  }

  CaseHistoryVerdict& verdict_;
  bool started_ = false;
  std::string id_;
  int64_t case_last_sequence_ = 0;
  std::string head_;
  std::string prev_;
  int64_t last_ = 0;
};

// The check's second half: every commit row against the events that carry
// its sequence, read in (chain_sequence, case, sequence) order.
absl::Status CheckCommits(Database& db, const ChainAnchor& anchor, CaseHistoryVerdict& verdict) {
  absl::StatusOr<StatementLease> commits = db.Prepare(
      "SELECT sequence, time_us, event_count, prev_hash, hash FROM case_chain ORDER BY sequence");
  if (!commits.ok()) return commits.status();
  absl::StatusOr<StatementLease> events = db.Prepare(
      "SELECT chain_sequence, case_id, sequence, hash FROM case_events "
      "ORDER BY chain_sequence, case_id, sequence");
  if (!events.ok()) return events.status();
  absl::StatusOr<bool> event_row = (*events)->Step();
  if (!event_row.ok()) return event_row.status();
  const auto broken = [&verdict](int64_t commit, std::string problem) {
    verdict.broken_commit = commit;
    verdict.problem = std::move(problem);
    return absl::OkStatus();
  };
  const auto event_name = [&events] {
    return absl::StrCat("event ", (*events)->ColumnInt64(2), " of cases/",
                        (*events)->ColumnText(1));
  };
  if (*event_row && (*events)->ColumnIsNull(0)) {
    verdict.broken_case = absl::StrCat("cases/", (*events)->ColumnText(1));
    verdict.broken_sequence = (*events)->ColumnInt64(2);
    return broken(1, absl::StrCat(event_name(), " belongs to no commit: it was added by hand"));
  }
  std::string prev = ChainGenesis();
  int64_t expected = 1;
  while (true) {
    absl::StatusOr<bool> commit_row = (*commits)->Step();
    if (!commit_row.ok()) return commit_row.status();
    if (!*commit_row) break;
    const int64_t sequence = (*commits)->ColumnInt64(0);
    const int64_t time_us = (*commits)->ColumnInt64(1);
    const int64_t event_count = (*commits)->ColumnInt64(2);
    ++verdict.commits;
    if (sequence != expected) {
      return broken(expected,
                    absl::StrCat("commit ", sequence, " follows ", expected - 1, ": commits ",
                                 expected, " to ", sequence - 1, " are missing"));
    }
    if ((*commits)->ColumnBlob(3) != prev) {
      return broken(sequence,
                    absl::StrCat("its prev_hash is not the hash of commit ", sequence - 1));
    }
    if (*event_row && (*events)->ColumnInt64(0) < sequence) {
      return broken(sequence, absl::StrCat(event_name(), " names commit ",
                                           (*events)->ColumnInt64(0), ", which has none left"));
    }
    Sha256 sha = CommitHashStart(prev, sequence, time_us, event_count);
    int64_t covered = 0;
    while (*event_row && (*events)->ColumnInt64(0) == sequence) {
      AddCovered(sha, (*events)->ColumnText(1), (*events)->ColumnInt64(2),
                 (*events)->ColumnBlob(3));
      ++covered;
      event_row = (*events)->Step();
      if (!event_row.ok()) return event_row.status();
    }
    if (covered != event_count) {
      return broken(sequence,
                    absl::StrCat("commit ", sequence, " wrote ", event_count, " events but ",
                                 covered, " carry its sequence: events were removed or added"));
    }
    std::string hash = sha.Finish();
    if (hash != (*commits)->ColumnBlob(4)) {
      return broken(sequence, absl::StrCat("commit ", sequence,
                                           " does not match its hash: its events or the row "
                                           "were changed"));
    }
    if (sequence == anchor.sequence && HashHex(hash) != anchor.hash) {
      return broken(sequence, absl::StrCat("commit ", sequence, " is ", HashHex(hash),
                                           " but was recorded as ", anchor.hash,
                                           ": the history was rewritten"));
    }
    prev = std::move(hash);
    expected = sequence + 1;
  }
  if (*event_row) {
    return broken(expected, absl::StrCat(event_name(), " names commit ", (*events)->ColumnInt64(0),
                                         " but the chain ends at ", expected - 1,
                                         ": commits were cut off the end"));
  }
  if (anchor.sequence >= expected) {
    return broken(expected,
                  absl::StrCat("the chain ends at commit ", expected - 1, " but commit ",
                               anchor.sequence, " was recorded: the history was cut off the end"));
  }
  verdict.head_sequence = expected - 1;
  verdict.head_hash = expected > 1 ? HashHex(prev) : std::string();
  return absl::OkStatus();
}

}  // namespace

std::string ChainGenesis() { return std::string(kHashBytes, '\0'); }

std::string HashHex(absl::string_view hash) { return absl::BytesToHexString(hash); }

std::string CaseEventHash(absl::string_view prev, absl::string_view case_id, int64_t sequence,
                          absl::string_view event) {
  return Sha256()
      .Add(prev)
      .Add(absl::StrCat(case_id.size(), ":", case_id, "\n", sequence, "\n"))
      .Add(event)
      .Finish();
}

absl::StatusOr<int64_t> CommitChain::Sequence(Database& db) {
  if (sequence_ == 0) {
    if (absl::Status status = ReadLast(db, "case_chain", sequence_, prev_); !status.ok()) {
      return status;
    }
    if (sequence_ == 0) prev_ = ChainGenesis();
    ++sequence_;
  }
  return sequence_;
}

void CommitChain::Add(absl::string_view case_id, int64_t sequence, std::string hash) {
  events_.push_back(ChainedEvent{std::string(case_id), sequence, std::move(hash)});
}

absl::Status CommitChain::Write(Database& db, absl::Time now) {
  if (events_.empty()) return absl::OkStatus();
  // sequence_ and prev_ were read by the first event's insert. The events
  // are hashed in the order the check reads them in.
  std::sort(events_.begin(), events_.end(), [](const ChainedEvent& a, const ChainedEvent& b) {
    return std::tie(a.case_id, a.sequence) < std::tie(b.case_id, b.sequence);
  });
  const int64_t time_us = absl::ToUnixMicros(now);
  Sha256 sha = CommitHashStart(prev_, sequence_, time_us, static_cast<int64_t>(events_.size()));
  for (const ChainedEvent& event : events_) {
    AddCovered(sha, event.case_id, event.sequence, event.hash);
  }
  return InsertCommitRow(db, sequence_, time_us, static_cast<int64_t>(events_.size()), prev_,
                         sha.Finish());
}

absl::Status ChainStoredEvents(Database& db) {
  absl::StatusOr<StatementLease> select =
      db.Prepare("SELECT case_id, sequence, event FROM case_events ORDER BY case_id, sequence");
  if (!select.ok()) return select.status();
  std::vector<ChainedEvent> chained;
  while (true) {
    absl::StatusOr<bool> row = (*select)->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    const absl::string_view id = (*select)->ColumnText(0);
    const bool same_case = !chained.empty() && chained.back().case_id == id;
    const std::string prev = same_case ? chained.back().hash : ChainGenesis();
    const int64_t sequence = (*select)->ColumnInt64(1);
    chained.push_back(ChainedEvent{std::string(id), sequence,
                                   CaseEventHash(prev, id, sequence, (*select)->ColumnBlob(2))});
  }
  if (chained.empty()) return absl::OkStatus();
  Sha256 sha = CommitHashStart(ChainGenesis(), 1, 0, static_cast<int64_t>(chained.size()));
  for (size_t i = 0; i < chained.size(); ++i) {
    const ChainedEvent& event = chained[i];
    AddCovered(sha, event.case_id, event.sequence, event.hash);
    absl::StatusOr<StatementLease> update = db.Prepare(
        "UPDATE case_events SET hash = ?3, chain_sequence = 1 WHERE case_id = ?1 AND sequence = "
        "?2");
    if (!update.ok()) return update.status();
    absl::Status status = (*update)->BindText(1, event.case_id);
    if (status.ok()) status = (*update)->BindInt64(2, event.sequence);
    if (status.ok()) status = (*update)->BindBlob(3, event.hash);
    if (status.ok()) status = (*update)->Step().status();
    if (!status.ok()) return status;
    if (i + 1 < chained.size() && chained[i + 1].case_id == event.case_id) continue;
    absl::StatusOr<StatementLease> head =
        db.Prepare("UPDATE cases SET event_hash = ?2 WHERE id = ?1");
    if (!head.ok()) return head.status();
    status = (*head)->BindText(1, event.case_id);
    if (status.ok()) status = (*head)->BindBlob(2, event.hash);
    if (status.ok()) status = (*head)->Step().status();
    if (!status.ok()) return status;
  }
  return InsertCommitRow(db, 1, 0, static_cast<int64_t>(chained.size()), ChainGenesis(),
                         sha.Finish());
}

absl::StatusOr<HistoryHeads> ReadHistoryHeads(Database& db) {
  HistoryHeads heads;
  absl::Status status = ReadLast(db, "audit_log", heads.audit_sequence, heads.audit_hash);
  std::string commit_hash;
  if (status.ok()) status = ReadLast(db, "case_chain", heads.commit_sequence, commit_hash);
  if (!status.ok()) return ReadFailed(status);
  if (heads.commit_sequence > 0) heads.commit_hash = HashHex(commit_hash);
  return heads;
}

absl::StatusOr<CaseHistoryVerdict> CheckCaseHistory(Database& db, const ChainAnchor& anchor) {
  CaseHistoryVerdict verdict;
  {
    // Cases in id order, each with its events in sequence order (the
    // primary key's): no sort.
    absl::StatusOr<StatementLease> select = db.Prepare(
        "SELECT c.id, c.last_sequence, c.event_hash, e.sequence, e.event, e.hash "
        "FROM cases AS c LEFT JOIN case_events AS e ON e.case_id = c.id "
        "ORDER BY c.id, e.sequence");
    if (!select.ok()) return ReadFailed(select.status());
    CaseWalk walk(verdict);
    while (true) {
      absl::StatusOr<bool> row = (*select)->Step();
      if (!row.ok()) return ReadFailed(row.status());
      if (!*row) break;
      if (!walk.Row(**select)) return verdict;
    }
    if (!walk.Finish()) return verdict;
  }
  if (absl::Status status = CheckCommits(db, anchor, verdict); !status.ok()) {
    return ReadFailed(status);
  }
  return verdict;
}

}  // namespace mayday::server::store_internal
