// LinearEngine: the first Engine. It keeps responders and cases in ordered
// maps and finds the nearest eligible responder for each waiting case by
// scanning every responder, so Step() costs O(waiting cases x responders). An
// indexed engine replaces it behind the same Engine interface later.
//
// State machine of a case:   waiting --offer--> offered --accept--> assigned
//                               ^   \               |
//                               |    `--none--> escalated (matched again
//                               '---- offer ended ---'      whenever possible)
// A responder is off duty, available, offered (one case) or busy (one case).
#ifndef MAYDAY_DISPATCH_SRC_LINEAR_ENGINE_H_
#define MAYDAY_DISPATCH_SRC_LINEAR_ENGINE_H_

#include <map>
#include <optional>
#include <set>
#include <vector>

#include "escalation.h"
#include "mayday/dispatch/engine.h"

namespace mayday::dispatch {

class LinearEngine final : public Engine {
 public:
  // `options` must be valid (Engine::Create checks); `clock` is not owned.
  LinearEngine(const EngineOptions& options, const Clock* clock);

  absl::Status SetDuty(const ResponderId& id, bool on_duty,
                       absl::Span<const Capability> capabilities) override;
  absl::Status UpdatePosition(const ResponderId& id, GeoPoint position,
                              absl::Time fix_time) override;
  void ResponderDisconnected(const ResponderId& id) override;
  void ResponderConnected(const ResponderId& id) override;

  absl::Status AddCase(const CaseId& id, CaseKind kind, GeoPoint location,
                       absl::Time raised_time) override;
  absl::Status AddAssignedCase(const CaseId& id, CaseKind kind, GeoPoint location,
                               absl::Time raised_time, const ResponderId& responder) override;
  absl::Status MoveCase(const CaseId& id, GeoPoint location) override;
  absl::StatusOr<Assignment> Accept(const ResponderId& responder, const CaseId& case_id) override;
  absl::Status Decline(const ResponderId& responder, const CaseId& case_id) override;
  std::optional<ResponderId> CloseCase(const CaseId& id) override;

  std::vector<Decision> Step() override;
  std::optional<absl::Time> NextDeadline() const override;

  std::vector<ResponderView> Responders() const override;
  std::optional<ResponderView> GetResponder(const ResponderId& id) const override;

 private:
  struct Responder {
    bool on_duty = false;
    bool connected = true;
    std::vector<Capability> capabilities;  // sorted, no duplicates
    std::optional<GeoPoint> position;
    absl::Time position_time = absl::InfinitePast();
    // When it last became available (went on duty, or an offer or case it
    // held ended); ties in distance go to the earliest.
    absl::Time idle_since = absl::InfinitePast();
    CaseId offered_case;   // empty if it holds no offer
    CaseId assigned_case;  // empty if it holds no case
  };

  struct Case {
    enum class Stage { kWaiting, kOffered, kAssigned, kEscalated };
    CaseKind kind = CaseKind::kRoad;
    GeoPoint location;
    absl::Time raised_time;
    Stage stage = Stage::kWaiting;
    ResponderId responder;          // kOffered, kAssigned
    absl::Time offer_expire_time;   // kOffered
    std::set<ResponderId> offered;  // every responder it was ever offered to
  };

  // The nearest eligible responder for a case, with its distance.
  struct Candidate {
    ResponderId id;
    double distance_meters = 0;
  };

  // Ends the offer `c` (identified by `case_id`) holds: the case waits again,
  // the responder is free, and kOfferEnded is queued for the next Step(). An
  // offer that had already lapsed by `now` ends as kExpired whatever `reason`.
  void EndOffer(const CaseId& case_id, Case& c, Decision::EndReason reason, absl::Time now);

  // True if `r` (with id `id`) may be offered `c` at `now`; sets `*distance`.
  bool IsEligible(const ResponderId& id, const Responder& r, const Case& c, absl::Time now,
                  double* distance) const;
  // The geodesic-nearest eligible responder for `c` at `now`, ties to the one
  // idle longest, then to the smaller id; nullopt if none.
  std::optional<Candidate> NearestEligible(const Case& c, absl::Time now) const;
  // Why nobody is eligible for `c` at `now`.
  CandidateTally TallyIneligible(const Case& c, absl::Time now) const;
  // Offers `c` to `candidate` at `now` and returns the kOffer decision.
  Decision MakeOffer(const CaseId& case_id, Case& c, const Candidate& candidate, absl::Time now);
  absl::Duration Eta(const Responder& r, CaseKind kind, double distance_meters) const;
  ResponderView View(const ResponderId& id, const Responder& r) const;

  const EngineOptions options_;
  const Clock* const clock_;
  std::map<ResponderId, Responder> responders_;
  std::map<CaseId, Case> cases_;
  // kOfferEnded decisions made between Step() calls, in the order they
  // happened; Step() returns them first.
  std::vector<Decision> ended_offers_;
};

}  // namespace mayday::dispatch

#endif  // MAYDAY_DISPATCH_SRC_LINEAR_ENGINE_H_
