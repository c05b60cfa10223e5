// Dispatch's rounds: each round of the engine's Step() is committed as one
// group (its changes queued together, so they share the store's next fsync
// instead of one each), then, once all are on disk and in the order the
// engine made them, the responders are told and failed commits are undone in
// the engine. See dispatcher.h.
#include <cstdio>
#include <utility>
#include <vector>

#include "absl/synchronization/blocking_counter.h"
#include "api/names.h"
#include "dispatcher/decision_events.h"
#include "dispatcher/dispatcher.h"
#include "dispatcher/mapping.h"
#include "log/log.h"

namespace mayday::server {
namespace {

using Decision = dispatch::Decision;

// Bound on Step() rounds per run: each round settles at least one case, so
// this is only a guard against a decision that keeps failing to commit.
constexpr int kMaxRounds = 1000;

void LogDropped(const Decision& d, const absl::Status& status) {
  LogWarning("decision_not_committed", "dispatch decision for cases/%s not committed: %s",
             d.case_id.c_str(), status.ToString().c_str());
}

}  // namespace

void Dispatcher::RunLocked() {
  // Held reports go to the engine together, once they are due: a decision
  // may use a position up to CoalescingOptions::interval older than the
  // newest held one (dispatch accepts positions two minutes old).
  ApplyHeldPositionsLocked(/*only_if_due=*/true);
  for (int round = 0; round < kMaxRounds; ++round) {
    // Real time, whatever clock_ is: how long the machine took.
    const absl::Time start = metrics_ != nullptr ? absl::Now() : absl::InfinitePast();
    std::vector<Decision> decisions = engine_->Step();
    if (decisions.empty()) {
      watchdog_->Settled();
      return;
    }
    watchdog_->BeforeRound(decisions);
    // New offers may lapse before the deadline the dispatch thread waits
    // for: it recomputes its wait. (With nothing decided no deadline moved
    // earlier, so a position report wakes nobody.)
    Poke();
    // Commit the round as one group: queued in the engine's order, so the
    // store applies them in that order, and mostly in one batch.
    std::vector<absl::StatusOr<CommittedChange>> results(decisions.size(),
                                                         absl::UnknownError("not committed"));
    absl::BlockingCounter committed(static_cast<int>(decisions.size()));
    for (size_t i = 0; i < decisions.size(); ++i) {
      const Decision& d = decisions[i];
      if (d.type == Decision::Type::kOfferEnded) offers_.Forget(d.case_id);
      writer_->AppendAsync(
          d.case_id, kDispatchActor, DecisionEvent(d),
          [&results, &committed, i](absl::StatusOr<CommittedChange> result) {
            results[i] = std::move(result);
            committed.DecrementCount();
          },
          std::nullopt);
    }
    committed.Wait();
    for (size_t i = 0; i < decisions.size(); ++i) {
      // Not stored, though the case did not move on: the watchdog
      // escalates it unless a later decision about it commits.
      const absl::Status& status = results[i].status();
      if (!status.ok() && !absl::IsFailedPrecondition(status) && !absl::IsNotFound(status) &&
          !absl::IsAlreadyExists(status)) {
        watchdog_->DecisionFailed(decisions[i].case_id);
      }
      AfterCommitLocked(decisions[i], results[i]);
    }
    if (metrics_ != nullptr) metrics_->DispatchRound(decisions.size(), absl::Now() - start);
  }
  LogError("dispatch_unsettled", "dispatch did not settle after %d rounds", kMaxRounds);
}

void Dispatcher::AfterCommitLocked(const Decision& d,
                                   const absl::StatusOr<CommittedChange>& committed) {
  switch (d.type) {
    case Decision::Type::kOffer: {
      if (!committed.ok()) {
        LogDropped(d, committed.status());
        const auto code = committed.status().code();
        const bool moot =
            code == absl::StatusCode::kFailedPrecondition || code == absl::StatusCode::kNotFound;
        if (d.second && moot) {
          // The case no longer seeks a second crew (its crew got there, an
          // agent chose, it closed): the search ends, the case stays as it is.
          EndSecondSearchLocked(d.case_id);
        } else if (d.second) {
          (void)engine_->Decline(d.responder_id, d.case_id);  // the search goes on
        } else if (moot) {
          // The case closed meanwhile: the engine forgets it, the responder is free.
          engine_->CloseCase(d.case_id);
        } else {
          // Storage failed: nobody was told of the offer, so take it back and
          // let the case move on to the next candidate (or escalation).
          (void)engine_->Decline(d.responder_id, d.case_id);
        }
        return;
      }
      mayday::v1::Offer offer = OfferOf(committed->snapshot, committed->event.offered());
      offers_.Record(d.responder_id, d.case_id, offer);
      mayday::v1::ResponderUpdate update;
      *update.mutable_offer() = std::move(offer);
      streams_->Send(d.responder_id, std::move(update));
      return;
    }
    case Decision::Type::kOfferEnded:
      if (!committed.ok()) LogDropped(d, committed.status());
      if (d.end_reason != Decision::EndReason::kDeclined) {
        mayday::v1::ResponderUpdate withdrawn;
        withdrawn.set_offer_withdrawn(CaseName(d.case_id));
        streams_->Send(d.responder_id, std::move(withdrawn));
      }
      return;
    case Decision::Type::kEscalate:
    case Decision::Type::kRedispatch:
      if (!committed.ok() && !absl::IsAlreadyExists(committed.status())) {
        LogDropped(d, committed.status());
      }
      return;
  }
}

}  // namespace mayday::server
