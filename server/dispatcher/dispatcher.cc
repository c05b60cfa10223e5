// The server's side of dispatch; see dispatcher.h.
#include "dispatcher/dispatcher.h"

#include <pthread.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "api/device_time.h"
#include "api/names.h"
#include "api/proto_time.h"
#include "cases/case_rules.h"
#include "dispatcher/decision_events.h"
#include "dispatcher/mapping.h"
#include "dispatcher/restore.h"
#include "log/log.h"

namespace mayday::server {
namespace {

using mayday::v1::CaseEvent;

}  // namespace

Dispatcher::Dispatcher(std::unique_ptr<dispatch::Engine> engine, CaseWriter* writer, Store* store,
                       ResponderStreams* streams, DispatchWatchdog* watchdog,
                       const base::Clock* clock, CoalescingOptions coalescing,
                       absl::Duration max_fix_age, Metrics* metrics, DispatchWatchOptions watch)
    : writer_(writer),
      store_(store),
      streams_(streams),
      clock_(clock),
      coalescer_(coalescing),
      coalescing_interval_(coalescing.enabled() ? coalescing.interval : absl::Seconds(1)),
      max_fix_age_(max_fix_age),
      engine_(std::move(engine)),
      watchdog_(watchdog),
      metrics_(metrics),
      fix_limits_(watch.fixes),
      second_crew_(watch.second_crew),
      stalls_(watch.stalls) {}

Dispatcher::~Dispatcher() { Stop(); }

absl::Status Dispatcher::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (auto s = RestoreLocked(); !s.ok()) return s;
  }
  dispatch_thread_ = std::thread([this] { DispatchLoop(); });
  // The restored cases' first round runs there, while the server already
  // takes calls.
  Poke();
  return absl::OkStatus();
}

void Dispatcher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  Poke();
  if (dispatch_thread_.joinable()) dispatch_thread_.join();
}

absl::Status Dispatcher::RestoreLocked() {
  const absl::Time start = clock_->Now();
  auto restored = RestoreOpenCases(*store_, *engine_);
  if (!restored.ok()) return restored.status();
  // The crews of the cases taken back may report before their SetDuty.
  for (const dispatch::ResponderView& view : engine_->Responders()) {
    coalescer_.Registered(view.id);
  }
  // Record the lapsed offers, all in one group commit.
  absl::BlockingCounter recorded(static_cast<int>(restored->lapsed.size()));
  absl::Status first_error;
  absl::Mutex error_mu;
  for (LapsedOffer& lapsed : restored->lapsed) {
    writer_->AppendAsync(
        lapsed.case_id, kDispatchActor,
        [responder = std::move(lapsed.responder), second = lapsed.second_crew](
            const mayday::v1::Case&, mayday::v1::Case&, CaseEvent& e) {
          auto* end = e.mutable_offer_ended();
          end->set_responder(responder);
          end->set_reason(CaseEvent::OfferEnded::REASON_EXPIRED);
          end->set_second_crew(second);
          return absl::OkStatus();
        },
        [&](absl::StatusOr<CommittedChange> ended) {
          if (!ended.ok()) {
            absl::MutexLock lock(&error_mu);
            if (first_error.ok()) first_error = ended.status();
          }
          recorded.DecrementCount();
        },
        std::nullopt);
  }
  recorded.Wait();
  WatchRestoredLocked(restored->on_the_way);
  if (restored->open_cases > 0) {
    LogInfo("dispatch_restored", "dispatch took back %zu open cases in %.2f s",
            restored->open_cases, absl::ToDoubleSeconds(clock_->Now() - start));
  }
  return first_error;
}

void Dispatcher::Settle() {
  absl::MutexLock lock(&mu_);
  DrainInboxLocked();
  ApplyHeldPositionsLocked();
  RunLocked();
}

void Dispatcher::CaseOpened(const mayday::v1::Case& snapshot) {
  const absl::Time created = FromProtoTime(snapshot.create_time());
  OpenedCase opened{CaseIdFromName(snapshot.name()), ToEngineKind(snapshot.kind()),
                    ToGeoPoint(snapshot.location()), created, std::nullopt};
  if (FixRequestFor(snapshot.location(), created, fix_limits_).has_value()) {
    opened.poor_fix = snapshot.location();
  }
  watchdog_->Acknowledged(opened.id);
  absl::MutexLock lock(&inbox_mu_);
  inbox_.push_back(std::move(opened));
}

void Dispatcher::DrainInboxLocked() {
  std::vector<OpenedCase> opened;
  {
    absl::MutexLock lock(&inbox_mu_);
    opened.swap(inbox_);
  }
  // Whoever drained runs the engine next, or the dispatch thread does soon:
  // an entry point that returns early must not leave the cases waiting.
  if (!opened.empty()) Poke();
  for (const OpenedCase& c : opened) {
    auto s = engine_->AddCase(c.id, c.kind, c.where, c.created);
    // A case the engine could not take stays watched: the watchdog
    // escalates it. One it already has (restored, then heard of again from
    // the store's commits) is where it should be.
    if (absl::IsAlreadyExists(s)) s = absl::OkStatus();
    if (s.ok()) watchdog_->Taken(c.id);
    if (c.poor_fix.has_value()) FixArrivedLocked(c.id, *c.poor_fix, c.created);
    if (!s.ok()) {
      LogWarning("dispatch_restore_failed", "dispatch could not take cases/%s: %s", c.id.c_str(),
                 s.ToString().c_str());
    }
  }
}

void Dispatcher::Poke() {
  absl::MutexLock lock(&inbox_mu_);
  poked_ = true;
}

void Dispatcher::CaseChanged(const CommittedChange& change) {
  const mayday::v1::Case& c = change.snapshot;
  const std::string id = CaseIdFromName(c.name());
  absl::MutexLock lock(&mu_);
  DrainInboxLocked();
  // Whoever holds the case hears of the change: the crew, a second crew,
  // the holder of an offer (for the case, or for a second crew).
  std::vector<std::string> holders;
  for (const std::string& crew : {c.responder(), c.second_responder()}) {
    if (!crew.empty()) holders.push_back(ResponderIdFromName(crew));
  }
  if (std::string offered = offers_.Holder(id); !offered.empty()) holders.push_back(offered);
  if (IsTerminal(c.state())) {
    watchdog_->Forget(id);
    if (auto offered = engine_->CloseCase(id); offered.has_value()) {
      mayday::v1::ResponderUpdate withdrawn;
      withdrawn.set_offer_withdrawn(c.name());
      streams_->Send(*offered, std::move(withdrawn));
      offers_.Forget(id);
      std::erase(holders, *offered);
    }
    // The crews are free: their held reports no longer belong to the case's track.
    for (const std::string& crew : {c.responder(), c.second_responder()}) {
      if (!crew.empty()) coalescer_.SetCase(ResponderIdFromName(crew), "");
    }
  } else if (c.state() == mayday::v1::CASE_STATE_ON_SCENE && change.event.has_progressed()) {
    // Help is there: a second crew is no longer sought (one that accepted
    // stays until an agent chooses).
    EndSecondSearchLocked(id);
  } else if (change.event.has_location_updated()) {
    if (auto s = engine_->MoveCase(id, ToGeoPoint(c.location())); !s.ok()) {
      LogWarning("dispatch_error", "dispatch could not move %s: %s", c.name().c_str(),
                 s.ToString().c_str());
    }
  }
  // A rating comes after the case closed (the only change the rules allow
  // then): the crew's part ended with the closing event it was told of, and
  // the member's words are no longer its business.
  if (change.event.has_rated()) holders.clear();
  StallsHearLocked(change);
  if (IsTerminal(c.state()) || c.state() == mayday::v1::CASE_STATE_ON_SCENE) {
    pending_fixes_.erase(id);
  } else if (change.event.has_location_updated()) {
    FixArrivedLocked(id, c.location(), FromProtoTime(change.event.event_time()));
  }
  for (const std::string& holder : holders) {
    mayday::v1::ResponderUpdate update;
    *update.mutable_case_event() = change.event;
    streams_->Send(holder, std::move(update));
  }
  RunLocked();
}

absl::StatusOr<mayday::v1::Responder> Dispatcher::SetDuty(
    const std::string& responder_id, bool on_duty,
    const std::vector<mayday::v1::Capability>& capabilities) {
  std::vector<dispatch::Capability> engine_capabilities;
  for (auto c : capabilities) {
    auto mapped = ToEngineCapability(c);
    if (std::find(engine_capabilities.begin(), engine_capabilities.end(), mapped) ==
        engine_capabilities.end()) {
      engine_capabilities.push_back(mapped);
    }
  }
  absl::MutexLock lock(&mu_);
  if (auto s = engine_->SetDuty(responder_id, on_duty, engine_capabilities); !s.ok()) return s;
  // Coming on (or off) duty: the crew's next report is urgent.
  coalescer_.Registered(responder_id);
  RunLocked();
  auto view = engine_->GetResponder(responder_id);
  if (!view.has_value()) return absl::InternalError("responder vanished after SetDuty");
  return ResponderToProto(*view);
}

void Dispatcher::Withdraw(const std::string& responder_id) {
  absl::MutexLock lock(&mu_);
  const auto view = engine_->GetResponder(responder_id);
  if (!view.has_value() || view->status == dispatch::ResponderView::Status::kOffDuty) return;
  if (view->status == dispatch::ResponderView::Status::kBusy) {
    LogWarning("token_revoked",
               "responders/%s lost its token while assigned to cases/%s; the case "
               "stays assigned: reassign it from the desk if needed",
               responder_id.c_str(), view->current_case.c_str());
    return;
  }
  if (auto s = engine_->SetDuty(responder_id, /*on_duty=*/false, {}); !s.ok()) {
    LogWarning("dispatch_error", "could not take responders/%s off duty: %s", responder_id.c_str(),
               s.ToString().c_str());
    return;
  }
  RunLocked();
}

absl::StatusOr<Dispatcher::PositionReceipt> Dispatcher::ReportPosition(
    const std::string& responder_id, const mayday::v1::Location& location) {
  const absl::Time now = clock_->Now();
  const BoundedFix fix = BoundFixTime(location, now, max_fix_age_);
  // Never mu_ here: the dispatch thread applies the report.
  PositionCoalescer::Verdict verdict = coalescer_.Offer(responder_id, location, fix.time, now);
  if (metrics_ != nullptr) {
    using Route = Metrics::PositionRoute;
    metrics_->PositionReport(verdict.route == PositionCoalescer::Route::kUnregistered
                                 ? Route::kRefused
                             : verdict.route == PositionCoalescer::Route::kUrgent ? Route::kUrgent
                                                                                  : Route::kHeld,
                             verdict.merged);
  }
  switch (verdict.route) {
    case PositionCoalescer::Route::kUnregistered:
      return absl::FailedPreconditionError(
          "call SetDuty before reporting positions: the responder is not registered yet");
    case PositionCoalescer::Route::kUrgent:
      Poke();
      break;
    case PositionCoalescer::Route::kHeld:
      break;
  }
  return PositionReceipt{std::move(verdict.on_case), fix.device_clock_offset};
}

absl::Status Dispatcher::ApplyPositionLocked(const std::string& responder_id,
                                             const mayday::v1::Location& location,
                                             absl::Time fix_time) const {
  if (auto s = engine_->UpdatePosition(responder_id, ToGeoPoint(location), fix_time); !s.ok()) {
    return s;
  }
  auto view = engine_->GetResponder(responder_id);
  const bool busy = view.has_value() && view->status == dispatch::ResponderView::Status::kBusy;
  coalescer_.Applied(responder_id, location, fix_time, busy ? view->current_case : "");
  if (busy) stalls_.Position(responder_id, ToGeoPoint(location), fix_time);
  return absl::OkStatus();
}

void Dispatcher::ApplyHeldPositionsLocked(bool only_if_due) const {
  if (only_if_due) {
    const auto due = coalescer_.NextDue();
    if (!due.has_value() || *due > clock_->Now()) return;
  }
  for (const HeldPosition& held : coalescer_.TakeHeld()) {
    // Validated when it arrived, of a responder the engine knows (it had a
    // report applied before): nothing to report if the engine refuses.
    if (auto s = ApplyPositionLocked(held.responder_id, held.location, held.fix_time); !s.ok()) {
      LogWarning("position_refused", "a held position of responders/%s was refused: %s",
                 held.responder_id.c_str(), s.ToString().c_str());
    }
  }
}

void Dispatcher::Connect(const std::string& responder_id, ResponderChannel* channel) {
  absl::MutexLock lock(&mu_);
  DrainInboxLocked();
  streams_->Attach(responder_id, channel);
  engine_->ResponderConnected(responder_id);
  if (const mayday::v1::Offer* offer = offers_.HeldBy(responder_id); offer != nullptr) {
    mayday::v1::ResponderUpdate update;
    *update.mutable_offer() = *offer;
    channel->Send(std::move(update));
  } else if (auto view = engine_->GetResponder(responder_id);
             view.has_value() && view->status == dispatch::ResponderView::Status::kBusy &&
             !view->current_case.empty()) {
    auto c = store_->GetCase(view->current_case);
    if (c.ok()) {
      mayday::v1::ResponderUpdate update;
      *update.mutable_assignment() = *c;
      channel->Send(std::move(update));
    }
  }
  RunLocked();
}

void Dispatcher::Disconnect(const std::string& responder_id, ResponderChannel* channel) {
  absl::MutexLock lock(&mu_);
  if (!streams_->Detach(responder_id, channel)) return;  // a newer stream took over
  engine_->ResponderDisconnected(responder_id);
  RunLocked();
}

absl::StatusOr<mayday::v1::Case> Dispatcher::Accept(const std::string& responder_id,
                                                    const std::string& case_id) {
  absl::MutexLock lock(&mu_);
  DrainInboxLocked();
  auto assignment = engine_->Accept(responder_id, case_id);
  if (!assignment.ok()) return assignment.status();
  offers_.Forget(case_id);
  return CommitAssignmentLocked(*assignment, ResponderName(responder_id));
}

absl::StatusOr<mayday::v1::Case> Dispatcher::CommitAssignmentLocked(
    const dispatch::Assignment& assignment, const std::string& actor, const AuditEntry* audit) {
  if (assignment.second) return CommitSecondCrewLocked(assignment, actor);
  const std::string& case_id = assignment.case_id;
  const std::string responder = ResponderName(assignment.responder_id);
  const std::optional<dispatch::ResponderView> view =
      engine_->GetResponder(assignment.responder_id);
  const auto assign = [&](const mayday::v1::Case& current, mayday::v1::Case& next, CaseEvent& e) {
    if (IsTerminal(current.state()) || IsAssigned(current.state())) {
      return absl::FailedPreconditionError(absl::StrCat(
          current.name(), " is ", StateName(current.state()), " and can no longer be assigned"));
    }
    const int eta = assignment.eta == absl::InfiniteDuration()
                        ? 0
                        : static_cast<int>(absl::ToInt64Seconds(assignment.eta));
    next.set_state(mayday::v1::CASE_STATE_ASSIGNED);
    next.set_responder(responder);
    next.clear_stall();  // of an earlier crew
    next.set_eta_seconds(eta);
    auto* assigned = e.mutable_assigned();
    assigned->set_responder(responder);
    assigned->set_eta_seconds(eta);
    assigned->set_distance_meters(assignment.distance_meters);
    if (view.has_value() && view->position.has_value()) {
      *assigned->mutable_responder_location() = ToLocation(*view);
    }
    return absl::OkStatus();
  };
  auto committed = audit == nullptr ? writer_->Append(case_id, actor, assign)
                                    : writer_->Append(case_id, actor, assign, *audit);
  if (!committed.ok()) {
    // Free the responder. If the case closed between offer and answer, the
    // engine forgets it; if storage failed, the case is still open and goes
    // back to matching.
    engine_->CloseCase(case_id);
    const auto code = committed.status().code();
    if (code != absl::StatusCode::kFailedPrecondition && code != absl::StatusCode::kNotFound) {
      RequeueLocked(case_id);
    }
    RunLocked();
    return committed.status();
  }
  coalescer_.SetCase(assignment.responder_id, case_id);
  WatchAssignmentLocked(assignment, committed->snapshot);
  mayday::v1::ResponderUpdate update;
  *update.mutable_assignment() = committed->snapshot;
  streams_->Send(assignment.responder_id, std::move(update));
  RunLocked();
  return committed->snapshot;
}

absl::Status Dispatcher::Decline(const std::string& responder_id, const std::string& case_id) {
  absl::MutexLock lock(&mu_);
  DrainInboxLocked();
  if (auto s = engine_->Decline(responder_id, case_id); !s.ok()) return s;
  RunLocked();
  return absl::OkStatus();
}

bool Dispatcher::Holds(const std::string& responder_id, const std::string& case_id) const {
  absl::MutexLock lock(&mu_);
  auto view = engine_->GetResponder(responder_id);
  return view.has_value() && view->current_case == case_id;
}

// The reads below show held reports too: applying them is part of reading.
std::vector<mayday::v1::Responder> Dispatcher::ListResponders() const {
  absl::MutexLock lock(&mu_);
  ApplyHeldPositionsLocked();
  std::vector<mayday::v1::Responder> out;
  for (const auto& view : engine_->Responders()) out.push_back(ResponderToProto(view));
  return out;
}

std::optional<mayday::v1::Responder> Dispatcher::GetResponder(
    const std::string& responder_id) const {
  absl::MutexLock lock(&mu_);
  ApplyHeldPositionsLocked();
  auto view = engine_->GetResponder(responder_id);
  if (!view.has_value()) return std::nullopt;
  return ResponderToProto(*view);
}

std::optional<mayday::v1::Location> Dispatcher::ResponderLocation(
    const std::string& responder_id) const {
  absl::MutexLock lock(&mu_);
  ApplyHeldPositionsLocked();
  auto view = engine_->GetResponder(responder_id);
  if (!view.has_value() || !view->position.has_value()) return std::nullopt;
  return ToLocation(*view);
}

void Dispatcher::RequeueLocked(const std::string& case_id) {
  auto c = store_->GetCase(case_id);
  absl::Status s = c.status();
  if (c.ok() && !IsTerminal(c->state())) {
    s = engine_->AddCase(case_id, ToEngineKind(c->kind()), ToGeoPoint(c->location()),
                         FromProtoTime(c->create_time()));
    // A case a care agent owns stays out of automatic matching.
    if (s.ok() && !c->operator_().empty()) s = engine_->Hold(case_id);
  }
  if (!s.ok()) {
    LogWarning("dispatch_error", "cases/%s could not go back to matching: %s", case_id.c_str(),
               s.ToString().c_str());
  }
}

void Dispatcher::DispatchLoop() {
  pthread_setname_np(pthread_self(), "mayday-dispatch");
  while (true) {
    absl::Time wake_at;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      // The next offer to lapse, the held position reports' due time, and
      // never later than the coalescing interval: a report held while this
      // thread sleeps is due that long after it came, and does not wake it.
      wake_at = clock_->Now() + coalescing_interval_;
      if (const auto next = engine_->NextDeadline(); next.has_value()) {
        wake_at = std::min(wake_at, *next);
      }
      if (const auto due = coalescer_.NextDue(); due.has_value()) wake_at = std::min(wake_at, *due);
    }
    {
      absl::MutexLock lock(&inbox_mu_);
      clock_->AwaitWithDeadline(
          &inbox_mu_,
          absl::Condition(
              +[](Dispatcher* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->inbox_mu_) {
                return self->poked_ || !self->inbox_.empty();
              },
              this),
          wake_at);
      poked_ = false;
    }
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    DrainInboxLocked();
    RunLocked();
    CheckWatchesLocked();
    // Its own poke: the next wait is computed at the top of the loop. (Other
    // threads poke while holding mu_, so none is lost here, except
    // ReportPosition's, which the coalescer's NextDue stands for.)
    absl::MutexLock inbox_lock(&inbox_mu_);
    poked_ = false;
  }
}

}  // namespace mayday::server
