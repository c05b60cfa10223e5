// AlertService; see alert_service.h. Every handler: authenticate, validate,
// then (and only then) touch storage.
#include "services/alert_service.h"

#include "absl/strings/str_cat.h"
#include "api/device_time.h"
#include "api/names.h"
#include "api/proto_time.h"
#include "auth/pin_hash.h"
#include "cases/case_changes.h"
#include "cases/case_rules.h"
#include "cases/member_view.h"
#include "log/log.h"
#include "rpc/status.h"
#include "rpc/unary.h"
#include "rpc/validation.h"
#include "services/admit.h"
#include "services/cancel_pins.h"
#include "services/medical_profiles.h"
#include "services/watch_case.h"
#include "services/watch_crew.h"

namespace mayday::server {
namespace {

constexpr int kMaxPageSize = 100;
constexpr int kDefaultPageSize = 50;

absl::Status NotFound(const std::string& name) {
  return absl::NotFoundError(absl::StrCat(name, " not found"));
}

// What a member's app is told when the alert could not be stored: what
// went wrong and that retrying (with the same request_id) is safe. Other
// errors pass through as they are.
absl::Status AlertNotStored(const absl::Status& status) {
  const absl::string_view reason = WriteFailureReason(status);
  if (reason.empty()) return status;
  return absl::UnavailableError(absl::StrCat("the server could not store the alert (", reason,
                                             "); retry with the same request_id"));
}

// The answer to an alert whose write failed with `failed`: the stored case
// if the press (member, request_id) was stored before, by an earlier call
// that the app did not hear back from; else why it could not be stored.
absl::Status AnswerFromStore(Store& store, const absl::Status& failed, const std::string& member,
                             const std::string& request_id, mayday::v1::Case* response) {
  absl::StatusOr<std::optional<mayday::v1::Case>> stored = store.FindPress(member, request_id);
  if (!stored.ok() || !stored->has_value()) return AlertNotStored(failed);
  *response = MemberView(**stored);
  return absl::OkStatus();
}

// Whose turn an alert waits for: the member's alerts of its kind.
std::string TurnKey(const NewCase& alert) {
  return absl::StrCat(alert.member, " ", static_cast<int>(alert.kind));
}

}  // namespace

grpc::ServerUnaryReactor* AlertServiceImpl::RaiseAlert(grpc::CallbackServerContext* context,
                                                       const mayday::v1::RaiseAlertRequest* request,
                                                       mayday::v1::Case* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (services_.metrics != nullptr) services_.metrics->AlertReceived(request->kind());
  auto member = services_.auth->Require(*context, Role::kMember);
  absl::Status valid = member.status();
  if (valid.ok()) valid = ValidateRequestId(request->request_id());
  if (valid.ok()) valid = ValidateKind(request->kind());
  if (valid.ok()) {
    valid = ValidateLocation("location", request->location(), request->has_location());
  }
  if (valid.ok()) valid = ValidateText("note", request->note());
  if (!valid.ok()) {
    AnswerAlert(reactor, request->kind(), valid);
    return reactor;
  }
  NewCase alert{member->Name(), request->request_id(), request->kind(), request->location(),
                request->note()};
  const std::string turn = TurnKey(alert);  // before `alert` moves into the lambda
  raise_turns_.Begin(turn, [this, context, reactor, response, alert = std::move(alert)]() mutable {
    OpenCase(context, reactor, response, std::move(alert));
  });
  return reactor;
}

void AlertServiceImpl::OpenCase(grpc::CallbackServerContext* context,
                                grpc::ServerUnaryReactor* reactor, mayday::v1::Case* response,
                                NewCase alert) {
  std::string turn = TurnKey(alert);
  // Gave up while waiting for its turn: the app will retry, or has.
  // (Done before Finish, here and below: once the last call is finished the
  // server may shut down and this service go away.)
  if (context->IsCancelled()) {
    raise_turns_.Done(turn);
    AnswerAlert(reactor, alert.kind, absl::CancelledError("the caller gave up"));
    return;
  }
  // Answered from the store's completer thread once the case is on disk; the
  // handler's thread is not held meanwhile, so many alerts share a commit.
  std::string member = alert.member;
  std::string request_id = alert.request_id;
  const mayday::v1::CaseKind kind = alert.kind;
  services_.log->OpenAsync(std::move(alert), [this, reactor, response, turn = std::move(turn),
                                              member = std::move(member),
                                              request_id = std::move(request_id),
                                              kind](absl::StatusOr<CreatedCase> opened) mutable {
    raise_turns_.Done(turn);  // the member's next alert of the kind may start
    if (!opened.ok()) {
      // The batch failed, perhaps for another job's write; a retry of a
      // press that is already stored is answered from the stored case all
      // the same. Looked up on a call thread: the completer never reads.
      services_.calls->Run([this, reactor, response, failed = opened.status(),
                            member = std::move(member), request_id = std::move(request_id), kind] {
        AnswerAlert(reactor, kind,
                    AnswerFromStore(*services_.store, failed, member, request_id, response));
      });
      return;
    }
    if (opened->created) services_.changes->CaseOpened(opened->snapshot);
    *response = MemberView(opened->snapshot);
    AnswerAlert(reactor, kind, absl::OkStatus());
  });
}

void AlertServiceImpl::AnswerAlert(grpc::ServerUnaryReactor* reactor, mayday::v1::CaseKind kind,
                                   const absl::Status& status) {
  if (services_.metrics != nullptr) services_.metrics->AlertAnswered(kind, status.code());
  reactor->Finish(ToGrpcStatus(status));
}

grpc::ServerUnaryReactor* AlertServiceImpl::GetCase(grpc::CallbackServerContext* context,
                                                    const mayday::v1::GetCaseRequest* request,
                                                    mayday::v1::Case* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto member = Admit(services_, *context, Role::kMember, CallClass::kMemberReads, "GetCase");
    if (!member.ok()) return member.status();
    auto id = ParseCaseName("name", request->name());
    if (!id.ok()) return id.status();
    auto found = services_.store->GetCase(*id);
    if (absl::IsNotFound(found.status())) return NotFound(request->name());
    if (!found.ok()) return found.status();
    if (!MemberReads(*found, member->Name())) {
      return NotFound(request->name());
    }
    *response = MemberView(*found);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AlertServiceImpl::ListCases(grpc::CallbackServerContext* context,
                                                      const mayday::v1::ListCasesRequest* request,
                                                      mayday::v1::ListCasesResponse* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto member = Admit(services_, *context, Role::kMember, CallClass::kMemberReads, "ListCases");
    if (!member.ok()) return member.status();
    auto size = ValidatePageSize(request->page_size(), kMaxPageSize, kDefaultPageSize);
    if (!size.ok()) return size.status();
    CaseFilter filter;
    filter.member = member->Name();
    auto page = services_.store->ListCases(filter, *size, request->page_token());
    if (!page.ok()) return page.status();
    for (const auto& c : page->cases) {
      if (MemberReads(c, member->Name())) *response->add_cases() = MemberView(c);
    }
    response->set_next_page_token(page->next_page_token);
    return absl::OkStatus();
  });
}

absl::StatusOr<CommittedChange> AlertServiceImpl::ChangeOwnCase(const Principal& member,
                                                                absl::string_view field,
                                                                const std::string& name,
                                                                CaseChange change) {
  auto id = ParseCaseName(field, name);
  if (!id.ok()) return id.status();
  const std::string owner = member.Name();
  auto committed = services_.log->Append(
      *id, owner,
      [&](const mayday::v1::Case& current, mayday::v1::Case& next, mayday::v1::CaseEvent& e) {
        if (!MemberReads(current, owner)) return NotFound(name);
        // On the case as the member reads it (cases/member_view.h).
        return ChangeAsMemberReads(services_.clock->Now(), change, current, next, e);
      });
  if (absl::IsNotFound(committed.status())) return NotFound(name);
  if (!committed.ok()) return committed.status();
  services_.changes->CaseChanged(*committed);
  return committed;
}

grpc::ServerUnaryReactor* AlertServiceImpl::UpdateCaseLocation(
    grpc::CallbackServerContext* context, const mayday::v1::UpdateCaseLocationRequest* request,
    mayday::v1::Case* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto member =
        Admit(services_, *context, Role::kMember, CallClass::kMemberUpdates, "UpdateCaseLocation");
    if (!member.ok()) return member.status();
    if (auto s = ValidateLocation("location", request->location(), request->has_location());
        !s.ok()) {
      return s;
    }
    auto updated = ChangeOwnCase(
        *member, "name", request->name(),
        [&](const mayday::v1::Case& current, mayday::v1::Case& next, mayday::v1::CaseEvent& e) {
          if (auto s = CheckMove(current.state()); !s.ok()) return s;
          *next.mutable_location() = request->location();
          BoundMemberFixTime(*next.mutable_location(), services_.clock->Now());
          *e.mutable_location_updated()->mutable_location() = next.location();
          // Whatever fix it is: the request was answered (dispatch judges
          // the new one and may ask again).
          if (next.has_fix_request()) next.mutable_fix_request()->set_pending(false);
          return absl::OkStatus();
        });
    if (!updated.ok()) return updated.status();
    *response = MemberView(updated->snapshot);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AlertServiceImpl::CancelCase(grpc::CallbackServerContext* context,
                                                       const mayday::v1::CancelCaseRequest* request,
                                                       mayday::v1::Case* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto member = services_.auth->Require(*context, Role::kMember);
    if (!member.ok()) return member.status();
    if (auto s = ValidateText("reason", request->reason()); !s.ok()) return s;
    if (!request->pin().empty()) {
      if (auto s = ValidatePin("pin", request->pin()); !s.ok()) return s;
    }
    auto verdict = CheckCancelPin(*services_.store, member->Name(), request->pin());
    if (!verdict.ok()) return verdict.status();
    int32_t failed_attempts = 0;  // set when the PIN was wrong
    auto cancelled = ChangeOwnCase(
        *member, "name", request->name(),
        [&](const mayday::v1::Case& current, mayday::v1::Case& next, mayday::v1::CaseEvent& e) {
          failed_attempts = 0;  // a job may run again (WriteJob)
          if (auto s = CheckOpen(current); !s.ok()) return s;
          if (*verdict != PinVerdict::kNoPinSet &&
              current.failed_cancel_attempts() >= kMaxCancelAttempts) {
            return absl::FailedPreconditionError(absl::StrCat(
                kMaxCancelAttempts, " wrong PINs were given for ", current.name(),
                ": it can no longer be cancelled from the app; a care agent will call"));
          }
          switch (*verdict) {
            case PinVerdict::kNoPinSet:
            case PinVerdict::kCancelPin:
              return CloseCase(mayday::v1::CASE_STATE_CANCELLED, request->reason(),
                               request->false_alarm(), current, next, e);
            case PinVerdict::kDuressPin:
              return CancelUnderDuress(e.actor(), services_.clock->Now(), request->reason(),
                                       request->false_alarm(), current, next, e);
            case PinVerdict::kWrongPin:
              failed_attempts = current.failed_cancel_attempts() + 1;
              next.set_failed_cancel_attempts(failed_attempts);
              e.mutable_cancel_refused()->set_failed_attempts(failed_attempts);
              e.mutable_cancel_refused()->set_locked(failed_attempts >= kMaxCancelAttempts);
              return absl::OkStatus();
          }
          return absl::InternalError("unknown PIN verdict");
        });
    if (!cancelled.ok()) return cancelled.status();
    if (failed_attempts > 0) {
      if (failed_attempts >= kMaxCancelAttempts) {
        LogWarning("cancel_locked", "%s: %d wrong cancel PINs; the member can no longer cancel it",
                   cancelled->snapshot.name(), failed_attempts);
        return absl::PermissionDeniedError(
            "wrong PIN; that was the last attempt: the case can no longer be cancelled from the "
            "app, and a care agent will call");
      }
      return absl::PermissionDeniedError(absl::StrCat(
          "wrong PIN; ", kMaxCancelAttempts - failed_attempts, " attempts left on this case"));
    }
    if (cancelled->snapshot.has_duress()) {
      LogWarning("duress", "%s: the member cancelled with the duress PIN; the case goes on",
                 cancelled->snapshot.name());
    }
    *response = MemberView(cancelled->snapshot);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AlertServiceImpl::SetCancelPins(
    grpc::CallbackServerContext* context, const mayday::v1::SetCancelPinsRequest* request,
    mayday::v1::CancelPinSettings* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto member =
        Admit(services_, *context, Role::kMember, CallClass::kMemberUpdates, "SetCancelPins");
    if (!member.ok()) return member.status();
    auto settings = server::SetCancelPins(*services_.store, *services_.clock, *member, *request);
    if (!settings.ok()) return settings.status();
    *response = *std::move(settings);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AlertServiceImpl::GetCancelPins(grpc::CallbackServerContext* context,
                                                          const mayday::v1::GetCancelPinsRequest*,
                                                          mayday::v1::CancelPinSettings* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto member =
        Admit(services_, *context, Role::kMember, CallClass::kMemberReads, "GetCancelPins");
    if (!member.ok()) return member.status();
    auto settings = server::GetCancelPins(*services_.store, member->Name());
    if (!settings.ok()) return settings.status();
    *response = *std::move(settings);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AlertServiceImpl::GetMedicalProfile(
    grpc::CallbackServerContext* context, const mayday::v1::GetMedicalProfileRequest*,
    mayday::v1::MedicalProfile* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto member =
        Admit(services_, *context, Role::kMember, CallClass::kMemberReads, "GetMedicalProfile");
    if (!member.ok()) return member.status();
    auto profile = GetOwnMedicalProfile(services_, *member);
    if (!profile.ok()) return profile.status();
    *response = *std::move(profile);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AlertServiceImpl::UpdateMedicalProfile(
    grpc::CallbackServerContext* context, const mayday::v1::UpdateMedicalProfileRequest* request,
    mayday::v1::MedicalProfile* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto member = Admit(services_, *context, Role::kMember, CallClass::kMemberUpdates,
                        "UpdateMedicalProfile");
    if (!member.ok()) return member.status();
    if (!request->has_profile()) {
      return absl::InvalidArgumentError(
          "profile is required: send the whole profile (DeleteMedicalProfile removes it)");
    }
    auto profile = ReplaceOwnMedicalProfile(services_, *member, request->profile());
    if (!profile.ok()) return profile.status();
    *response = *std::move(profile);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AlertServiceImpl::DeleteMedicalProfile(
    grpc::CallbackServerContext* context, const mayday::v1::DeleteMedicalProfileRequest*,
    google::protobuf::Empty*) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto member = Admit(services_, *context, Role::kMember, CallClass::kMemberUpdates,
                        "DeleteMedicalProfile");
    if (!member.ok()) return member.status();
    return DeleteOwnMedicalProfile(services_, *member);
  });
}

grpc::ServerWriteReactor<mayday::v1::CaseEvent>* AlertServiceImpl::WatchCase(
    grpc::CallbackServerContext* context, const mayday::v1::WatchCaseRequest* request) {
  return StartWatchCase(services_, context, *request);
}

grpc::ServerWriteReactor<mayday::v1::CrewPosition>* AlertServiceImpl::WatchCrew(
    grpc::CallbackServerContext* context, const mayday::v1::WatchCrewRequest* request) {
  // Crews report where dispatch runs: a standby passes the stream through.
  absl::StatusOr<DispatchSite> site = services_.WhereDispatch(*context);
  if (site.ok() && *site == DispatchSite::kRelay) {
    return RelayWatchCrew(services_, context, *request);
  }
  return StartWatchCrew(services_, context, *request, site.status());
}

grpc::ServerUnaryReactor* AlertServiceImpl::PostMessage(
    grpc::CallbackServerContext* context, const mayday::v1::PostMessageRequest* request,
    mayday::v1::CaseEvent* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto member =
        Admit(services_, *context, Role::kMember, CallClass::kMemberUpdates, "PostMessage");
    if (!member.ok()) return member.status();
    if (auto s = ValidateMessageText("text", request->text()); !s.ok()) return s;
    const std::string author = member->Name();
    auto posted = ChangeOwnCase(
        *member, "case", request->case_(),
        [&](const mayday::v1::Case& current, mayday::v1::Case& next, mayday::v1::CaseEvent& e) {
          return server::PostMessage(author, request->text(), current, next, e);
        });
    if (!posted.ok()) return posted.status();
    *response = std::move(posted->event);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AlertServiceImpl::RateCase(grpc::CallbackServerContext* context,
                                                     const mayday::v1::RateCaseRequest* request,
                                                     mayday::v1::Case* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto member = Admit(services_, *context, Role::kMember, CallClass::kMemberUpdates, "RateCase");
    if (!member.ok()) return member.status();
    if (auto s = ValidateRating(request->stars(), request->comment()); !s.ok()) return s;
    mayday::v1::Rating rating;
    rating.set_stars(request->stars());
    rating.set_comment(request->comment());
    *rating.mutable_create_time() = ToProtoTime(services_.clock->Now());
    auto rated =
        ChangeOwnCase(*member, "name", request->name(),
                      [&](const mayday::v1::Case& current, mayday::v1::Case& next,
                          mayday::v1::CaseEvent& e) { return Rate(rating, current, next, e); });
    if (!rated.ok()) return rated.status();
    *response = MemberView(rated->snapshot);
    return absl::OkStatus();
  });
}

}  // namespace mayday::server
