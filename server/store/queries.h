// The store's reads and writes, as functions of one SQLite connection. They
// check their arguments, run their SQL and map SQLite errors to the statuses
// store.h promises; SqliteStore decides which connection each runs on and
// serializes access to it. Writes take BEGIN IMMEDIATE themselves.
//
// Not thread-safe: the caller holds the lock that guards `db`.
#ifndef MAYDAY_SERVER_STORE_QUERIES_H_
#define MAYDAY_SERVER_STORE_QUERIES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mayday/v1/resources.pb.h"
#include "store/case_chain.h"
#include "store/database.h"
#include "store/store.h"

namespace mayday::server::store_internal {

// Store::CreateCase and Store::AppendEvent (case_writes.cc). Each event is
// chained to its case's and recorded in `chain`, the commit's.
absl::StatusOr<CreatedCase> InsertCase(Database& db, CommitChain& chain,
                                       const mayday::v1::Case& snapshot,
                                       const mayday::v1::CaseEvent& first);
absl::Status InsertEvent(Database& db, CommitChain& chain, const mayday::v1::Case& snapshot,
                         const mayday::v1::CaseEvent& event);
// WriteTxn::OpenCase (case_writes.cc).
absl::StatusOr<CreatedCase> OpenOrJoinCase(Database& db, CommitChain& chain,
                                           const mayday::v1::Case& snapshot,
                                           const mayday::v1::CaseEvent& first);

// Store::GetCase, ListEvents, ListCases and ListOpenCases (case_reads.cc).
absl::StatusOr<mayday::v1::Case> SelectCase(Database& db, absl::string_view case_id);
absl::StatusOr<std::vector<mayday::v1::CaseEvent>> SelectEvents(Database& db,
                                                                absl::string_view case_id,
                                                                int64_t after_sequence, int limit);
absl::StatusOr<CasePage> SelectCases(Database& db, const CaseFilter& filter, int page_size,
                                     absl::string_view page_token);
absl::StatusOr<std::vector<OpenCase>> SelectOpenCases(Database& db);
// Store::ReadCommits (case_reads.cc).
absl::StatusOr<std::vector<CommitRecord>> SelectCommits(Database& db, int64_t after_sequence,
                                                        int max_commits);
// WriteTxn::CheckDispatchLease (case_writes.cc).
absl::Status CheckLease(Database& db, absl::string_view region, absl::string_view holder,
                        int64_t epoch);
// Store::FindPress (case_writes.cc, beside the writes that store presses).
absl::StatusOr<std::optional<mayday::v1::Case>> SelectPress(Database& db, const std::string& member,
                                                            const std::string& request_id);

// Store::AddNote and Store::ListNotes (notes.cc).
absl::Status InsertNote(Database& db, const mayday::v1::CaseNote& note);
absl::StatusOr<std::vector<mayday::v1::CaseNote>> SelectNotes(Database& db,
                                                              absl::string_view case_id);

// Store::SavePositions, ListTrack and ListPositions (positions.cc).
absl::Status InsertPositions(Database& db, const std::vector<PositionReport>& reports);
absl::StatusOr<std::vector<PositionReport>> SelectTrack(Database& db, absl::string_view case_id);
absl::StatusOr<std::vector<PositionReport>> SelectPositions(Database& db);

// Store::PutToken, FindToken, ListTokens and RevokeToken (tokens.cc).
absl::Status InsertToken(Database& db, const TokenRecord& token);
absl::StatusOr<TokenRecord> SelectToken(Database& db, absl::string_view token_hash);
absl::StatusOr<std::vector<TokenRecord>> SelectTokens(Database& db);
absl::StatusOr<TokenRecord> UpdateTokenRevoked(Database& db, absl::string_view token_id);

// Safety timers (timers.cc). The selects of one timer return the
// database's own errors (callers word them); SelectTimers words its own.
absl::StatusOr<std::optional<mayday::v1::SafetyTimer>> SelectTimer(Database& db,
                                                                   absl::string_view timer_id);
absl::StatusOr<std::optional<mayday::v1::SafetyTimer>> SelectTimerByRequest(
    Database& db, absl::string_view member, absl::string_view request_id);
absl::StatusOr<std::optional<mayday::v1::SafetyTimer>> SelectRunningTimer(Database& db,
                                                                          absl::string_view member);
absl::StatusOr<std::vector<mayday::v1::SafetyTimer>> SelectTimers(Database& db, bool running_only,
                                                                  int limit);
absl::Status UpsertTimer(Database& db, const mayday::v1::SafetyTimer& timer);

// Store::Figures (figures.cc): open cases by state and kind, those not
// closed (through the cases_open index); and the oldest ESCALATED cases,
// at most StoreFigures::kOldestEscalated, oldest first. The database's own
// errors (callers word them).
absl::StatusOr<std::vector<OpenCaseCount>> CountOpenCases(Database& db);
absl::StatusOr<std::vector<mayday::v1::Case>> SelectOldestEscalated(Database& db);

// Members' medical profiles (profiles.cc). SelectProfile returns the
// database's own errors (callers word them).
absl::StatusOr<std::optional<StoredProfile>> SelectProfile(Database& db, absl::string_view member);
absl::StatusOr<std::vector<StoredProfile>> SelectProfilesNotSealedWith(Database& db,
                                                                       absl::string_view key_id,
                                                                       int limit);
absl::Status UpsertProfile(Database& db, const StoredProfile& profile);
absl::StatusOr<bool> RemoveProfile(Database& db, absl::string_view member);

// Store::GetPins and WriteTxn::PutPins (pins.cc).
absl::StatusOr<std::optional<MemberPins>> SelectPins(Database& db, absl::string_view member);
absl::Status UpsertPins(Database& db, const MemberPins& pins);

// Webhooks (webhooks.cc; webhook_records.h). InsertWebhook starts the
// endpoint at the commit chain's head; SettleWebhookDeliveries moves its
// mark (never back), adds to its count and queues rows (those queued
// before left alone); UpdateDeliveries records attempts on pending rows,
// and tells which of their cases have none pending or dead left;
// SelectOpenCases, the cases that have; ResumeDeadDeliveries makes dead
// ones pending.
absl::Status InsertWebhook(Database& db, const WebhookEndpoint& endpoint);
absl::Status RemoveWebhook(Database& db, absl::string_view id);
absl::StatusOr<std::vector<WebhookEndpoint>> SelectWebhooks(Database& db, bool counts);
absl::Status SettleWebhookDeliveries(Database& db, const DeliverySettlement& settled);
absl::StatusOr<std::vector<std::string>> UpdateDeliveries(
    Database& db, const std::vector<DeliveryAttempt>& attempts);
absl::StatusOr<std::vector<std::string>> SelectOpenCases(Database& db, absl::string_view endpoint);
absl::StatusOr<int64_t> ResumeDeadDeliveries(Database& db, absl::string_view endpoint,
                                             absl::string_view case_id, absl::Time now);
absl::StatusOr<int64_t> DeleteDeliveredBefore(Database& db, absl::Time before);
absl::StatusOr<std::vector<WebhookDelivery>> SelectDeliveries(Database& db,
                                                              const DeliveryQuery& query);
absl::StatusOr<DueDeliveries> SelectDueDeliveries(Database& db, absl::string_view endpoint,
                                                  absl::Time now, int limit);

}  // namespace mayday::server::store_internal

#endif  // MAYDAY_SERVER_STORE_QUERIES_H_
