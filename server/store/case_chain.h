// The case history's hash chains, which make a case event edited, removed or
// added behind the server's back show up on `maydayctl audit verify`:
//
//   per case   each event's hash is the SHA-256 of the case's previous hash
//              (32 zero bytes before event 1), the case id, the sequence and
//              the event's stored bytes; case_events.hash holds it and
//              cases.event_hash the case's head, read with the row the writer
//              reads anyway, so chaining costs the writer no extra read.
//   commits    one case_chain row per group commit that wrote events: the
//              SHA-256 of the previous row's hash and of the (case, sequence,
//              hash) of every event the commit wrote, which carry the row's
//              sequence in case_events.chain_sequence. This chain of case
//              heads orders the whole history, so its head (sequence and
//              hash), kept outside, shows events cut off the end or
//              rewritten together with their cases' chains.
//
// This file is the one place that knows how both are hashed and checked.
// Not thread-safe: the caller holds the lock that guards `db` (queries.h).
#ifndef MAYDAY_SERVER_STORE_CASE_CHAIN_H_
#define MAYDAY_SERVER_STORE_CASE_CHAIN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "store/database.h"
#include "store/store.h"

namespace mayday::server::store_internal {

// The hash before a case's first event and before the first commit row:
// 32 zero bytes (hashes are stored as 32 raw bytes, shown as 64 hex digits).
std::string ChainGenesis();

// The hash of event `sequence` of case `case_id` (the id, without "cases/"),
// stored as `event`, following the case's hash `prev`: SHA-256 of prev, then
// "<length of id>:<id>\n<sequence>\n", then the event's bytes.
std::string CaseEventHash(absl::string_view prev, absl::string_view case_id, int64_t sequence,
                          absl::string_view event);

// One event as the commit chain covers it.
struct ChainedEvent {
  std::string case_id;
  int64_t sequence = 0;
  std::string hash;  // CaseEventHash, 32 bytes
};

// The events one group commit writes, for its case_chain row. Owned by the
// writer's batch; a fresh one for every run of a batch.
class CommitChain {
 public:
  // The case_chain sequence this commit's events carry: one after the last
  // row, read (with that row's hash) on first use. UNAVAILABLE on a SQLite
  // error.
  absl::StatusOr<int64_t> Sequence(Database& db);
  // Records an event the commit wrote.
  void Add(absl::string_view case_id, int64_t sequence, std::string hash);
  // How many are recorded; Truncate drops those of a job that was undone.
  size_t size() const { return events_.size(); }
  void Truncate(size_t size) { events_.resize(size); }
  // Appends the case_chain row for the recorded events (none: nothing),
  // stamped `now`, inside the caller's transaction. UNAVAILABLE on a SQLite
  // error.
  absl::Status Write(Database& db, absl::Time now);

 private:
  int64_t sequence_ = 0;  // 0 until read
  std::string prev_;      // the last row's hash, once read
  std::vector<ChainedEvent> events_;
};

// Migration 9: chains the events a file already holds, each case's in
// sequence order, and records them all as case_chain row 1 (time 0).
absl::Status ChainStoredEvents(Database& db);

// The head of the audit trail and of the commit chain, as the store reports
// them (Store::HistoryHeads). UNAVAILABLE on a SQLite error.
absl::StatusOr<HistoryHeads> ReadHistoryHeads(Database& db);

// Store::VerifyHistory's case half: every case's events against their chain
// and the case's head, then every commit row against the events that carry
// its sequence, then `anchor` (a head recorded outside; sequence 0: none).
absl::StatusOr<CaseHistoryVerdict> CheckCaseHistory(Database& db, const ChainAnchor& anchor);

// "3f0a…": `hash` as lowercase hex.
std::string HashHex(absl::string_view hash);

}  // namespace mayday::server::store_internal

#endif  // MAYDAY_SERVER_STORE_CASE_CHAIN_H_
