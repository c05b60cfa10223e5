// SqliteStore's calls other than the group commit's own: each blocking
// write through SubmitAndWait, each read on the reader connection under its
// mutex; see sqlite_store.h.
#include <string_view>

#include "store/audit.h"
#include "store/codec.h"
#include "store/queries.h"
#include "store/sqlite_store.h"

namespace mayday::server::store_internal {

absl::StatusOr<CreatedCase> SqliteStore::CreateCase(const mayday::v1::Case& snapshot,
                                                    const mayday::v1::CaseEvent& first) {
  absl::StatusOr<CreatedCase> created = absl::UnknownError("not run");
  absl::Status status = SubmitAndWait([&](WriteTxn& txn) {
    created = txn.CreateCase(snapshot, first);
    return created.status();
  });
  if (!status.ok()) return status;
  return created;
}

absl::Status SqliteStore::AppendEvent(const mayday::v1::Case& snapshot,
                                      const mayday::v1::CaseEvent& event) {
  return SubmitAndWait([&](WriteTxn& txn) { return txn.AppendEvent(snapshot, event); });
}

absl::StatusOr<mayday::v1::Case> SqliteStore::GetCase(std::string_view case_id) {
  absl::MutexLock lock(&read_mu_);
  return SelectCase(*reader_, ToAbsl(case_id));
}

absl::StatusOr<std::optional<mayday::v1::Case>> SqliteStore::FindPress(
    std::string_view member, std::string_view request_id) {
  absl::MutexLock lock(&read_mu_);
  return SelectPress(*reader_, std::string(member), std::string(request_id));
}

absl::StatusOr<std::vector<mayday::v1::CaseEvent>> SqliteStore::ListEvents(std::string_view case_id,
                                                                           int64_t after_sequence,
                                                                           int limit) {
  absl::MutexLock lock(&read_mu_);
  return SelectEvents(*reader_, ToAbsl(case_id), after_sequence, limit);
}

absl::StatusOr<CasePage> SqliteStore::ListCases(const CaseFilter& filter, int page_size,
                                                std::string_view page_token) {
  absl::MutexLock lock(&read_mu_);
  return SelectCases(*reader_, filter, page_size, ToAbsl(page_token));
}

absl::Status SqliteStore::AddNote(const mayday::v1::CaseNote& note) {
  return SubmitAndWait([&](WriteTxn&)
                           ABSL_NO_THREAD_SAFETY_ANALYSIS { return InsertNote(*writer_, note); });
}

absl::StatusOr<std::vector<mayday::v1::CaseNote>> SqliteStore::ListNotes(std::string_view case_id) {
  absl::MutexLock lock(&read_mu_);
  return SelectNotes(*reader_, ToAbsl(case_id));
}

absl::Status SqliteStore::PutToken(const TokenRecord& token) {
  return SubmitAndWait([&](WriteTxn&)
                           ABSL_NO_THREAD_SAFETY_ANALYSIS { return InsertToken(*writer_, token); });
}

absl::StatusOr<TokenRecord> SqliteStore::FindToken(std::string_view token_hash) {
  absl::MutexLock lock(&read_mu_);
  return SelectToken(*reader_, ToAbsl(token_hash));
}

absl::Status SqliteStore::SavePositions(const std::vector<PositionReport>& reports) {
  return SubmitAndWait(
      [&](WriteTxn&) ABSL_NO_THREAD_SAFETY_ANALYSIS { return InsertPositions(*writer_, reports); });
}

absl::StatusOr<std::vector<PositionReport>> SqliteStore::ListTrack(std::string_view case_id) {
  absl::MutexLock lock(&read_mu_);
  return SelectTrack(*reader_, ToAbsl(case_id));
}

absl::StatusOr<std::vector<PositionReport>> SqliteStore::ListPositions() {
  absl::MutexLock lock(&read_mu_);
  return SelectPositions(*reader_);
}

absl::StatusOr<std::vector<TokenRecord>> SqliteStore::ListTokens() {
  absl::MutexLock lock(&read_mu_);
  return SelectTokens(*reader_);
}

absl::StatusOr<TokenRecord> SqliteStore::RevokeToken(std::string_view token_id) {
  absl::StatusOr<TokenRecord> revoked = absl::UnknownError("not run");
  absl::Status status = SubmitAndWait([&](WriteTxn&) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    revoked = UpdateTokenRevoked(*writer_, ToAbsl(token_id));
    return revoked.status();
  });
  if (!status.ok()) return status;
  return revoked;
}

absl::StatusOr<std::vector<AuditRecord>> SqliteStore::ListAudit(int64_t after_sequence, int limit) {
  absl::MutexLock lock(&read_mu_);
  return SelectAudit(*reader_, after_sequence, limit);
}

}  // namespace mayday::server::store_internal
