// libFuzzer harness: AlertService, the member API. Byte 0 picks the RPC, the
// payload is its request (see fuzz_input.h); it is called on the in-process
// maydayd of fuzz_world.h as member A (mostly), member B, a responder, an
// operator, without a token or with a token nobody issued.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "fuzz_input.h"
#include "fuzz_world.h"
#include "mayday/base/text.h"
#include "mayday/v1/alert_service.grpc.pb.h"
#include "rpc_checks.h"

namespace {

namespace v1 = mayday::v1;
using mayday::fuzz::Caller;
using mayday::fuzz::kMembers;
using mayday::fuzz::RpcCall;
using Stub = v1::AlertService::Stub;

constexpr mayday::fuzz::CallerTable kCallers = {
    Caller::kMemberA,    Caller::kMemberA,  Caller::kMemberA, Caller::kMemberB,
    Caller::kResponder1, Caller::kOperator, Caller::kNoToken, Caller::kBadToken};

// What every case a member gets back must satisfy.
std::string CheckOwnCase(const RpcCall& call, const v1::Case& result) {
  if (!mayday::fuzz::IsCaseName(result.name())) return "the case has a malformed name";
  if (result.member() != call.world->Name(call.caller)) {
    return absl::StrCat("the member got ", result.member(), "'s case");
  }
  if (result.has_duress()) return "a member read the desk's duress marker";
  return "";
}

// What every timer a member gets back must satisfy.
std::string CheckOwnTimer(const RpcCall& call, const v1::SafetyTimer& result) {
  if (result.name().rfind("timers/", 0) != 0) return "the timer has a malformed name";
  if (result.member() != call.world->Name(call.caller)) {
    return absl::StrCat("the member got ", result.member(), "'s timer");
  }
  if (result.has_member_view()) return "a member read the desk's duress view";
  return "";
}

std::string CheckOwnProfile(const RpcCall& call, const v1::MedicalProfile& result) {
  if (result.name() != call.world->Name(call.caller) + "/medicalProfile") {
    return absl::StrCat("the member got the profile ", result.name());
  }
  return "";
}

bool IsPin(const std::string& pin) {
  return pin.size() >= 4 && pin.size() <= 12 &&
         std::all_of(pin.begin(), pin.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsValidRequestId(const std::string& id) {
  return !id.empty() && id.size() <= 128 &&
         std::all_of(id.begin(), id.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

// Reads the case's stored events after after_sequence and stops there (or,
// when none are due, after a short wait): no gap, no repeat, nothing of a
// case that is not the caller's.
void FuzzWatchCase(const RpcCall& call, Stub& stub) {
  v1::WatchCaseRequest request;
  if (!mayday::fuzz::ReadRequest(call, &request)) return;
  const auto stored = call.world->StoredCase(request.name());
  const bool own = stored.has_value() && stored->member() == call.world->Name(call.caller);
  const int64_t last = stored.has_value() ? stored->last_sequence() : 0;
  const bool events_due = own && request.after_sequence() >= 0 && request.after_sequence() < last;
  auto context = mayday::testing::Call(call.world->Token(call.caller),
                                       events_due ? absl::Seconds(10) : absl::Milliseconds(50));
  auto reader = stub.WatchCase(context.get(), request);
  v1::CaseEvent event;
  int64_t next = std::max<int64_t>(request.after_sequence(), 0) + 1;
  while (reader->Read(&event)) {
    if (!own)
      mayday::fuzz::Fail(call.harness, "WatchCase streamed a case not the caller's", &request);
    if (event.has_duress_cancelled()) {
      mayday::fuzz::Fail(call.harness, "WatchCase streamed a duress cancel to the member",
                         &request);
    }
    if (event.case_() != request.name() || event.sequence() != next) {
      mayday::fuzz::Fail(call.harness,
                         absl::StrCat("WatchCase streamed event ", event.case_(), " #",
                                      event.sequence(), ", expected #", next),
                         &request);
    }
    ++next;
    if (event.sequence() >= last) context->TryCancel();
  }
  mayday::fuzz::CheckStatus(call, "WatchCase", kMembers, reader->Finish(), request,
                            /*stream=*/true);
}

// WatchCrew: positions only of the caller's own case, none of a closed one.
void FuzzWatchCrew(const RpcCall& call, Stub& stub) {
  v1::WatchCrewRequest request;
  if (!mayday::fuzz::ReadRequest(call, &request)) return;
  const auto stored = call.world->StoredCase(request.name());
  const bool own = stored.has_value() && stored->member() == call.world->Name(call.caller);
  auto context = mayday::testing::Call(call.world->Token(call.caller), absl::Milliseconds(300));
  auto reader = stub.WatchCrew(context.get(), request);
  v1::CrewPosition position;
  while (reader->Read(&position)) {
    if (!own) {
      mayday::fuzz::Fail(call.harness, "WatchCrew streamed a case not the caller's", &request);
    }
    if (position.case_() != request.name()) {
      mayday::fuzz::Fail(call.harness, "WatchCrew streamed another case's crew", &request);
    }
    if (position.state() != v1::CASE_STATE_ASSIGNED &&
        position.state() != v1::CASE_STATE_EN_ROUTE) {
      mayday::fuzz::Fail(call.harness, "WatchCrew streamed a crew that is not coming", &request);
    }
    context->TryCancel();
  }
  mayday::fuzz::CheckStatus(call, "WatchCrew", kMembers, reader->Finish(), request,
                            /*stream=*/true);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  mayday::fuzz::QuietLibraries();
  mayday::fuzz::World::Get();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto input = mayday::fuzz::SplitInput(data, size);
  if (!input.has_value()) return 0;
  mayday::fuzz::World& world = mayday::fuzz::World::Get();
  world.BeforeInput();
  static Stub* stub = v1::AlertService::NewStub(world.channel()).release();
  const RpcCall call{"alert_rpc_fuzz", *input, kCallers[input->caller], &world};
  using mayday::fuzz::FuzzUnary;
  switch (input->selector % 18) {
    case 0:
      FuzzUnary<Stub, v1::RaiseAlertRequest, v1::Case>(
          call, "RaiseAlert", *stub, &Stub::RaiseAlert, kMembers, true,
          [&](const v1::RaiseAlertRequest& request, const v1::Case& result) -> std::string {
            if (!IsValidRequestId(request.request_id())) return "request_id is not valid";
            if (request.kind() != v1::CASE_KIND_ROAD && request.kind() != v1::CASE_KIND_MEDICAL) {
              return "kind is neither ROAD nor MEDICAL";
            }
            if (!request.has_location() || !mayday::fuzz::IsValidLocation(request.location())) {
              return "the location is missing or not valid";
            }
            if (!mayday::fuzz::IsValidText(request.note())) return "the note is too long";
            return CheckOwnCase(call, result);
          });
      break;
    case 1:
      FuzzUnary<Stub, v1::GetCaseRequest, v1::Case>(
          call, "GetCase", *stub, &Stub::GetCase, kMembers, false,
          [&](const v1::GetCaseRequest& request, const v1::Case& result) -> std::string {
            if (result.name() != request.name()) return "it returned another case";
            return CheckOwnCase(call, result);
          });
      break;
    case 2:
      FuzzUnary<Stub, v1::ListCasesRequest, v1::ListCasesResponse>(
          call, "ListCases", *stub, &Stub::ListCases, kMembers, false,
          [&](const v1::ListCasesRequest& request,
              const v1::ListCasesResponse& result) -> std::string {
            if (request.page_size() < 0) return "page_size is negative";
            const int limit = request.page_size() == 0 ? 50 : std::min(request.page_size(), 100);
            if (result.cases_size() > limit) return "the page is larger than asked";
            for (const v1::Case& c : result.cases()) {
              if (std::string wrong = CheckOwnCase(call, c); !wrong.empty()) return wrong;
            }
            return "";
          });
      break;
    case 3:
      FuzzUnary<Stub, v1::UpdateCaseLocationRequest, v1::Case>(
          call, "UpdateCaseLocation", *stub, &Stub::UpdateCaseLocation, kMembers, true,
          [&](const v1::UpdateCaseLocationRequest& request, const v1::Case& result) -> std::string {
            if (!request.has_location() || !mayday::fuzz::IsValidLocation(request.location())) {
              return "the location is missing or not valid";
            }
            if (result.location().latitude() != request.location().latitude() ||
                result.location().longitude() != request.location().longitude()) {
              return "the case does not have the new location";
            }
            return CheckOwnCase(call, result);
          });
      break;
    case 4:
      FuzzUnary<Stub, v1::CancelCaseRequest, v1::Case>(
          call, "CancelCase", *stub, &Stub::CancelCase, kMembers, true,
          [&](const v1::CancelCaseRequest& request, const v1::Case& result) -> std::string {
            if (!mayday::fuzz::IsValidText(request.reason())) return "the reason is too long";
            if (result.state() != v1::CASE_STATE_CANCELLED) return "the case is not cancelled";
            return CheckOwnCase(call, result);
          });
      break;
    case 5:
      FuzzWatchCase(call, *stub);
      break;
    case 6:
      FuzzUnary<Stub, v1::PostMessageRequest, v1::CaseEvent>(
          call, "PostMessage", *stub, &Stub::PostMessage, kMembers, true,
          [&](const v1::PostMessageRequest& request, const v1::CaseEvent& result) -> std::string {
            if (!mayday::fuzz::IsValidMessageText(request.text())) return "the text is not valid";
            if (result.case_() != request.case_()) return "the event is of another case";
            // Stored as sent, less what the server cleans at its edge
            // (control characters, broken UTF-8: request_text.h).
            if (result.message_posted().text() !=
                mayday::base::CleanText(request.text(), request.text().size()).text) {
              return "the text changed other than by cleaning";
            }
            return "";
          });
      break;
    case 7:
      FuzzUnary<Stub, v1::RateCaseRequest, v1::Case>(
          call, "RateCase", *stub, &Stub::RateCase, kMembers, true,
          [&](const v1::RateCaseRequest& request, const v1::Case& result) -> std::string {
            if (request.stars() < 1 || request.stars() > 5) return "stars is not 1..5";
            if (!mayday::fuzz::IsValidText(request.comment())) return "the comment is too long";
            if (result.state() != v1::CASE_STATE_RESOLVED &&
                result.state() != v1::CASE_STATE_CANCELLED) {
              return "the case is still open";
            }
            return CheckOwnCase(call, result);
          });
      break;
    case 8:
      FuzzUnary<Stub, v1::SetCancelPinsRequest, v1::CancelPinSettings>(
          call, "SetCancelPins", *stub, &Stub::SetCancelPins, kMembers, true,
          [&](const v1::SetCancelPinsRequest& request,
              const v1::CancelPinSettings& result) -> std::string {
            const bool clearing = request.cancel_pin().empty() && request.duress_pin().empty();
            if (!clearing && !IsPin(request.cancel_pin())) return "cancel_pin is not a PIN";
            if (!request.duress_pin().empty() &&
                (!IsPin(request.duress_pin()) || request.duress_pin() == request.cancel_pin())) {
              return "duress_pin is not a PIN, or is the cancel PIN";
            }
            if (result.cancel_pin_set() == clearing) return "the answer does not say what was set";
            if (result.duress_pin_set() != !request.duress_pin().empty()) {
              return "the answer does not say whether a duress PIN was set";
            }
            return "";
          });
      break;
    case 9:
      FuzzUnary<Stub, v1::GetCancelPinsRequest, v1::CancelPinSettings>(
          call, "GetCancelPins", *stub, &Stub::GetCancelPins, kMembers, false,
          [&](const v1::GetCancelPinsRequest&, const v1::CancelPinSettings& result) -> std::string {
            if (result.duress_pin_set() && !result.cancel_pin_set()) {
              return "a duress PIN without a cancel PIN";
            }
            return "";
          });
      break;
    case 10:
      FuzzUnary<Stub, v1::StartSafetyTimerRequest, v1::SafetyTimer>(
          call, "StartSafetyTimer", *stub, &Stub::StartSafetyTimer, kMembers, true,
          [&](const v1::StartSafetyTimerRequest& request,
              const v1::SafetyTimer& result) -> std::string {
            if (!IsValidRequestId(request.request_id())) return "request_id is not valid";
            if (request.kind() != v1::CASE_KIND_ROAD && request.kind() != v1::CASE_KIND_MEDICAL) {
              return "kind is neither ROAD nor MEDICAL";
            }
            if (!request.has_location() || !mayday::fuzz::IsValidLocation(request.location())) {
              return "the location is missing or not valid";
            }
            if (!request.has_deadline()) return "no deadline";
            return CheckOwnTimer(call, result);
          });
      break;
    case 11:
      FuzzUnary<Stub, v1::UpdateSafetyTimerRequest, v1::SafetyTimer>(
          call, "UpdateSafetyTimer", *stub, &Stub::UpdateSafetyTimer, kMembers, true,
          [&](const v1::UpdateSafetyTimerRequest& request,
              const v1::SafetyTimer& result) -> std::string {
            if (!request.has_deadline() && !request.has_location()) return "nothing to change";
            if (result.state() != v1::SafetyTimer::STATE_RUNNING) return "it does not run";
            return CheckOwnTimer(call, result);
          });
      break;
    case 12:
      FuzzUnary<Stub, v1::EndSafetyTimerRequest, v1::SafetyTimer>(
          call, "EndSafetyTimer", *stub, &Stub::EndSafetyTimer, kMembers, true,
          [&](const v1::EndSafetyTimerRequest& request,
              const v1::SafetyTimer& result) -> std::string {
            if (result.state() != v1::SafetyTimer::STATE_ENDED) return "it did not end";
            return CheckOwnTimer(call, result);
          });
      break;
    case 13:
      FuzzUnary<Stub, v1::GetSafetyTimerRequest, v1::SafetyTimer>(
          call, "GetSafetyTimer", *stub, &Stub::GetSafetyTimer, kMembers, false,
          [&](const v1::GetSafetyTimerRequest& request,
              const v1::SafetyTimer& result) -> std::string {
            if (result.name() != request.name()) return "it returned another timer";
            return CheckOwnTimer(call, result);
          });
      break;
    case 14:
      FuzzUnary<Stub, v1::UpdateMedicalProfileRequest, v1::MedicalProfile>(
          call, "UpdateMedicalProfile", *stub, &Stub::UpdateMedicalProfile, kMembers, true,
          [&](const v1::UpdateMedicalProfileRequest& request,
              const v1::MedicalProfile& result) -> std::string {
            const v1::MedicalProfile& sent = request.profile();
            if (!request.has_profile()) return "no profile was sent";
            if (sent.allergies_size() > 50 || sent.conditions_size() > 50 ||
                sent.medications_size() > 50 || sent.emergency_contacts_size() > 10) {
              return "a list over its limit";
            }
            for (const auto& contact : sent.emergency_contacts()) {
              if (contact.phone().empty() || contact.phone()[0] != '+') return "a phone not E.164";
            }
            if (sent.note().size() > 2000) return "the note is too long";
            return CheckOwnProfile(call, result);
          });
      break;
    case 15:
      FuzzUnary<Stub, v1::GetMedicalProfileRequest, v1::MedicalProfile>(
          call, "GetMedicalProfile", *stub, &Stub::GetMedicalProfile, kMembers, false,
          [&](const v1::GetMedicalProfileRequest&, const v1::MedicalProfile& result) {
            return CheckOwnProfile(call, result);
          });
      break;
    case 16:
      FuzzUnary<Stub, v1::DeleteMedicalProfileRequest, google::protobuf::Empty>(
          call, "DeleteMedicalProfile", *stub, &Stub::DeleteMedicalProfile, kMembers, true,
          [&](const v1::DeleteMedicalProfileRequest&, const google::protobuf::Empty&) {
            return std::string();
          });
      break;
    case 17:
      FuzzWatchCrew(call, *stub);
      break;
  }
  return 0;
}
