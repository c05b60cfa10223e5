// The member's WatchCrew stream; see watch_crew.h.
#include "services/watch_crew.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/names.h"
#include "api/proto_time.h"
#include "cases/case_rules.h"
#include "cases/member_view.h"
#include "rpc/queued_writer.h"
#include "rpc/status.h"

namespace mayday::server {
namespace {

using mayday::v1::CaseEvent;
using mayday::v1::CaseState;

// Positions are replaced, not queued: a phone this far behind reconnects.
constexpr size_t kMaxQueued = 64;
// How many of a case's events are read to find its assignment.
constexpr int kEventsRead = 1000;

bool Coming(CaseState state) {
  return state == mayday::v1::CASE_STATE_ASSIGNED || state == mayday::v1::CASE_STATE_EN_ROUTE;
}

// The crew is there, or the case is over: nothing more to show.
bool Over(CaseState state) { return state == mayday::v1::CASE_STATE_ON_SCENE || IsTerminal(state); }

// Metres per second from an assignment's distance and ETA; nullopt if it
// has none (a care agent's assignment of a crew without a position).
std::optional<double> SpeedOf(const CaseEvent::Assigned& assigned) {
  if (assigned.eta_seconds() <= 0 || !(assigned.distance_meters() > 0)) return std::nullopt;
  return assigned.distance_meters() / assigned.eta_seconds();
}

class WatchCrewReactor : public QueuedWriter<mayday::v1::CrewPosition>,
                         public EventSink,
                         public CrewListener,
                         public CappedStream {
 public:
  WatchCrewReactor(const ServiceContext& services, grpc::CallbackServerContext* context,
                   const mayday::v1::WatchCrewRequest& request, const absl::Status& here,
                   CrewWatcher watcher)
      : QueuedWriter(kMaxQueued),
        hub_(services.hub),
        crews_(services.crews),
        streams_(services.streams),
        clock_(services.clock),
        desk_(watcher == CrewWatcher::kDesk) {
    absl::Status status = Begin(services, *context, request, here);
    if (!status.ok()) End(ToGrpcStatus(status));
  }

  // A committed event of the case (the hub's lock held).
  void Deliver(const CaseEvent& stored) override {
    std::optional<CrewFix> fix;
    bool crew_changed = false;
    {
      absl::MutexLock lock(&mu_);
      if (!ready_) {
        held_.push_back(stored);  // applied once the caller is known to own the case
        return;
      }
      ApplyLocked(stored, fix, crew_changed);
    }
    Follow(crew_changed, fix);
  }

  void CrewMoved(const CrewFix& fix) override {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    if (ended_ || crew_.empty() || !Coming(state_)) return;
    if (updates_.Moved(fix, now)) SendLocked(now);
  }

  void Tick(absl::Time now) override {
    absl::MutexLock lock(&mu_);
    if (ended_ || crew_.empty() || !Coming(state_)) return;
    if (updates_.Quiet(now)) SendLocked(now);
  }

  void Evict(absl::Status status) override { EndNow(ToGrpcStatus(status)); }

 private:
  absl::Status Begin(const ServiceContext& services, const grpc::CallbackServerContext& context,
                     const mayday::v1::WatchCrewRequest& request, const absl::Status& here) {
    auto principal = services.auth->Require(context, desk_ ? Role::kOperator : Role::kMember);
    if (!principal.ok()) return principal.status();
    if (!here.ok()) return here;
    auto id = ParseCaseName("name", request.name());
    if (!id.ok()) return id.status();
    // An agent's count with its WatchCases feeds; a member's by themselves.
    stream_owner_ = absl::StrCat(desk_ ? "WatchCases " : "WatchCrew ", principal->Name());
    streams_->Open(stream_owner_,
                   desk_ ? services.stream_caps.watch_cases_per_operator
                         : services.stream_caps.watch_case_per_member,
                   this, "WatchCrew", principal->Name());
    session_.Open(services.sessions, *principal, this);
    case_name_ = request.name();
    crews_->Add(this);
    listening_ = true;
    hub_->SubscribeCase(case_name_, this);  // before the read: no change is missed
    subscribed_ = true;

    auto snapshot = services.store->GetCase(*id);
    if (absl::IsNotFound(snapshot.status()) ||
        (snapshot.ok() && !desk_ && !MemberReads(*snapshot, principal->Name()))) {
      return absl::NotFoundError(absl::StrCat(request.name(), " not found"));
    }
    if (!snapshot.ok()) return snapshot.status();
    const mayday::v1::Case view = desk_ ? *snapshot : MemberView(*snapshot);
    const double fallback = crews_->FallbackSpeed(view.kind());
    double speed = fallback;
    std::optional<CrewFix> fix;
    if (Coming(view.state())) {
      // The assignment's speed (distance over ETA), as dispatch reckoned it.
      auto events = services.store->ListEvents(*id, 0, kEventsRead);
      if (!events.ok()) return events.status();
      for (auto it = events->rbegin(); it != events->rend(); ++it) {
        if (!it->has_assigned()) continue;
        speed = SpeedOf(it->assigned()).value_or(fallback);
        break;
      }
      // Where the crew is now, as dispatch last applied it.
      std::optional<mayday::v1::Location> where =
          services.dispatcher->ResponderLocation(ResponderIdFromName(view.responder()));
      if (where.has_value()) {
        // Its fix time, but never later than now (a device clock may run up
        // to a minute ahead): a later report must not count as older.
        const absl::Time now = clock_->Now();
        fix = CrewFix{
            *where, where->has_fix_time() ? std::min(FromProtoTime(where->fix_time()), now) : now};
      }
    }
    bool crew_changed = false;
    std::vector<std::pair<bool, std::optional<CrewFix>>> follow;
    {
      absl::MutexLock lock(&mu_);
      fallback_speed_ = fallback;
      speed_ = speed;
      seen_ = view.last_sequence();
      state_ = view.state();
      member_location_ = view.location();
      if (Over(state_)) {
        EndLocked();
        return absl::OkStatus();
      }
      if (Coming(state_)) {
        crew_ = ResponderIdFromName(view.responder());
        crew_changed = true;
      }
      follow.emplace_back(crew_changed, fix);
      ready_ = true;
      for (const CaseEvent& event : held_) {
        std::optional<CrewFix> moved;
        bool changed = false;
        ApplyLocked(event, moved, changed);
        follow.emplace_back(changed, moved);
      }
      held_.clear();
    }
    for (const auto& [changed, moved] : follow) Follow(changed, moved);
    SendHeaders();
    return absl::OkStatus();
  }

  // Applies `stored` (as the member reads it) unless it is not newer than
  // what was applied: `crew_changed` if another crew (or none) is coming
  // now, `fix` if the event says where the crew is.
  void ApplyLocked(const CaseEvent& stored, std::optional<CrewFix>& fix, bool& crew_changed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const CaseEvent& event = desk_ ? stored : MemberEvent(stored);
    if (ended_ || event.sequence() <= seen_) return;
    seen_ = event.sequence();
    if (event.has_location_updated()) member_location_ = event.location_updated().location();
    state_ = event.state();
    if (Over(state_)) {
      EndLocked();
      return;
    }
    if (event.has_crew_kept() && Coming(state_) &&
        ResponderIdFromName(event.crew_kept().responder()) != crew_) {
      // The care desk kept the second crew: it is the one coming now (its
      // speed at acceptance is not in this event: the usual one).
      speed_ = fallback_speed_;
      crew_ = ResponderIdFromName(event.crew_kept().responder());
      updates_.Reset();
      crew_changed = true;
    } else if (event.has_assigned() && event.assigned().second_crew()) {
      // A second crew: the stream follows the case's crew until the desk
      // keeps one.
    } else if (event.has_assigned()) {
      speed_ = SpeedOf(event.assigned()).value_or(fallback_speed_);
      crew_ = ResponderIdFromName(event.assigned().responder());
      updates_.Reset();
      crew_changed = true;
      if (event.assigned().has_responder_location()) {
        fix = CrewFix{event.assigned().responder_location(), FromProtoTime(event.event_time())};
      }
    } else if (!Coming(state_) && !crew_.empty()) {
      crew_.clear();  // taken off the case: wait for the next crew
      updates_.Reset();
      crew_changed = true;
    }
    // (A Progressed event's crew location is dispatch's last applied one,
    // older than the reports this stream has: not used.)
  }

  // Outside mu_ (the watch calls this stream back under its own lock):
  // points the watch at the crew now coming, then applies `fix`.
  void Follow(bool crew_changed, const std::optional<CrewFix>& fix) {
    while (crew_changed) {
      std::string want;
      {
        absl::MutexLock lock(&mu_);
        want = crew_;
      }
      crews_->Watch(this, want);
      absl::MutexLock lock(&mu_);
      crew_changed = crew_ != want;  // changed again meanwhile: follow that
    }
    if (fix.has_value()) CrewMoved(*fix);
  }

  void SendLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const CrewFix& fix = *updates_.latest();
    mayday::v1::CrewPosition position;
    position.set_case_(case_name_);
    position.set_state(state_);
    *position.mutable_location() = fix.location;
    const double meters = DistanceMeters(fix.location, member_location_);
    position.set_distance_meters(meters);
    const double seconds = std::ceil(meters / speed_);
    position.set_eta_seconds(seconds < std::numeric_limits<int32_t>::max()
                                 ? static_cast<int32_t>(seconds)
                                 : std::numeric_limits<int32_t>::max());
    *position.mutable_report_time() = ToProtoTime(fix.report_time);
    Push(std::move(position));
    updates_.Sent(now);
  }

  void EndLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    ended_ = true;
    End(grpc::Status::OK);
  }

  void OnStreamDone() override {
    if (subscribed_) hub_->UnsubscribeCase(case_name_, this);
    if (listening_) crews_->Remove(this);
    if (!stream_owner_.empty()) streams_->Close(stream_owner_, this);
    session_.Close();
  }

  EventHub* const hub_;
  CrewWatch* const crews_;
  StreamCaps* const streams_;
  const base::Clock* const clock_;
  const bool desk_;           // the desk's stream: any case, as stored
  std::string stream_owner_;  // set once, in the constructor
  TokenSessions::Ticket session_;
  std::string case_name_;
  bool listening_ = false;   // set once, in the constructor
  bool subscribed_ = false;  // set once, in the constructor
  absl::Mutex mu_;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  // The caller owns the case and its snapshot was applied; until then
  // events are held.
  bool ready_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<CaseEvent> held_ ABSL_GUARDED_BY(mu_);
  int64_t seen_ ABSL_GUARDED_BY(mu_) = 0;  // the last event applied
  CaseState state_ ABSL_GUARDED_BY(mu_) = mayday::v1::CASE_STATE_UNSPECIFIED;
  mayday::v1::Location member_location_ ABSL_GUARDED_BY(mu_);
  std::string crew_ ABSL_GUARDED_BY(mu_);  // the responder id coming; empty: none
  double fallback_speed_ ABSL_GUARDED_BY(mu_) = 1;
  double speed_ ABSL_GUARDED_BY(mu_) = 1;  // metres per second, for the ETA
  CrewUpdates updates_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

grpc::ServerWriteReactor<mayday::v1::CrewPosition>* StartWatchCrew(
    const ServiceContext& services, grpc::CallbackServerContext* context,
    const mayday::v1::WatchCrewRequest& request, const absl::Status& here, CrewWatcher watcher) {
  return new WatchCrewReactor(services, context, request, here, watcher);
}

}  // namespace mayday::server
