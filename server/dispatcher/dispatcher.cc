// The server's side of dispatch; see dispatcher.h.
#include "dispatcher/dispatcher.h"

#include <pthread.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "cases/case_rules.h"
#include "cases/proto_time.h"
#include "dispatcher/mapping.h"

namespace mayday::server {
namespace {

using mayday::v1::CaseEvent;

constexpr char kDispatchActor[] = "dispatch";

}  // namespace

Dispatcher::Dispatcher(std::unique_ptr<dispatch::Engine> engine, CaseLog* log, Store* store,
                       ResponderStreams* streams, const base::Clock* clock,
                       WatchdogOptions watchdog, CoalescingOptions coalescing)
    : log_(log),
      store_(store),
      streams_(streams),
      clock_(clock),
      coalescer_(coalescing),
      coalescing_interval_(coalescing.enabled() ? coalescing.interval : absl::Seconds(1)),
      engine_(std::move(engine)),
      watchdog_(log, clock, watchdog) {}

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
  watchdog_.Start();
  return absl::OkStatus();
}

void Dispatcher::Stop() {
  ResumeForTesting();
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  Poke();
  if (dispatch_thread_.joinable()) dispatch_thread_.join();
  watchdog_.Stop();
}

void Dispatcher::StallForTesting() {
  absl::MutexLock lock(&stall_mu_);
  stall_asked_ = true;
  Poke();
  stall_mu_.Await(absl::Condition(&stalled_));
}

void Dispatcher::ResumeForTesting() {
  absl::MutexLock lock(&stall_mu_);
  stall_asked_ = false;
}

void Dispatcher::FailCommitsForTesting(bool fail) { fail_commits_for_testing_ = fail; }

void Dispatcher::WaitWhileStalledLocked() {
  absl::MutexLock lock(&stall_mu_);
  if (!stall_asked_) return;
  stalled_ = true;
  stall_mu_.Await(absl::Condition(
      +[](Dispatcher* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->stall_mu_) {
        return !self->stall_asked_;
      },
      this));
  stalled_ = false;
}

absl::Status Dispatcher::RestoreLocked() {
  const absl::Time start = clock_->Now();
  auto open = store_->ListOpenCases();
  if (!open.ok()) return open.status();
  // Offers left unanswered when the server stopped: (case id, responder).
  std::vector<std::pair<std::string, std::string>> lapsed;
  for (const OpenCase& open_case : *open) {
    const mayday::v1::Case& c = open_case.snapshot;
    const std::string id = CaseIdFromName(c.name());
    const auto raised = FromProtoTime(c.create_time());
    if (IsAssigned(c.state())) {
      auto s = engine_->AddAssignedCase(id, ToEngineKind(c.kind()), ToGeoPoint(c.location()),
                                        raised, ResponderIdFromName(c.responder()));
      if (!s.ok()) return s;
      continue;
    }
    // The timeline says whom the case was offered to (never again), and
    // whether an offer was left unanswered when the server stopped: that
    // offer is over, and is recorded as lapsed.
    std::vector<dispatch::ResponderId> tried;
    std::string open_offer;
    for (const CaseEvent& e : open_case.events) {
      if (e.has_offered()) {
        open_offer = e.offered().responder();
        tried.push_back(ResponderIdFromName(open_offer));
      }
      // An offer a care agent withdrew does not count as tried.
      if (e.has_offer_ended() &&
          e.offer_ended().reason() == CaseEvent::OfferEnded::REASON_WITHDRAWN) {
        std::erase(tried, ResponderIdFromName(e.offer_ended().responder()));
      }
      if (e.has_offer_ended() || e.has_assigned()) open_offer.clear();
    }
    if (!open_offer.empty()) {
      lapsed.emplace_back(id, std::move(open_offer));
    }
    const dispatch::CaseKind kind = ToEngineKind(c.kind());
    const dispatch::GeoPoint where = ToGeoPoint(c.location());
    auto s = c.state() == mayday::v1::CASE_STATE_ESCALATED
                 ? engine_->AddEscalatedCase(id, kind, where, raised, tried)
                 : engine_->AddCase(id, kind, where, raised, tried);
    // A case a care agent owns stays out of automatic matching.
    if (s.ok() && !c.operator_().empty()) s = engine_->Hold(id);
    if (!s.ok()) return s;
  }
  // The crews of the cases taken back may report before their SetDuty.
  for (const dispatch::ResponderView& view : engine_->Responders()) {
    coalescer_.Registered(view.id);
  }
  // Record the lapsed offers, all in one group commit.
  absl::BlockingCounter recorded(static_cast<int>(lapsed.size()));
  absl::Status first_error;
  absl::Mutex error_mu;
  for (auto& [id, responder] : lapsed) {
    log_->AppendAsync(
        id, kDispatchActor,
        [responder = responder](const mayday::v1::Case&, mayday::v1::Case&, CaseEvent& e) {
          auto* end = e.mutable_offer_ended();
          end->set_responder(responder);
          end->set_reason(CaseEvent::OfferEnded::REASON_EXPIRED);
          return absl::OkStatus();
        },
        [&](absl::StatusOr<CommittedChange> ended) {
          if (!ended.ok()) {
            absl::MutexLock lock(&error_mu);
            if (first_error.ok()) first_error = ended.status();
          }
          recorded.DecrementCount();
        });
  }
  recorded.Wait();
  if (!open->empty()) {
    std::fprintf(stderr, "maydayd: dispatch took back %zu open cases in %.2f s\n", open->size(),
                 absl::ToDoubleSeconds(clock_->Now() - start));
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
  OpenedCase opened{CaseIdFromName(snapshot.name()), ToEngineKind(snapshot.kind()),
                    ToGeoPoint(snapshot.location()), FromProtoTime(snapshot.create_time())};
  watchdog_.Acknowledged(opened.id);
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
    // escalates it.
    if (s.ok()) watchdog_.Taken(c.id);
    if (!s.ok()) {
      std::fprintf(stderr, "maydayd: dispatch could not take cases/%s: %s\n", c.id.c_str(),
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
  // Whoever holds the case hears of the change.
  std::string holder = ResponderIdFromName(c.responder());
  if (auto it = offer_holder_by_case_.find(id); it != offer_holder_by_case_.end()) {
    holder = it->second;
  }
  if (IsTerminal(c.state())) {
    watchdog_.Forget(id);
    if (auto offered = engine_->CloseCase(id); offered.has_value()) {
      mayday::v1::ResponderUpdate withdrawn;
      withdrawn.set_offer_withdrawn(c.name());
      streams_->Send(*offered, std::move(withdrawn));
      ForgetOfferLocked(id);
      holder.clear();
    }
    // The crew is free: its held reports no longer belong to the case's track.
    if (!c.responder().empty()) coalescer_.SetCase(ResponderIdFromName(c.responder()), "");
  } else if (change.event.has_location_updated()) {
    if (auto s = engine_->MoveCase(id, ToGeoPoint(c.location())); !s.ok()) {
      std::fprintf(stderr, "maydayd: dispatch could not move %s: %s\n", c.name().c_str(),
                   s.ToString().c_str());
    }
  }
  // A rating comes after the case closed (the only change the rules allow
  // then): the crew's part ended with the closing event it was told of, and
  // the member's words are no longer its business.
  if (change.event.has_rated()) holder.clear();
  if (!holder.empty()) {
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
  return ToProto(*view);
}

absl::StatusOr<std::string> Dispatcher::ReportPosition(const std::string& responder_id,
                                                       const mayday::v1::Location& location) {
  const absl::Time now = clock_->Now();
  const absl::Time fix_time = location.has_fix_time() ? FromProtoTime(location.fix_time()) : now;
  // Never mu_ here: the dispatch thread applies the report.
  PositionCoalescer::Verdict verdict = coalescer_.Offer(responder_id, location, fix_time, now);
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
  return verdict.on_case;
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
      std::fprintf(stderr, "maydayd: a held position of responders/%s was refused: %s\n",
                   held.responder_id.c_str(), s.ToString().c_str());
    }
  }
}

void Dispatcher::Connect(const std::string& responder_id, ResponderChannel* channel) {
  absl::MutexLock lock(&mu_);
  DrainInboxLocked();
  streams_->Attach(responder_id, channel);
  engine_->ResponderConnected(responder_id);
  if (auto it = offers_by_responder_.find(responder_id); it != offers_by_responder_.end()) {
    mayday::v1::ResponderUpdate update;
    *update.mutable_offer() = it->second;
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
  ForgetOfferLocked(case_id);
  return CommitAssignmentLocked(*assignment, ResponderName(responder_id));
}

absl::StatusOr<mayday::v1::Case> Dispatcher::CommitAssignmentLocked(
    const dispatch::Assignment& assignment, const std::string& actor, const AuditEntry* audit) {
  const std::string& case_id = assignment.case_id;
  const std::string responder = ResponderName(assignment.responder_id);
  const std::optional<dispatch::ResponderView> view =
      engine_->GetResponder(assignment.responder_id);
  const auto assign =
      [&](const mayday::v1::Case& current, mayday::v1::Case& next, CaseEvent& e) {
        if (IsTerminal(current.state()) || IsAssigned(current.state())) {
          return absl::FailedPreconditionError(
              absl::StrCat(current.name(), " is ", StateName(current.state()),
                           " and can no longer be assigned"));
        }
        const int eta = assignment.eta == absl::InfiniteDuration()
                            ? 0
                            : static_cast<int>(absl::ToInt64Seconds(assignment.eta));
        next.set_state(mayday::v1::CASE_STATE_ASSIGNED);
        next.set_responder(responder);
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
  auto committed = audit == nullptr ? log_->Append(case_id, actor, assign)
                                    : log_->Append(case_id, actor, assign, *audit);
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
  for (const auto& view : engine_->Responders()) out.push_back(ToProto(view));
  return out;
}

std::optional<mayday::v1::Responder> Dispatcher::GetResponder(
    const std::string& responder_id) const {
  absl::MutexLock lock(&mu_);
  ApplyHeldPositionsLocked();
  auto view = engine_->GetResponder(responder_id);
  if (!view.has_value()) return std::nullopt;
  return ToProto(*view);
}

std::optional<mayday::v1::Location> Dispatcher::ResponderLocation(
    const std::string& responder_id) const {
  absl::MutexLock lock(&mu_);
  ApplyHeldPositionsLocked();
  auto view = engine_->GetResponder(responder_id);
  if (!view.has_value() || !view->position.has_value()) return std::nullopt;
  return ToLocation(*view);
}

mayday::v1::Responder Dispatcher::ToProto(const dispatch::ResponderView& view) const {
  mayday::v1::Responder r;
  r.set_name(ResponderName(view.id));
  switch (view.status) {
    case dispatch::ResponderView::Status::kOffDuty:
      r.set_status(mayday::v1::Responder::STATUS_OFF_DUTY);
      break;
    case dispatch::ResponderView::Status::kAvailable:
      r.set_status(mayday::v1::Responder::STATUS_AVAILABLE);
      break;
    case dispatch::ResponderView::Status::kOffered:
      r.set_status(mayday::v1::Responder::STATUS_OFFERED);
      break;
    case dispatch::ResponderView::Status::kBusy:
      r.set_status(mayday::v1::Responder::STATUS_BUSY);
      break;
  }
  for (auto c : view.capabilities) r.add_capabilities(ToProtoCapability(c));
  if (view.position.has_value()) {
    *r.mutable_location() = ToLocation(view);
    *r.mutable_location_time() = ToProtoTime(view.position_time);
  }
  if (!view.current_case.empty()) r.set_current_case(absl::StrCat("cases/", view.current_case));
  return r;
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
    std::fprintf(stderr, "maydayd: cases/%s could not go back to matching: %s\n",
                 case_id.c_str(), s.ToString().c_str());
  }
}

void Dispatcher::ForgetOfferLocked(const std::string& case_id) {
  auto it = offer_holder_by_case_.find(case_id);
  if (it == offer_holder_by_case_.end()) return;
  offers_by_responder_.erase(it->second);
  offer_holder_by_case_.erase(it);
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
    WaitWhileStalledLocked();
    DrainInboxLocked();
    RunLocked();
    // Its own poke: the next wait is computed at the top of the loop. (Other
    // threads poke while holding mu_, so none is lost here, except
    // ReportPosition's, which the coalescer's NextDue stands for.)
    absl::MutexLock inbox_lock(&inbox_mu_);
    poked_ = false;
  }
}

}  // namespace mayday::server
