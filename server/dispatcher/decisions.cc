// Carrying out the engine's decisions: each round of Step() is committed as
// one group (its changes queued together, so they share the store's next
// fsync instead of one each), then, once all are on disk and in the order the
// engine made them, the responders are told and failed commits are undone in
// the engine. See dispatcher.h.
#include <cstdio>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "cases/case_rules.h"
#include "cases/proto_time.h"
#include "dispatcher/dispatcher.h"
#include "dispatcher/mapping.h"

namespace mayday::server {
namespace {

using mayday::v1::Case;
using mayday::v1::CaseEvent;
using mayday::v1::CaseState;
using Decision = dispatch::Decision;

constexpr char kDispatchActor[] = "dispatch";
// Bound on Step() rounds per run: each round settles at least one case, so
// this is only a guard against a decision that keeps failing to commit.
constexpr int kMaxRounds = 1000;

CaseEvent::OfferEnded::Reason ToProtoReason(Decision::EndReason reason) {
  switch (reason) {
    case Decision::EndReason::kDeclined:
      return CaseEvent::OfferEnded::REASON_DECLINED;
    case Decision::EndReason::kExpired:
      return CaseEvent::OfferEnded::REASON_EXPIRED;
    case Decision::EndReason::kResponderUnavailable:
      return CaseEvent::OfferEnded::REASON_RESPONDER_UNAVAILABLE;
    case Decision::EndReason::kWithdrawn:
      return CaseEvent::OfferEnded::REASON_WITHDRAWN;
    case Decision::EndReason::kNone:
      break;
  }
  return CaseEvent::OfferEnded::REASON_UNSPECIFIED;
}

absl::Status RequireState(const Case& c, CaseState state) {
  if (c.state() == state) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(c.name(), " is ", StateName(c.state()), ", not ", StateName(state)));
}

void LogDropped(const Decision& d, const absl::Status& status) {
  std::fprintf(stderr, "maydayd: dispatch decision for cases/%s not committed: %s\n",
               d.case_id.c_str(), status.ToString().c_str());
}

// The case change that records `d` (a copy: it runs on the writer thread).
// Escalating an escalated case, or redispatching a dispatching one, is
// ALREADY_EXISTS: nothing to record.
OwnedCaseChange ChangeFor(const Decision& d) {
  switch (d.type) {
    case Decision::Type::kOffer:
      return [responder = ResponderName(d.responder_id), distance = d.distance_meters,
              eta = static_cast<int>(absl::ToInt64Seconds(d.eta)),
              expire = ToProtoTime(d.expire_time)](const Case& current, Case&, CaseEvent& e) {
        if (auto s = RequireState(current, mayday::v1::CASE_STATE_DISPATCHING); !s.ok()) return s;
        auto* offered = e.mutable_offered();
        offered->set_responder(responder);
        offered->set_distance_meters(distance);
        offered->set_eta_seconds(eta);
        *offered->mutable_expire_time() = expire;
        return absl::OkStatus();
      };
    case Decision::Type::kOfferEnded:
      return [responder = ResponderName(d.responder_id), reason = ToProtoReason(d.end_reason)](
                 const Case&, Case&, CaseEvent& e) {
        auto* ended = e.mutable_offer_ended();
        ended->set_responder(responder);
        ended->set_reason(reason);
        return absl::OkStatus();
      };
    case Decision::Type::kEscalate:
      return [reason = d.reason](const Case& current, Case& next, CaseEvent& e) {
        if (current.state() == mayday::v1::CASE_STATE_ESCALATED) {
          return absl::AlreadyExistsError("already escalated");
        }
        if (auto s = RequireState(current, mayday::v1::CASE_STATE_DISPATCHING); !s.ok()) return s;
        next.set_state(mayday::v1::CASE_STATE_ESCALATED);
        e.mutable_escalated()->set_reason(reason);
        return absl::OkStatus();
      };
    case Decision::Type::kRedispatch:
      return [](const Case& current, Case& next, CaseEvent& e) {
        if (current.state() == mayday::v1::CASE_STATE_DISPATCHING) {
          return absl::AlreadyExistsError("already dispatching");
        }
        if (auto s = RequireState(current, mayday::v1::CASE_STATE_ESCALATED); !s.ok()) return s;
        next.set_state(mayday::v1::CASE_STATE_DISPATCHING);
        e.mutable_redispatched();
        return absl::OkStatus();
      };
  }
  return [](const Case&, Case&, CaseEvent&) { return absl::InternalError("unknown decision"); };
}

}  // namespace

void Dispatcher::RunLocked() {
  // Held reports go to the engine together, once they are due: a decision
  // may use a position up to CoalescingOptions::interval older than the
  // newest held one (dispatch accepts positions two minutes old).
  ApplyHeldPositionsLocked(/*only_if_due=*/true);
  for (int round = 0; round < kMaxRounds; ++round) {
    std::vector<Decision> decisions = engine_->Step();
    if (decisions.empty()) {
      watchdog_.Settled();
      return;
    }
    watchdog_.BeforeRound(decisions);
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
      if (d.type == Decision::Type::kOfferEnded) ForgetOfferLocked(d.case_id);
      OwnedCaseChange change = ChangeFor(d);
      if (fail_commits_for_testing_) {
        change = [](const Case&, Case&, CaseEvent&) {
          return absl::UnavailableError("dispatch commits fail (test hook)");
        };
      }
      log_->AppendAsync(d.case_id, kDispatchActor, std::move(change),
                        [&results, &committed, i](absl::StatusOr<CommittedChange> result) {
                          results[i] = std::move(result);
                          committed.DecrementCount();
                        });
    }
    committed.Wait();
    for (size_t i = 0; i < decisions.size(); ++i) {
      // Not stored, though the case did not move on: the watchdog
      // escalates it unless a later decision about it commits.
      const absl::Status& status = results[i].status();
      if (!status.ok() && !absl::IsFailedPrecondition(status) && !absl::IsNotFound(status) &&
          !absl::IsAlreadyExists(status)) {
        watchdog_.DecisionFailed(decisions[i].case_id);
      }
      AfterCommitLocked(decisions[i], results[i]);
    }
  }
  std::fprintf(stderr, "maydayd: dispatch did not settle after %d rounds\n", kMaxRounds);
}

void Dispatcher::AfterCommitLocked(const Decision& d,
                                   const absl::StatusOr<CommittedChange>& committed) {
  switch (d.type) {
    case Decision::Type::kOffer: {
      if (!committed.ok()) {
        LogDropped(d, committed.status());
        const auto code = committed.status().code();
        if (code == absl::StatusCode::kFailedPrecondition || code == absl::StatusCode::kNotFound) {
          // The case closed meanwhile: the engine forgets it, the responder is free.
          engine_->CloseCase(d.case_id);
        } else {
          // Storage failed: nobody was told of the offer, so take it back and
          // let the case move on to the next candidate (or escalation).
          (void)engine_->Decline(d.responder_id, d.case_id);
        }
        return;
      }
      const Case& c = committed->snapshot;
      const CaseEvent::Offered& offered = committed->event.offered();
      mayday::v1::Offer offer;
      offer.set_case_(c.name());
      offer.set_kind(c.kind());
      *offer.mutable_location() = c.location();
      offer.set_note(c.note());
      offer.set_distance_meters(offered.distance_meters());
      offer.set_eta_seconds(offered.eta_seconds());
      *offer.mutable_expire_time() = offered.expire_time();
      offers_by_responder_[d.responder_id] = offer;
      offer_holder_by_case_[d.case_id] = d.responder_id;
      mayday::v1::ResponderUpdate update;
      *update.mutable_offer() = std::move(offer);
      streams_->Send(d.responder_id, std::move(update));
      return;
    }
    case Decision::Type::kOfferEnded:
      if (!committed.ok()) LogDropped(d, committed.status());
      if (d.end_reason != Decision::EndReason::kDeclined) {
        mayday::v1::ResponderUpdate withdrawn;
        withdrawn.set_offer_withdrawn(absl::StrCat("cases/", d.case_id));
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
