// OperatorService; see operator_service.h.
#include "services/operator_service.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/names.h"
#include "api/proto_time.h"
#include "cases/case_changes.h"
#include "rpc/queued_writer.h"
#include "rpc/status.h"
#include "rpc/unary.h"
#include "rpc/validation.h"
#include "services/admit.h"
#include "services/audit_trail.h"
#include "services/dispatch_relay.h"
#include "services/medical_profiles.h"
#include "services/watch_crew.h"

namespace mayday::server {
namespace {

// An operator's feed carries every event of every case; it may fall this far
// behind before it is told to reconnect.
constexpr size_t kMaxQueuedFeed = 10000;

class WatchCasesReactor : public QueuedWriter<mayday::v1::CaseEvent>,
                          public EventSink,
                          public CappedStream {
 public:
  WatchCasesReactor(const ServiceContext& services, grpc::CallbackServerContext* context)
      : QueuedWriter(kMaxQueuedFeed), hub_(services.hub), streams_(services.streams) {
    auto principal = services.auth->Require(*context, Role::kOperator);
    if (!principal.ok()) {
      End(ToGrpcStatus(principal.status()));
      return;
    }
    // The feed carries every member's cases from now on: one entry for the
    // whole stream.
    RecordRead(*services.store, AuditOf(*principal, *services.clock, "cases.watch", "cases",
                                        "live feed of every case's events"))
        .IgnoreError();  // reported by RecordRead; the feed still opens
    // A feed beyond the operator's cap ends its oldest one.
    stream_owner_ = absl::StrCat("WatchCases ", principal->Name());
    streams_->Open(stream_owner_, services.stream_caps.watch_cases_per_operator, this, "WatchCases",
                   principal->Name());
    session_.Open(services.sessions, *principal, this);
    hub_->SubscribeAll(this);
    subscribed_ = true;
    SendHeaders();  // the feed is live: the operator's client may rely on it
  }

  void Deliver(const mayday::v1::CaseEvent& event) override { Push(event); }

  void Evict(absl::Status status) override { EndNow(ToGrpcStatus(status)); }

 private:
  void OnStreamDone() override {
    if (subscribed_) hub_->UnsubscribeAll(this);
    if (!stream_owner_.empty()) streams_->Close(stream_owner_, this);
    session_.Close();
  }

  EventHub* const hub_;
  StreamCaps* const streams_;
  std::string stream_owner_;  // set once, in the constructor; empty if not counted
  bool subscribed_ = false;   // set once, in the constructor
  TokenSessions::Ticket session_;
};

absl::Status ValidateState(int state) {
  if (state >= mayday::v1::CASE_STATE_DISPATCHING && state <= mayday::v1::CASE_STATE_ESCALATED) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("states: ", state, " is not a case state; use CASE_STATE_DISPATCHING, ",
                   "_ASSIGNED, _EN_ROUTE, _ON_SCENE, _RESOLVED, _CANCELLED or _ESCALATED"));
}

// The filter of a ListCases call in words, for the audit trail.
std::string DescribeFilter(const mayday::v1::ListAllCasesRequest& request) {
  std::string out;
  for (int state : request.states()) {
    absl::StrAppend(&out, " state=", mayday::v1::CaseState_Name(state));
  }
  if (request.kind() != mayday::v1::CASE_KIND_UNSPECIFIED) {
    absl::StrAppend(&out, " kind=", mayday::v1::CaseKind_Name(request.kind()));
  }
  if (!request.member().empty()) absl::StrAppend(&out, " member=", request.member());
  if (!request.responder().empty()) absl::StrAppend(&out, " responder=", request.responder());
  if (request.has_min_create_time()) {
    absl::StrAppend(&out, " min_create_time=", request.min_create_time().seconds());
  }
  if (request.has_max_create_time()) {
    absl::StrAppend(&out, " max_create_time=", request.max_create_time().seconds());
  }
  if (!request.page_token().empty()) absl::StrAppend(&out, " (a next page)");
  return out.empty() ? " none" : out;
}

}  // namespace

grpc::ServerUnaryReactor* OperatorServiceImpl::ListCases(
    grpc::CallbackServerContext* context, const mayday::v1::ListAllCasesRequest* request,
    mayday::v1::ListCasesResponse* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto agent = Admit(services_, *context, Role::kOperator, CallClass::kStaffReads, "ListCases");
    if (!agent.ok()) return agent.status();
    CaseFilter filter;
    for (int state : request->states()) {
      if (auto s = ValidateState(state); !s.ok()) return s;
      filter.states.push_back(static_cast<mayday::v1::CaseState>(state));
    }
    if (request->kind() != mayday::v1::CASE_KIND_UNSPECIFIED) {
      if (auto s = ValidateKind(request->kind()); !s.ok()) return s;
      filter.kind = request->kind();
    }
    if (!request->member().empty()) {
      auto id = ParseSubjectName("member", request->member(), "members");
      if (!id.ok()) return id.status();
      filter.member = request->member();
    }
    if (!request->responder().empty()) {
      auto id = ParseSubjectName("responder", request->responder(), "responders");
      if (!id.ok()) return id.status();
      filter.responder = request->responder();
    }
    if (request->has_min_create_time()) {
      auto t = ValidateTimestamp("min_create_time", request->min_create_time());
      if (!t.ok()) return t.status();
      filter.min_create_time = *t;
    }
    if (request->has_max_create_time()) {
      auto t = ValidateTimestamp("max_create_time", request->max_create_time());
      if (!t.ok()) return t.status();
      filter.max_create_time = *t;
    }
    auto size = ValidatePageSize(request->page_size(), 100, 50);
    if (!size.ok()) return size.status();
    auto page = services_.store->ListCases(filter, *size, request->page_token());
    if (!page.ok()) return page.status();
    for (auto& c : page->cases) *response->add_cases() = std::move(c);
    response->set_next_page_token(page->next_page_token);
    AuditRead(*agent, "cases.list", filter.member.empty() ? "cases" : filter.member,
              absl::StrCat(response->cases_size(), " cases; filter:", DescribeFilter(*request)));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::ListSafetyTimers(
    grpc::CallbackServerContext* context, const mayday::v1::ListSafetyTimersRequest* request,
    mayday::v1::ListSafetyTimersResponse* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto agent =
        Admit(services_, *context, Role::kOperator, CallClass::kStaffReads, "ListSafetyTimers");
    if (!agent.ok()) return agent.status();
    auto size = ValidatePageSize(request->page_size(), 1000, 100);
    if (!size.ok()) return size.status();
    auto timers = services_.store->ListTimers(request->running_only(), *size);
    if (!timers.ok()) return timers.status();
    for (auto& timer : *timers) *response->add_timers() = std::move(timer);
    AuditRead(*agent, "timers.list", "timers",
              absl::StrCat(response->timers_size(), " timers",
                           request->running_only() ? ", running only" : ""));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::GetMedicalProfile(
    grpc::CallbackServerContext* context, const mayday::v1::GetMemberMedicalProfileRequest* request,
    mayday::v1::MedicalProfile* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto agent =
        Admit(services_, *context, Role::kOperator, CallClass::kStaffReads, "GetMedicalProfile");
    if (!agent.ok()) return agent.status();
    auto profile = ReadMedicalProfileForDesk(services_, *agent, request->name());
    if (!profile.ok()) return profile.status();
    *response = *std::move(profile);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::GetCase(grpc::CallbackServerContext* context,
                                                       const mayday::v1::GetCaseRequest* request,
                                                       mayday::v1::Case* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto agent = Admit(services_, *context, Role::kOperator, CallClass::kStaffReads, "GetCase");
    if (!agent.ok()) return agent.status();
    auto found = FindCase("name", request->name());
    if (!found.ok()) return found.status();
    AuditRead(*agent, "case.get", found->name());
    *response = std::move(*found);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::ListCaseEvents(
    grpc::CallbackServerContext* context, const mayday::v1::ListCaseEventsRequest* request,
    mayday::v1::ListCaseEventsResponse* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto agent =
        Admit(services_, *context, Role::kOperator, CallClass::kStaffReads, "ListCaseEvents");
    if (!agent.ok()) return agent.status();
    auto size = ValidatePageSize(request->page_size(), 1000, 100);
    if (!size.ok()) return size.status();
    // The page token is the last sequence already returned.
    auto after = ParseSequencePageToken(request->page_token());
    if (!after.ok()) return after.status();
    auto found = FindCase("parent", request->parent());
    if (!found.ok()) return found.status();
    auto events = services_.store->ListEvents(CaseIdFromName(found->name()), *after, *size);
    if (!events.ok()) return events.status();
    for (auto& e : *events) *response->add_events() = std::move(e);
    if (!response->events().empty() &&
        response->events().rbegin()->sequence() < found->last_sequence()) {
      response->set_next_page_token(absl::StrCat(response->events().rbegin()->sequence()));
    }
    AuditRead(*agent, "case.events.list", found->name(),
              absl::StrCat(response->events_size(), " events after sequence ", *after));
    return absl::OkStatus();
  });
}

grpc::ServerWriteReactor<mayday::v1::CrewPosition>* OperatorServiceImpl::WatchCrew(
    grpc::CallbackServerContext* context, const mayday::v1::WatchCrewRequest* request) {
  absl::StatusOr<DispatchSite> site = services_.WhereDispatch(*context);
  if (site.ok() && *site == DispatchSite::kRelay) {
    return RelayWatchCrew(services_, context, *request, /*desk=*/true);
  }
  return StartWatchCrew(services_, context, *request, site.status(), CrewWatcher::kDesk);
}

grpc::ServerWriteReactor<mayday::v1::CaseEvent>* OperatorServiceImpl::WatchCases(
    grpc::CallbackServerContext* context, const mayday::v1::WatchCasesRequest*) {
  return new WatchCasesReactor(services_, context);
}

grpc::ServerUnaryReactor* OperatorServiceImpl::ListResponders(
    grpc::CallbackServerContext* context, const mayday::v1::ListRespondersRequest* request,
    mayday::v1::ListRespondersResponse* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    if (auto p =
            Admit(services_, *context, Role::kOperator, CallClass::kStaffReads, "ListResponders");
        !p.ok()) {
      return p.status();
    }
    auto size = ValidatePageSize(request->page_size(), 1000, 100);
    if (!size.ok()) return size.status();
    return services_.Dispatch(
        *context, &mayday::v1::OperatorService::Stub::ListResponders, *request, response, [&] {
          // Responders are listed by name; the page token is the last name returned.
          std::vector<mayday::v1::Responder> all = services_.dispatcher->ListResponders();
          std::sort(all.begin(), all.end(),
                    [](const auto& a, const auto& b) { return a.name() < b.name(); });
          auto it = all.begin();
          if (!request->page_token().empty()) {
            it = std::upper_bound(all.begin(), all.end(), request->page_token(),
                                  [](const std::string& token, const mayday::v1::Responder& r) {
                                    return token < r.name();
                                  });
          }
          for (; it != all.end() && response->responders_size() < *size; ++it) {
            *response->add_responders() = std::move(*it);
          }
          if (it != all.end()) {
            response->set_next_page_token(response->responders().rbegin()->name());
          }
          return absl::OkStatus();
        });
  });
}

absl::StatusOr<mayday::v1::Case> OperatorServiceImpl::FindCase(absl::string_view field,
                                                               const std::string& case_name) {
  auto id = ParseCaseName(field, case_name);
  if (!id.ok()) return id.status();
  auto found = services_.store->GetCase(*id);
  if (absl::IsNotFound(found.status())) {
    return absl::NotFoundError(absl::StrCat(case_name, " not found"));
  }
  return found;
}

void OperatorServiceImpl::AuditRead(const Principal& agent, std::string action, std::string target,
                                    std::string detail) {
  // RecordRead reports a failure itself; the read is answered anyway.
  RecordRead(*services_.store, AuditOf(agent, *services_.clock, std::move(action),
                                       std::move(target), std::move(detail)))
      .IgnoreError();
}

absl::StatusOr<CommittedChange> OperatorServiceImpl::ChangeCase(
    const Principal& agent, absl::string_view field, const std::string& case_name,
    CaseChange change, std::string action, std::string detail) {
  auto id = ParseCaseName(field, case_name);
  if (!id.ok()) return id.status();
  auto committed = services_.log->Append(
      *id, agent.Name(), change,
      AuditOf(agent, *services_.clock, std::move(action), "", std::move(detail)));
  if (absl::IsNotFound(committed.status())) {
    return absl::NotFoundError(absl::StrCat(case_name, " not found"));
  }
  if (!committed.ok()) return committed.status();
  services_.changes->CaseChanged(*committed);
  return committed;
}

grpc::ServerUnaryReactor* OperatorServiceImpl::PostMessage(
    grpc::CallbackServerContext* context, const mayday::v1::PostMessageRequest* request,
    mayday::v1::CaseEvent* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto agent =
        Admit(services_, *context, Role::kOperator, CallClass::kStaffUpdates, "PostMessage");
    if (!agent.ok()) return agent.status();
    if (auto s = ValidateMessageText("text", request->text()); !s.ok()) return s;
    auto posted = ChangeCase(
        *agent, "case", request->case_(),
        [&](const mayday::v1::Case& current, mayday::v1::Case& next, mayday::v1::CaseEvent& e) {
          return server::PostMessage(agent->Name(), request->text(), current, next, e);
        },
        "case.message", absl::StrCat(request->text().size(), " bytes"));
    if (!posted.ok()) return posted.status();
    *response = std::move(posted->event);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::CancelCase(
    grpc::CallbackServerContext* context, const mayday::v1::CancelCaseRequest* request,
    mayday::v1::Case* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto agent = services_.auth->Require(*context, Role::kOperator);
    if (!agent.ok()) return agent.status();
    if (auto s = ValidateText("reason", request->reason()); !s.ok()) return s;
    auto closed = ChangeCase(
        *agent, "name", request->name(),
        [&](const mayday::v1::Case& current, mayday::v1::Case& next, mayday::v1::CaseEvent& e) {
          return CloseCase(mayday::v1::CASE_STATE_CANCELLED, request->reason(),
                           request->false_alarm(), current, next, e);
        },
        "case.cancel",
        absl::StrCat(request->false_alarm() ? "false alarm; " : "", "reason: ", request->reason()));
    if (!closed.ok()) return closed.status();
    *response = std::move(closed->snapshot);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::ResolveCase(
    grpc::CallbackServerContext* context, const mayday::v1::ResolveCaseRequest* request,
    mayday::v1::Case* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto agent = services_.auth->Require(*context, Role::kOperator);
    if (!agent.ok()) return agent.status();
    auto closed = ChangeCase(
        *agent, "name", request->name(),
        [&](const mayday::v1::Case& current, mayday::v1::Case& next, mayday::v1::CaseEvent& e) {
          return CloseCase(mayday::v1::CASE_STATE_RESOLVED, "", false, current, next, e);
        },
        "case.resolve");
    if (!closed.ok()) return closed.status();
    *response = std::move(closed->snapshot);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::CreateCaseNote(
    grpc::CallbackServerContext* context, const mayday::v1::CreateCaseNoteRequest* request,
    mayday::v1::CaseNote* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto agent =
        Admit(services_, *context, Role::kOperator, CallClass::kStaffUpdates, "CreateCaseNote");
    if (!agent.ok()) return agent.status();
    auto id = ParseCaseName("parent", request->parent());
    if (!id.ok()) return id.status();
    if (auto s = ValidateMessageText("text", request->text()); !s.ok()) return s;
    mayday::v1::CaseNote note;
    note.set_case_(request->parent());
    note.set_author(agent->Name());
    note.set_text(request->text());
    *note.mutable_create_time() = ToProtoTime(services_.clock->Now());
    const AuditEntry audit = AuditOf(*agent, *services_.clock, "case.note", request->parent(),
                                     absl::StrCat(request->text().size(), " bytes"));
    if (auto s = SubmitAndWait(*services_.store,
                               [&](WriteTxn& txn) {
                                 if (auto s = txn.AddNote(note); !s.ok()) return s;
                                 return txn.AppendAudit(audit);
                               });
        !s.ok()) {
      return s;
    }
    *response = std::move(note);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::ListCaseNotes(
    grpc::CallbackServerContext* context, const mayday::v1::ListCaseNotesRequest* request,
    mayday::v1::ListCaseNotesResponse* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto agent =
        Admit(services_, *context, Role::kOperator, CallClass::kStaffReads, "ListCaseNotes");
    if (!agent.ok()) return agent.status();
    auto found = FindCase("parent", request->parent());
    if (!found.ok()) return found.status();
    auto notes = services_.store->ListNotes(CaseIdFromName(found->name()));
    if (!notes.ok()) return notes.status();
    for (auto& n : *notes) *response->add_notes() = std::move(n);
    AuditRead(*agent, "case.notes.list", found->name(),
              absl::StrCat(response->notes_size(), " notes"));
    return absl::OkStatus();
  });
}

}  // namespace mayday::server
