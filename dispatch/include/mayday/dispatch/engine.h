// The dispatch engine: which responder is offered which case, and when a case
// must be escalated to care agents.
//
// Pure C++: no gRPC, no SQLite, no threads of its own, time from an injected
// Clock. The server feeds it what happened (responders going on duty, moving,
// answering offers; cases opened, moved, closed) and calls Step(), which
// returns Decisions. The server commits each decision to storage, in order,
// before anyone is told about it (validate -> commit -> decide -> commit ->
// publish).
//
// Rules:
// - A responder is eligible for a case when it is on duty, connected, holds no
//   offer and no case, has a capability that serves the case kind (ROAD: tow,
//   patrol, mechanic; MEDICAL: ambulance, paramedic), reported a position no
//   older than EngineOptions::max_position_age, lies within max_radius_meters
//   of the case (WGS84 geodesic distance), and was not already offered this
//   case (nor listed as already tried when the case was added). An offer
//   withdrawn by an operator (Hold, AssignManually) does not count: that
//   responder never said no.
// - Responders are ranked for a case by (geodesic distance, idle since, id):
//   nearest first; ties go to the responder idle longest (available since the
//   earliest time: when it went on duty or an offer or case it held ended),
//   then to the smaller id.
// - Waiting cases are matched medical first, then oldest first (raised_time,
//   then case id): the "priority order".
// - Surge rule (many cases waiting at once): no case waits for a responder
//   another case could have done without. Each Step() matches the waiting
//   cases against the responders eligible at that moment in two passes:
//   1. Who is served: going down the priority order, a case is served if it
//      and every case already chosen can all be given distinct eligible
//      responders at once (an augmenting-path test). So the number of cases
//      served is the largest possible, and a case is left waiting only when
//      serving it would take the last possible responder from a case of
//      higher priority.
//   2. Who serves whom: going down the priority order, each served case gets
//      the best-ranked eligible responder that still leaves every other served
//      case a responder. When cases do not compete (the usual case, one
//      waiting case at a time) that is simply the nearest eligible responder.
//   Why: a greedy "most urgent case takes its nearest" can leave a case with
//   nobody although a second responder nearly as close was free for the
//   urgent one (two calls from the same pile-up, one ambulance able to reach
//   only one of them). Under this rule an urgent case gives up at most some
//   distance, never service, and only to keep another case from waiting; the
//   radius bounds what it gives up. Priority still decides who waits when
//   there are not enough responders for all.
// - A responder holds at most one offer or case at a time.
// - An offer lapses after offer_timeout; a declined, lapsed or abandoned
//   (responder off duty or disconnected) offer moves the case to the next
//   eligible responder; when none is left the case is escalated.
// - An escalated case is matched again (kRedispatch, then kOffer) as soon as
//   an eligible responder it was not yet offered to exists (a responder comes
//   on duty, finishes a case, or moves into range), unless an operator holds
//   it (Hold()).
// - A second crew (SeekSecond): when the crew assigned to a case stalls, the
//   case may be offered to a second responder while the first keeps it. The
//   search follows the rules above (eligibility, rank, offer_timeout; the
//   responders already offered the case are skipped) but never escalates:
//   with nobody eligible it waits, as an escalated case does, for a
//   responder to turn up. In the priority order the searches come after
//   every case that has no responder at all: a second crew never takes the
//   responder such a case could have had. Once one accepts, both hold the case until an
//   operator keeps one (KeepResponder); closing the case frees both.
// - Operators may hold a case (Hold: the engine stops matching it), release
//   it (Release: matched again) or assign it to a responder of their choice
//   (AssignManually), overriding every rule above but "one case per
//   responder".
//
// Cost: candidates come from a spatial index over the available responders
// (ECEF cells), visited in chord order; the exact WGS84 geodesic is computed
// only for the few whose chord (a lower bound of the geodesic) is within the
// best geodesic found. A query is microseconds at 100,000 responders; a
// position update is O(1).
#ifndef MAYDAY_DISPATCH_ENGINE_H_
#define MAYDAY_DISPATCH_ENGINE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "mayday/base/clock.h"

namespace mayday::dispatch {

// What the member asked for.
enum class CaseKind { kRoad, kMedical };

// What a responder can do.
enum class Capability { kTow, kPatrol, kMechanic, kAmbulance, kParamedic };

// True if a responder with capability `c` can serve a case of kind `k`.
bool Serves(Capability c, CaseKind k);

// A point on the WGS84 ellipsoid, degrees. Callers validate ranges before
// handing points to the engine (latitude in [-90, 90], longitude in
// [-180, 180], finite); the engine returns INVALID_ARGUMENT otherwise.
struct GeoPoint {
  double latitude_deg = 0;
  double longitude_deg = 0;
};

// Ids are the server's opaque ids ("r-17", a 32-hex-digit case id); the engine
// only compares them.
using ResponderId = std::string;
using CaseId = std::string;

// Tunables. The defaults suit a regional service.
struct EngineOptions {
  // Responders farther than this (geodesic) are never offered the case.
  double max_radius_meters = 50'000;
  // How long a responder has to answer an offer.
  absl::Duration offer_timeout = absl::Seconds(30);
  // Positions older than this make a responder ineligible.
  absl::Duration max_position_age = absl::Minutes(2);
  // Average driving speed used for ETAs, metres per second, by capability; a
  // responder with several capabilities uses the fastest that serves the case.
  double tow_speed_mps = 11.0;
  double patrol_speed_mps = 14.0;
  double mechanic_speed_mps = 12.0;
  double ambulance_speed_mps = 15.0;
  double paramedic_speed_mps = 16.0;
  // A member who moves while their case's offer is unanswered is offered to
  // another responder (kMemberMoved) when that one is nearer the new place
  // than the offered responder by at least this much (about two minutes'
  // drive: a re-offer costs the new crew's answer time, up to offer_timeout).
  double reoffer_min_gain_meters = 2'000;
};

// Something the engine decided. The caller commits it as a case event, in
// the order Step() returned them.
struct Decision {
  enum class Type {
    // Offer `case_id` to `responder_id` until `expire_time`.
    kOffer,
    // The offer of `case_id` to `responder_id` ended without acceptance, for
    // `end_reason`. The responder is free again (unless it went off duty).
    kOfferEnded,
    // No eligible responder is left for `case_id`; `reason` says why in words a
    // care agent can act on.
    kEscalate,
    // The escalated `case_id` is being matched again; an kOffer follows.
    kRedispatch,
  };
  // kWithdrawn: an operator held the case (Hold) or assigned it to another
  // responder (AssignManually). kMemberMoved: the member moved and another
  // responder is now clearly nearer (MoveCase).
  enum class EndReason {
    kNone,
    kDeclined,
    kExpired,
    kResponderUnavailable,
    kWithdrawn,
    kMemberMoved
  };

  Type type = Type::kOffer;
  CaseId case_id;
  ResponderId responder_id;                 // kOffer, kOfferEnded
  double distance_meters = 0;               // kOffer: geodesic distance responder -> case
  absl::Duration eta;                       // kOffer: distance / responder speed
  absl::Time expire_time;                   // kOffer
  EndReason end_reason = EndReason::kNone;  // kOfferEnded
  std::string reason;                       // kEscalate
  // kOffer, kOfferEnded: the offer is for a second crew (SeekSecond); the
  // case stays assigned to its first.
  bool second = false;
};

// The result of a successful Accept() or AssignManually().
struct Assignment {
  CaseId case_id;
  ResponderId responder_id;
  // Geodesic distance responder -> case and ETA; 0 and InfiniteDuration() for
  // a manual assignment to a responder without a position (or without a
  // capability serving the case kind, for the ETA).
  double distance_meters = 0;
  absl::Duration eta;
  // The responder came as the case's second crew (SeekSecond).
  bool second = false;
};

// A responder as the engine sees it, for operators' views.
struct ResponderView {
  enum class Status { kOffDuty, kAvailable, kOffered, kBusy };
  ResponderId id;
  Status status = Status::kOffDuty;
  std::vector<Capability> capabilities;
  std::optional<GeoPoint> position;
  absl::Time position_time;  // when the last position was reported
  CaseId current_case;       // offered or assigned case; empty if none
};

// The engine. Not thread-safe: the caller serializes all calls (the server
// holds one mutex around it). Responder and case updates are O(log n); Step()
// costs one index query per waiting or escalated case (plus, in a surge, the
// matching of pass 1 and 2 over their candidates), and escalating a case costs
// one O(responders) pass to say why nobody could take it.
class Engine {
 public:
  // Returns an engine using `clock` (not owned; must outlive the engine).
  // INVALID_ARGUMENT if an option is out of range (non-positive radius,
  // timeout, age or speed).
  static absl::StatusOr<std::unique_ptr<Engine>> Create(const EngineOptions& options,
                                                        const base::Clock* clock);
  virtual ~Engine() = default;

  // --- Responders ---

  // Registers the responder if new, and sets duty and capabilities. Going off
  // duty while holding an offer ends it (kOfferEnded, kResponderUnavailable, at
  // the next Step()). FAILED_PRECONDITION when going off duty while assigned
  // to a case; INVALID_ARGUMENT if on duty with no capability.
  virtual absl::Status SetDuty(const ResponderId& id, bool on_duty,
                               absl::Span<const Capability> capabilities) = 0;

  // Records the responder's position, taken at `fix_time`. A fix older than
  // the one already held is ignored (reports may arrive out of order).
  // NOT_FOUND for an unknown responder; INVALID_ARGUMENT for an invalid point
  // or an infinite `fix_time`.
  virtual absl::Status UpdatePosition(const ResponderId& id, GeoPoint position,
                                      absl::Time fix_time) = 0;

  // The responder's push stream went away: an offer it holds ends
  // (kResponderUnavailable) at the next Step(), and it gets no new offers until
  // ResponderConnected(). Unknown ids are ignored. Responders count as
  // connected when first registered.
  virtual void ResponderDisconnected(const ResponderId& id) = 0;
  // The responder's push stream is back.
  virtual void ResponderConnected(const ResponderId& id) = 0;

  // --- Cases ---

  // Adds a case waiting for a responder. ALREADY_EXISTS if known.
  virtual absl::Status AddCase(const CaseId& id, CaseKind kind, GeoPoint location,
                               absl::Time raised_time) = 0;

  // Like AddCase, but the case was already offered to `already_tried`
  // (rebuilt from stored events when the server restarts): they are never
  // offered it again. Unknown ids in it are fine (they may register later).
  virtual absl::Status AddCase(const CaseId& id, CaseKind kind, GeoPoint location,
                               absl::Time raised_time,
                               absl::Span<const ResponderId> already_tried) = 0;

  // Like AddCase with `already_tried`, for a case that was escalated when the
  // server stopped: it waits as escalated cases do (matched again when an
  // eligible responder it was not offered turns up, with kRedispatch before
  // its offer) and is not escalated a second time.
  virtual absl::Status AddEscalatedCase(const CaseId& id, CaseKind kind, GeoPoint location,
                                        absl::Time raised_time,
                                        absl::Span<const ResponderId> already_tried) = 0;

  // Adds a case that is already assigned (used when the server restarts):
  // the responder is registered if unknown and marked busy with it.
  virtual absl::Status AddAssignedCase(const CaseId& id, CaseKind kind, GeoPoint location,
                                       absl::Time raised_time, const ResponderId& responder) = 0;

  // The member moved. If the case's offer is unanswered and an eligible
  // responder is now nearer the new place than the offered one by
  // reoffer_min_gain_meters, the offer ends (kOfferEnded, kMemberMoved: the
  // responder never said no and may be offered the case again) and the case
  // is matched again, both at the next Step(). A move to the same place
  // changes nothing. NOT_FOUND for an unknown case.
  virtual absl::Status MoveCase(const CaseId& id, GeoPoint location) = 0;

  // The responder accepts the offer it holds for the case. FAILED_PRECONDITION
  // if it holds no offer for this case (lapsed, never made).
  virtual absl::StatusOr<Assignment> Accept(const ResponderId& responder,
                                            const CaseId& case_id) = 0;

  // The responder declines the offer it holds for the case; kOfferEnded
  // (kDeclined) and the next offer follow at the next Step().
  // FAILED_PRECONDITION if it holds no offer for this case.
  virtual absl::Status Decline(const ResponderId& responder, const CaseId& case_id) = 0;

  // The case is closed (resolved or cancelled): the engine forgets it, and a
  // responder holding its offer or assigned to it (both crews, with a second)
  // becomes free. Unknown ids are
  // ignored. Returns the responder that held the case's offer, if any (the
  // caller tells it the offer was withdrawn).
  virtual std::optional<ResponderId> CloseCase(const CaseId& id) = 0;

  // --- Second crews ---

  // The assigned case's crew stalled: look for a second responder (offered
  // at the next Step(), or as soon as one is eligible). NOT_FOUND for an
  // unknown case; FAILED_PRECONDITION if the case is not assigned, or
  // already has a second crew or a search for one.
  virtual absl::Status SeekSecond(const CaseId& id) = 0;

  // For a restart: the assigned case's second crew, `responder` (registered
  // if unknown, marked busy with the case). FAILED_PRECONDITION if the case
  // is not assigned, already has a second crew or a search for one, or the
  // responder holds another offer or case. NOT_FOUND for an unknown case.
  virtual absl::Status AddSecondAssigned(const CaseId& id, const ResponderId& responder) = 0;

  // An operator keeps `responder` on the case: with two crews, the other is
  // freed and returned (and `responder` becomes the case's crew); with one,
  // a search for a second ends (its pending offer ends: kOfferEnded,
  // kWithdrawn, at the next Step()) and nullopt is returned. NOT_FOUND for an
  // unknown case; FAILED_PRECONDITION if `responder` is not assigned to the
  // case, or the case has one crew and no search.
  virtual absl::StatusOr<std::optional<ResponderId>> KeepResponder(
      const CaseId& id, const ResponderId& responder) = 0;

  // --- Operators ---

  // An operator took the case: the engine stops matching it (no offers, no
  // escalation, no redispatch) until Release(). A pending offer ends
  // (kOfferEnded, kWithdrawn, at the next Step(); kExpired if it had already
  // lapsed). OK if already held. NOT_FOUND for an unknown case;
  // FAILED_PRECONDITION if the case is assigned.
  virtual absl::Status Hold(const CaseId& id) = 0;

  // The operator hands the case back: it is matched again at the next Step()
  // (kOffer, or kEscalate if nobody is eligible), skipping responders already
  // tried (a responder whose offer was withdrawn by Hold was not: it never
  // said no). NOT_FOUND for an unknown case; FAILED_PRECONDITION if not held.
  virtual absl::Status Release(const CaseId& id) = 0;

  // Operator override: assigns the case to `responder` now, whatever its
  // distance, position age, connection or capability. The responder must be
  // on duty and either free or holding this case's offer; a pending offer of
  // the case to another responder ends (kOfferEnded, kWithdrawn, at the next
  // Step()). A held case stops being held. Returns the assignment (as
  // Accept() does). NOT_FOUND for an unknown case; FAILED_PRECONDITION if the
  // case is already assigned, or the responder is unknown, off duty, or holds
  // another offer or case.
  virtual absl::StatusOr<Assignment> AssignManually(const CaseId& case_id,
                                                    const ResponderId& responder) = 0;

  // --- Decisions ---

  // Applies time (lapsed offers) and matching at Clock::Now(), and returns
  // what changed, in the order the caller must commit it.
  virtual std::vector<Decision> Step() = 0;

  // The earliest time at which Step() would decide something without any new
  // input (the next offer expiry), if any.
  virtual std::optional<absl::Time> NextDeadline() const = 0;

  // --- Views ---

  // Every known responder, ordered by id.
  virtual std::vector<ResponderView> Responders() const = 0;
  // One responder; nullopt if unknown.
  virtual std::optional<ResponderView> GetResponder(const ResponderId& id) const = 0;
};

}  // namespace mayday::dispatch

#endif  // MAYDAY_DISPATCH_ENGINE_H_
