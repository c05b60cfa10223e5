// A Store that hands every call to another one: the base of decorators that
// change one behaviour (tests hold the writer's queue with one) and forward
// the rest.
#ifndef MAYDAY_SERVER_STORE_STORE_WRAPPER_H_
#define MAYDAY_SERVER_STORE_STORE_WRAPPER_H_

#include <memory>
#include <utility>

#include "store/store.h"

namespace mayday::server {

class StoreWrapper : public Store {
 public:
  explicit StoreWrapper(std::unique_ptr<Store> wrapped) : wrapped_(std::move(wrapped)) {}

  void Submit(WriteJob job, WriteDone done) override {
    wrapped_->Submit(std::move(job), std::move(done));
  }
  void SubmitBackground(WriteJob job, WriteDone done) override {
    wrapped_->SubmitBackground(std::move(job), std::move(done));
  }
  absl::StatusOr<CreatedCase> CreateCase(const mayday::v1::Case& snapshot,
                                         const mayday::v1::CaseEvent& first) override {
    return wrapped_->CreateCase(snapshot, first);
  }
  absl::Status AppendEvent(const mayday::v1::Case& snapshot,
                           const mayday::v1::CaseEvent& event) override {
    return wrapped_->AppendEvent(snapshot, event);
  }
  absl::StatusOr<mayday::v1::Case> GetCase(std::string_view case_id) override {
    return wrapped_->GetCase(case_id);
  }
  absl::StatusOr<std::optional<mayday::v1::Case>> FindPress(std::string_view member,
                                                            std::string_view request_id) override {
    return wrapped_->FindPress(member, request_id);
  }
  absl::StatusOr<std::vector<mayday::v1::CaseEvent>> ListEvents(std::string_view case_id,
                                                                int64_t after_sequence,
                                                                int limit) override {
    return wrapped_->ListEvents(case_id, after_sequence, limit);
  }
  absl::StatusOr<CasePage> ListCases(const CaseFilter& filter, int page_size,
                                     std::string_view page_token) override {
    return wrapped_->ListCases(filter, page_size, page_token);
  }
  absl::StatusOr<std::vector<OpenCase>> ListOpenCases() override {
    return wrapped_->ListOpenCases();
  }
  absl::Status AddNote(const mayday::v1::CaseNote& note) override {
    return wrapped_->AddNote(note);
  }
  absl::StatusOr<std::vector<mayday::v1::CaseNote>> ListNotes(std::string_view case_id) override {
    return wrapped_->ListNotes(case_id);
  }
  absl::Status PutToken(const TokenRecord& token) override { return wrapped_->PutToken(token); }
  absl::StatusOr<std::optional<MemberPins>> GetPins(std::string_view member) override {
    return wrapped_->GetPins(member);
  }
  absl::StatusOr<std::optional<StoredProfile>> GetProfile(std::string_view member) override {
    return wrapped_->GetProfile(member);
  }
  absl::StatusOr<std::vector<StoredProfile>> ListProfilesNotSealedWith(std::string_view key_id,
                                                                       int limit) override {
    return wrapped_->ListProfilesNotSealedWith(key_id, limit);
  }
  absl::StatusOr<mayday::v1::SafetyTimer> GetTimer(std::string_view timer_id) override {
    return wrapped_->GetTimer(timer_id);
  }
  absl::StatusOr<std::vector<mayday::v1::SafetyTimer>> ListTimers(bool running_only,
                                                                  int limit) override {
    return wrapped_->ListTimers(running_only, limit);
  }
  absl::StatusOr<TokenRecord> FindToken(std::string_view token_hash) override {
    return wrapped_->FindToken(token_hash);
  }
  absl::Status SavePositions(const std::vector<PositionReport>& reports) override {
    return wrapped_->SavePositions(reports);
  }
  absl::StatusOr<std::vector<PositionReport>> ListTrack(std::string_view case_id) override {
    return wrapped_->ListTrack(case_id);
  }
  absl::StatusOr<std::vector<PositionReport>> ListPositions() override {
    return wrapped_->ListPositions();
  }
  absl::StatusOr<std::vector<TokenRecord>> ListTokens() override { return wrapped_->ListTokens(); }
  absl::StatusOr<TokenRecord> RevokeToken(std::string_view token_id) override {
    return wrapped_->RevokeToken(token_id);
  }
  absl::StatusOr<std::vector<AuditRecord>> ListAudit(int64_t after_sequence, int limit) override {
    return wrapped_->ListAudit(after_sequence, limit);
  }
  absl::StatusOr<AuditVerdict> VerifyAudit() override { return wrapped_->VerifyAudit(); }
  absl::StatusOr<HistoryVerdict> VerifyHistory(const ChainAnchor& audit_anchor,
                                               const ChainAnchor& commit_anchor) override {
    return wrapped_->VerifyHistory(audit_anchor, commit_anchor);
  }
  absl::StatusOr<std::vector<CommitRecord>> ReadCommits(int64_t after_sequence,
                                                        int max_commits) override {
    return wrapped_->ReadCommits(after_sequence, max_commits);
  }
  absl::StatusOr<HistoryHeads> Heads() override { return wrapped_->Heads(); }
  absl::StatusOr<StoreFigures> Figures() override { return wrapped_->Figures(); }
  absl::StatusOr<std::vector<WebhookEndpoint>> ListWebhooks(bool counts) override {
    return wrapped_->ListWebhooks(counts);
  }
  absl::StatusOr<std::vector<WebhookDelivery>> ListWebhookDeliveries(
      const DeliveryQuery& query) override {
    return wrapped_->ListWebhookDeliveries(query);
  }
  absl::StatusOr<std::vector<std::string>> OpenWebhookCases(std::string_view endpoint) override {
    return wrapped_->OpenWebhookCases(endpoint);
  }
  absl::StatusOr<DueDeliveries> DueWebhookDeliveries(std::string_view endpoint, absl::Time now,
                                                     int limit) override {
    return wrapped_->DueWebhookDeliveries(endpoint, now, limit);
  }

 protected:
  Store& wrapped() { return *wrapped_; }

 private:
  const std::unique_ptr<Store> wrapped_;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_STORE_STORE_WRAPPER_H_
