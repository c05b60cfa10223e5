// EngineImpl: the Engine. Responders and cases live in ordered maps (stable
// addresses, ordered views); the responders available for offers (on duty,
// connected, free, with a position) are also kept in one GeoGrid per case
// kind, so that finding the nearest eligible responder visits only the few
// nearby (see geo_grid.h). Matching in Step() follows the surge rule of
// engine.h (engine_impl_match.cc).
//
// Step() costs what changed, not how many cases are open: pending offers are
// kept by expiry, the cases to match in priority order (to_match_), and
// escalated cases in a GeoGrid of their own. An escalated case is matched
// again only when a responder becomes available (or moves) within the radius
// of it, or it moves itself: until then it has no eligible responder, so
// leaving it out of the matching changes nothing.
//
// State machine of a case:
//   waiting --offer--> offered --accept--> assigned
//      ^   \              |
//      |    `--none--> escalated (matched again whenever possible)
//      '--- offer ended ---'
//   waiting, offered, escalated --Hold--> held --Release--> waiting
//   any but assigned --AssignManually--> assigned
// An assigned case may look for a second crew (Case::Second):
//   none --SeekSecond--> sought --offer--> offered --accept--> assigned
//                         ^   '-- nobody: waits in the escalated grid
//                         '--- offer ended ---'
//   sought, offered, assigned --KeepResponder--> none
// A responder is off duty, available, offered (one case) or busy (one case).
#ifndef MAYDAY_DISPATCH_SRC_ENGINE_IMPL_H_
#define MAYDAY_DISPATCH_SRC_ENGINE_IMPL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "escalation.h"
#include "geo_grid.h"
#include "mayday/dispatch/engine.h"

namespace mayday::dispatch {

class EngineImpl final : public Engine {
 public:
  // `options` must be valid (Engine::Create checks); `clock` is not owned.
  EngineImpl(const EngineOptions& options, const base::Clock* clock);

  absl::Status SetDuty(const ResponderId& id, bool on_duty,
                       absl::Span<const Capability> capabilities) override;
  absl::Status UpdatePosition(const ResponderId& id, GeoPoint position,
                              absl::Time fix_time) override;
  void ResponderDisconnected(const ResponderId& id) override;
  void ResponderConnected(const ResponderId& id) override;

  absl::Status AddCase(const CaseId& id, CaseKind kind, GeoPoint location,
                       absl::Time raised_time) override;
  absl::Status AddCase(const CaseId& id, CaseKind kind, GeoPoint location, absl::Time raised_time,
                       absl::Span<const ResponderId> already_tried) override;
  absl::Status AddEscalatedCase(const CaseId& id, CaseKind kind, GeoPoint location,
                                absl::Time raised_time,
                                absl::Span<const ResponderId> already_tried) override;
  absl::Status AddAssignedCase(const CaseId& id, CaseKind kind, GeoPoint location,
                               absl::Time raised_time, const ResponderId& responder) override;
  absl::Status MoveCase(const CaseId& id, GeoPoint location) override;
  absl::StatusOr<Assignment> Accept(const ResponderId& responder, const CaseId& case_id) override;
  absl::Status Decline(const ResponderId& responder, const CaseId& case_id) override;
  std::optional<ResponderId> CloseCase(const CaseId& id) override;

  absl::Status SeekSecond(const CaseId& id) override;
  absl::Status AddSecondAssigned(const CaseId& id, const ResponderId& responder) override;
  absl::StatusOr<std::optional<ResponderId>> KeepResponder(const CaseId& id,
                                                           const ResponderId& responder) override;

  absl::Status Hold(const CaseId& id) override;
  absl::Status Release(const CaseId& id) override;
  absl::StatusOr<Assignment> AssignManually(const CaseId& case_id,
                                            const ResponderId& responder) override;

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
    uint32_t handle = 0;   // index in by_handle_ and key in the grids
    Ecef ecef;             // position, if any, as ECEF
    bool touched = false;  // in touched_
    // Where the escalated cases around it were last woken for matching, if
    // it has been eligible without a break since (available, fresh, same
    // capabilities): moving on, it wakes only the cases it newly reaches.
    std::optional<Ecef> woken_from;
  };

  struct Case {
    enum class Stage { kWaiting, kOffered, kAssigned, kEscalated, kHeld };
    CaseKind kind = CaseKind::kRoad;
    GeoPoint location;
    absl::Time raised_time;
    // Change only through SetStage, which keeps the indexes below in step.
    Stage stage = Stage::kWaiting;
    uint32_t handle = 0;            // index in case_by_handle_ and key in the escalated grids
    ResponderId responder;          // kOffered, kAssigned
    absl::Time offer_expire_time;   // kOffered
    std::set<ResponderId> offered;  // every responder it was ever offered to
    // The search for a second crew, only while kAssigned. Change its stage
    // only through SetSecondStage. Sought, the case is in to_match_ when it
    // may be matched and in the escalated grid of its kind meanwhile (an
    // escalated case never is assigned, so the two never meet).
    struct Second {
      enum class Stage { kNone, kSought, kOffered, kAssigned };
      Stage stage = Stage::kNone;
      ResponderId responder;                                // kOffered, kAssigned
      absl::Time offer_expire_time = absl::InfinitePast();  // kOffered
    };
    Second second;
    // The offer open on the case: the case's own, or (assigned) its second
    // crew's.
    bool OffersSecond() const { return stage == Stage::kAssigned; }
    const ResponderId& OfferHolder() const { return OffersSecond() ? second.responder : responder; }
    absl::Time OfferExpiry() const {
      return OffersSecond() ? second.offer_expire_time : offer_expire_time;
    }
  };

  // Matching order: cases without a responder before the searches for a
  // second crew (a second crew never takes the responder a case with nobody
  // could have had), then medical first, then oldest first, then by id.
  using PriorityKey = std::tuple<bool, bool, absl::Time, CaseId>;
  static PriorityKey Key(const CaseId& id, const Case& c) {
    return {c.stage == Case::Stage::kAssigned, c.kind != CaseKind::kMedical, c.raised_time, id};
  }

  // An eligible responder for a case, with its distance; ordered by rank.
  struct Candidate {
    const ResponderId* id = nullptr;
    uint32_t handle = 0;
    double distance_meters = 0;
    absl::Time idle_since;
    bool operator<(const Candidate& o) const {
      if (distance_meters != o.distance_meters) return distance_meters < o.distance_meters;
      if (idle_since != o.idle_since) return idle_since < o.idle_since;
      return *id < *o.id;
    }
  };

  // Ends the offer `c` (identified by `case_id`) holds: the case waits again
  // (an assigned case's search for a second crew goes on), the responder is
  // free, and kOfferEnded is queued for the next Step(). An offer that had
  // already lapsed by `now` ends as kExpired whatever `reason`.
  void EndOffer(const CaseId& case_id, Case& c, Decision::EndReason reason, absl::Time now);

  // The responder and case of the offer `responder` holds for `case_id`, if
  // it is still open (not lapsed); FAILED_PRECONDITION saying why not.
  absl::StatusOr<std::pair<Responder*, Case*>> LiveOffer(const ResponderId& responder,
                                                         const CaseId& case_id);

  // After case `id` moved while offered: ends the offer (kMemberMoved) if an
  // eligible responder is nearer by reoffer_min_gain_meters (engine.h).
  void ReofferIfClearlyNearer(const CaseId& id, Case& c);
  // Registers `id` if new (with a fresh handle) and returns it.
  Responder& ResponderFor(const ResponderId& id);
  // For a restart (AddAssignedCase, AddSecondAssigned): FAILED_PRECONDITION
  // if `responder` already holds an offer or a case.
  absl::Status RequireFree(const ResponderId& responder) const;
  // For a restart: `responder`, registered if new, on duty and busy with
  // case `id`.
  void RestoreBusy(const ResponderId& responder, const CaseId& id);
  // Moves case `id` to `stage`, updating to_match_, expiries_ and the
  // escalated grids. For kOffered, set offer_expire_time first; leaving
  // kOffered, clear it only after.
  void SetStage(const CaseId& id, Case& c, Case::Stage stage);
  // Takes the case out of, or puts it into, the indexes of its stage.
  void LeaveStage(const CaseId& id, const Case& c);
  void EnterStage(const CaseId& id, const Case& c);
  // The same for the case's search for a second crew (Case::Second).
  void SetSecondStage(const CaseId& id, Case& c, Case::Second::Stage stage);
  void LeaveSecondStage(const CaseId& id, const Case& c);
  void EnterSecondStage(const CaseId& id, const Case& c);
  // The assigned case `id`: NOT_FOUND if unknown, FAILED_PRECONDITION if not
  // assigned.
  absl::StatusOr<Case*> AssignedCase(const CaseId& id);
  GeoGrid& EscalatedGrid(CaseKind kind) {
    return kind == CaseKind::kRoad ? escalated_road_ : escalated_medical_;
  }
  // Marks for matching every escalated case within the radius of a responder
  // that became available or moved since the last Step().
  void WakeEscalatedNearTouched();
  // Puts `r` into, or takes it out of, the grids according to its state:
  // present in the grid of each kind it serves iff it is on duty, connected,
  // free and has a position. Called after every change to a responder.
  void Reindex(Responder& r);
  // The `k` best-ranked eligible responders for `c` at `now`, best first
  // (fewer if fewer are eligible).
  std::vector<Candidate> NearestEligible(const Case& c, absl::Time now, size_t k) const;
  // Pass 1 and 2 of the surge rule over `waiting` (priority order): for each,
  // the responder it is offered, or nullopt if it is left waiting.
  std::vector<std::optional<Candidate>> Match(const std::vector<const CaseId*>& waiting,
                                              absl::Time now) const;
  // Why nobody is eligible for `c` at `now`.
  CandidateTally TallyIneligible(const Case& c, absl::Time now) const;
  // Whether `r` has a position no older than max_position_age at `now`.
  bool Fresh(const Responder& r, absl::Time now) const {
    return r.position.has_value() && now - r.position_time <= options_.max_position_age;
  }
  // The on-duty responders serving `kind` without a fresh position at `now`:
  // one pass over the responders per change to any of them or new `now`,
  // not per escalation (in a surge with nobody free nearly every case
  // escalates, and a restart can escalate thousands in one Step()).
  int WithoutFix(CaseKind kind, absl::Time now) const;
  // Offers `c` to `candidate` at `now` and returns the kOffer decision.
  Decision MakeOffer(const CaseId& case_id, Case& c, const Candidate& candidate, absl::Time now);
  absl::Duration Eta(const Responder& r, CaseKind kind, double distance_meters) const;
  ResponderView View(const ResponderId& id, const Responder& r) const;

  const EngineOptions options_;
  const base::Clock* const clock_;
  std::map<ResponderId, Responder> responders_;
  // by_handle_[r.handle] points into responders_ (map nodes never move, and
  // responders are never forgotten).
  std::vector<std::pair<const ResponderId*, Responder*>> by_handle_;
  GeoGrid road_grid_;
  GeoGrid medical_grid_;
  // Every on-duty responder with a position, in any state and whatever it
  // serves or however old its fix: an escalation's tally walks the ones in
  // range instead of every responder.
  GeoGrid located_grid_;
  // Bumped by Reindex, after every change to a responder.
  uint64_t responders_version_ = 0;
  // WithoutFix's counts, for responders_version_ and now.
  struct WithoutFixMemo {
    uint64_t version = ~uint64_t{0};
    absl::Time now;
    int road = 0;
    int medical = 0;
  };
  mutable WithoutFixMemo without_fix_memo_;
  std::map<CaseId, Case> cases_;
  // case_by_handle_[c.handle] points at the case's id in cases_; handles of
  // closed cases are reused.
  std::vector<const CaseId*> case_by_handle_;
  std::vector<uint32_t> free_case_handles_;
  // What the next Step() matches: every waiting case, and the escalated cases
  // a responder may now serve.
  std::set<PriorityKey> to_match_;
  // Pending offers by expiry.
  std::set<std::pair<absl::Time, CaseId>> expiries_;
  // Escalated cases, by kind.
  GeoGrid escalated_road_;
  GeoGrid escalated_medical_;
  // Responders that became available or moved since the last Step().
  std::vector<uint32_t> touched_;
  // kOfferEnded decisions made between Step() calls, in the order they
  // happened; Step() returns them first.
  std::vector<Decision> ended_offers_;
};

}  // namespace mayday::dispatch

#endif  // MAYDAY_DISPATCH_SRC_ENGINE_IMPL_H_
