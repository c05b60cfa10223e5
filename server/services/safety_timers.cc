// AlertService's safety timers: StartSafetyTimer, UpdateSafetyTimer,
// EndSafetyTimer, GetSafetyTimer. Their firing is cases/timer_keeper.h's.
#include "absl/strings/str_cat.h"
#include "api/device_time.h"
#include "api/names.h"
#include "api/proto_time.h"
#include "auth/pin_hash.h"
#include "cases/member_view.h"
#include "cases/timer_keeper.h"
#include "log/log.h"
#include "rpc/status.h"
#include "rpc/unary.h"
#include "rpc/validation.h"
#include "services/admit.h"
#include "services/alert_service.h"
#include "services/audit_trail.h"
#include "services/cancel_pins.h"

namespace mayday::server {
namespace {

using mayday::v1::SafetyTimer;

// How soon and how far ahead a deadline may be.
constexpr absl::Duration kMinLead = absl::Seconds(10);
constexpr absl::Duration kMaxLead = absl::Hours(24 * 7);

absl::StatusOr<absl::Time> ValidateDeadline(const google::protobuf::Timestamp& deadline,
                                            absl::Time now) {
  absl::StatusOr<absl::Time> at = ValidateTimestamp("deadline", deadline);
  if (!at.ok()) return at.status();
  if (*at < now + kMinLead || *at > now + kMaxLead) {
    return absl::InvalidArgumentError(
        absl::StrCat("deadline must be ", absl::FormatDuration(kMinLead), " to 7 days from now (",
                     absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", now, absl::UTCTimeZone()), "); got ",
                     absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", *at, absl::UTCTimeZone())));
  }
  return at;
}

const char* TimerStateName(SafetyTimer::State state) {
  switch (state) {
    case SafetyTimer::STATE_RUNNING:
      return "RUNNING";
    case SafetyTimer::STATE_ENDED:
      return "ENDED";
    case SafetyTimer::STATE_FIRED:
      return "FIRED";
    default:
      return "UNSPECIFIED";
  }
}

// OK if the timer, as its member reads it, still runs.
absl::Status CheckRunning(const SafetyTimer& seen) {
  if (seen.state() == SafetyTimer::STATE_RUNNING) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      seen.name(), " already ", TimerStateName(seen.state()),
      seen.state() == SafetyTimer::STATE_FIRED ? absl::StrCat(": it raised ", seen.case_()) : ""));
}

absl::Status TimerNotFound(const std::string& name) {
  return absl::NotFoundError(absl::StrCat(name, " not found"));
}

// The member's timer `name`, read in a write job: NOT_FOUND if it is not
// theirs.
absl::StatusOr<SafetyTimer> OwnTimer(WriteTxn& txn, const std::string& id,
                                     const std::string& member, const std::string& name) {
  absl::StatusOr<SafetyTimer> timer = txn.GetTimer(id);
  if (absl::IsNotFound(timer.status()) || (timer.ok() && timer->member() != member)) {
    return TimerNotFound(name);
  }
  return timer;
}

}  // namespace

grpc::ServerUnaryReactor* AlertServiceImpl::StartSafetyTimer(
    grpc::CallbackServerContext* context, const mayday::v1::StartSafetyTimerRequest* request,
    SafetyTimer* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto member =
        Admit(services_, *context, Role::kMember, CallClass::kMemberUpdates, "StartSafetyTimer");
    if (!member.ok()) return member.status();
    const absl::Time now = services_.clock->Now();
    absl::Status valid = ValidateRequestId(request->request_id());
    if (valid.ok()) valid = ValidateKind(request->kind());
    if (valid.ok()) {
      valid = ValidateLocation("location", request->location(), request->has_location());
    }
    if (valid.ok()) valid = ValidateText("note", request->note());
    if (valid.ok() && !request->has_deadline()) {
      valid = absl::InvalidArgumentError("deadline is required");
    }
    if (!valid.ok()) return valid;
    absl::StatusOr<absl::Time> deadline = ValidateDeadline(request->deadline(), now);
    if (!deadline.ok()) return deadline.status();

    SafetyTimer timer;
    timer.set_name(TimerName(NewCaseId(now)));
    timer.set_member(member->Name());
    timer.set_state(SafetyTimer::STATE_RUNNING);
    timer.set_kind(request->kind());
    *timer.mutable_location() = request->location();
    BoundMemberFixTime(*timer.mutable_location(), now);
    timer.set_note(request->note());
    *timer.mutable_deadline() = ToProtoTime(*deadline);
    timer.set_request_id(request->request_id());
    *timer.mutable_create_time() = ToProtoTime(now);
    *timer.mutable_update_time() = ToProtoTime(now);
    SafetyTimer stored;
    absl::Status written = SubmitAndWait(*services_.store, [&](WriteTxn& txn) -> absl::Status {
      // A retry of the same start gets the timer it started.
      auto retried = txn.FindTimer(timer.member(), timer.request_id());
      if (!retried.ok()) return retried.status();
      if (retried->has_value()) {
        stored = **retried;
        return absl::OkStatus();
      }
      auto running = txn.RunningTimerOf(timer.member());
      if (!running.ok()) return running.status();
      if (running->has_value()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "a safety timer is already running: ", (*running)->name(), " (deadline ",
            absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", FromProtoTime((*running)->deadline()),
                             absl::UTCTimeZone()),
            "); move it with UpdateSafetyTimer or end it first"));
      }
      stored = timer;
      return txn.PutTimer(timer);
    });
    if (!written.ok()) return written;
    services_.timers->Poke();
    *response = MemberView(stored);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AlertServiceImpl::UpdateSafetyTimer(
    grpc::CallbackServerContext* context, const mayday::v1::UpdateSafetyTimerRequest* request,
    SafetyTimer* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto member =
        Admit(services_, *context, Role::kMember, CallClass::kMemberUpdates, "UpdateSafetyTimer");
    if (!member.ok()) return member.status();
    auto id = ParseTimerName("name", request->name());
    if (!id.ok()) return id.status();
    const absl::Time now = services_.clock->Now();
    if (!request->has_deadline() && !request->has_location()) {
      return absl::InvalidArgumentError("give a new deadline, a location, or both");
    }
    std::optional<absl::Time> deadline;
    if (request->has_deadline()) {
      auto valid = ValidateDeadline(request->deadline(), now);
      if (!valid.ok()) return valid.status();
      deadline = *valid;
    }
    if (request->has_location()) {
      if (auto s = ValidateLocation("location", request->location(), true); !s.ok()) return s;
    }
    SafetyTimer stored;
    absl::Status written = SubmitAndWait(*services_.store, [&](WriteTxn& txn) -> absl::Status {
      auto timer = OwnTimer(txn, *id, member->Name(), request->name());
      if (!timer.ok()) return timer.status();
      if (auto s = CheckRunning(MemberView(*timer)); !s.ok()) return s;
      if (deadline.has_value()) *timer->mutable_deadline() = ToProtoTime(*deadline);
      if (request->has_location()) {
        *timer->mutable_location() = request->location();
        BoundMemberFixTime(*timer->mutable_location(), now);
      }
      *timer->mutable_update_time() = ToProtoTime(now);
      stored = *timer;
      return txn.PutTimer(*timer);
    });
    if (!written.ok()) return written;
    services_.timers->Poke();
    *response = MemberView(stored);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AlertServiceImpl::EndSafetyTimer(
    grpc::CallbackServerContext* context, const mayday::v1::EndSafetyTimerRequest* request,
    SafetyTimer* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    // Never rate limited: ending a timer must always be possible.
    auto member = services_.auth->Require(*context, Role::kMember);
    if (!member.ok()) return member.status();
    auto id = ParseTimerName("name", request->name());
    if (!id.ok()) return id.status();
    if (!request->pin().empty()) {
      if (auto s = ValidatePin("pin", request->pin()); !s.ok()) return s;
    }
    auto verdict = CheckCancelPin(*services_.store, member->Name(), request->pin());
    if (!verdict.ok()) return verdict.status();
    const absl::Time now = services_.clock->Now();
    SafetyTimer stored;
    int32_t failed_attempts = 0;
    absl::Status written = SubmitAndWait(*services_.store, [&](WriteTxn& txn) -> absl::Status {
      failed_attempts = 0;  // a job may run again (WriteJob)
      auto timer = OwnTimer(txn, *id, member->Name(), request->name());
      if (!timer.ok()) return timer.status();
      if (auto s = CheckRunning(MemberView(*timer)); !s.ok()) return s;
      stored = *timer;
      if (*verdict == PinVerdict::kDuressPin) return absl::OkStatus();  // fired below
      if (*verdict == PinVerdict::kWrongPin) {
        failed_attempts = timer->failed_end_attempts() + 1;
        timer->set_failed_end_attempts(failed_attempts);
      } else {
        timer->set_state(SafetyTimer::STATE_ENDED);
      }
      *timer->mutable_update_time() = ToProtoTime(now);
      stored = *timer;
      return txn.PutTimer(*timer);
    });
    if (!written.ok()) return written;
    if (*verdict == PinVerdict::kDuressPin) {
      // What the member is shown is what the cancel PIN would have left;
      // the alert goes to the desk at once.
      SafetyTimer shown = stored;
      shown.set_state(SafetyTimer::STATE_ENDED);
      *shown.mutable_update_time() = ToProtoTime(now);
      auto fired = services_.timers->Fire(*id, FireCause::kDuress, shown);
      if (!fired.ok()) return fired.status();
      *response = MemberView(*fired);
      return absl::OkStatus();
    }
    if (failed_attempts > 0) {
      if (failed_attempts >= kMaxCancelAttempts) {
        auto fired = services_.timers->Fire(*id, FireCause::kWrongPins);
        if (!fired.ok() && !absl::IsFailedPrecondition(fired.status())) return fired.status();
        return absl::PermissionDeniedError(
            "wrong PIN; that was the last attempt: the timer fired and help is on its way");
      }
      return absl::PermissionDeniedError(absl::StrCat(
          "wrong PIN; ", kMaxCancelAttempts - failed_attempts, " attempts left on this timer"));
    }
    *response = MemberView(stored);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AlertServiceImpl::GetSafetyTimer(
    grpc::CallbackServerContext* context, const mayday::v1::GetSafetyTimerRequest* request,
    SafetyTimer* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto member =
        Admit(services_, *context, Role::kMember, CallClass::kMemberReads, "GetSafetyTimer");
    if (!member.ok()) return member.status();
    auto id = ParseTimerName("name", request->name());
    if (!id.ok()) return id.status();
    auto timer = services_.store->GetTimer(*id);
    if (absl::IsNotFound(timer.status()) || (timer.ok() && timer->member() != member->Name())) {
      return TimerNotFound(request->name());
    }
    if (!timer.ok()) return timer.status();
    *response = MemberView(*timer);
    return absl::OkStatus();
  });
}

}  // namespace mayday::server
