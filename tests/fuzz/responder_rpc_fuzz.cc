// libFuzzer harness: ResponderService, the crews' API. Byte 0 picks the
// RPC, the payload is its request (see fuzz_input.h); it is called on the
// in-process maydayd of fuzz_world.h as responder 1 (holding @s) or 2
// (offered @o), a member, an operator, without a token or with a token
// nobody issued. ReportLocation writes the request 1 + (bits 3-4 of byte 1)
// times on one stream; Subscribe is ended after a short wait.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "fuzz_input.h"
#include "fuzz_world.h"
#include "mayday/v1/responder_service.grpc.pb.h"
#include "rpc_checks.h"

namespace {

namespace v1 = mayday::v1;
using mayday::fuzz::Caller;
using mayday::fuzz::kResponders;
using mayday::fuzz::RpcCall;
using Stub = v1::ResponderService::Stub;

constexpr mayday::fuzz::CallerTable kCallers = {
    Caller::kResponder1, Caller::kResponder1, Caller::kResponder2, Caller::kResponder2,
    Caller::kMemberA,    Caller::kOperator,   Caller::kNoToken,    Caller::kBadToken};

// What a case the caller got back as its own must satisfy.
std::string CheckAssigned(const RpcCall& call, const std::string& name, const v1::Case& result) {
  if (result.name() != name) return "it returned another case";
  if (result.responder() != call.world->Name(call.caller)) {
    return "the case is not assigned to the caller";
  }
  return "";
}

void FuzzReportLocation(const RpcCall& call, Stub& stub) {
  v1::ReportLocationRequest request;
  v1::ReportLocationResponse response;
  const std::optional<int> writes = mayday::fuzz::FuzzUpload(
      call, "ReportLocation", stub, &Stub::ReportLocation, kResponders, request, response);
  if (!writes.has_value()) return;
  if (!request.has_location() || !mayday::fuzz::IsValidLocation(request.location())) {
    mayday::fuzz::Fail(call.harness, "ReportLocation accepted a missing or bad location", &request);
  }
  if (response.accepted_count() != *writes) {
    mayday::fuzz::Fail(call.harness, "ReportLocation miscounted what it accepted", &request);
  }
}

void FuzzSubscribe(const RpcCall& call, Stub& stub) {
  v1::SubscribeRequest request;
  if (!mayday::fuzz::ReadRequest(call, &request)) return;
  auto context = mayday::testing::Call(call.world->Token(call.caller), absl::Milliseconds(50));
  auto reader = stub.Subscribe(context.get(), request);
  v1::ResponderUpdate update;
  for (int i = 0; i < 16 && reader->Read(&update); ++i) {
  }
  context->TryCancel();
  while (reader->Read(&update)) {
  }
  mayday::fuzz::CheckStatus(call, "Subscribe", kResponders, reader->Finish(), request,
                            /*stream=*/true);
  call.world->MarkChanged();  // the crew's stream was replaced, then closed
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
  static Stub* stub = v1::ResponderService::NewStub(world.channel()).release();
  const RpcCall call{"responder_rpc_fuzz", *input, kCallers[input->caller], &world};
  using mayday::fuzz::FuzzUnary;
  switch (input->selector % 8) {
    case 0:
      FuzzUnary<Stub, v1::SetDutyRequest, v1::Responder>(
          call, "SetDuty", *stub, &Stub::SetDuty, kResponders, true,
          [&](const v1::SetDutyRequest& request, const v1::Responder& result) -> std::string {
            for (int c : request.capabilities()) {
              if (c < v1::CAPABILITY_TOW || c > v1::CAPABILITY_PARAMEDIC) {
                return "a capability is not valid";
              }
            }
            if (request.on_duty() && request.capabilities().empty()) {
              return "on duty without a capability";
            }
            if (result.name() != call.world->Name(call.caller)) return "another responder";
            return "";
          });
      break;
    case 1:
      FuzzReportLocation(call, *stub);
      break;
    case 2:
      FuzzSubscribe(call, *stub);
      break;
    case 3:
      FuzzUnary<Stub, v1::AcceptOfferRequest, v1::Case>(
          call, "AcceptOffer", *stub, &Stub::AcceptOffer, kResponders, true,
          [&](const v1::AcceptOfferRequest& request, const v1::Case& result) -> std::string {
            if (result.state() != v1::CASE_STATE_ASSIGNED) return "the case is not ASSIGNED";
            return CheckAssigned(call, request.case_(), result);
          });
      break;
    case 4:
      FuzzUnary<Stub, v1::DeclineOfferRequest, v1::DeclineOfferResponse>(
          call, "DeclineOffer", *stub, &Stub::DeclineOffer, kResponders, true,
          [&](const v1::DeclineOfferRequest& request, const v1::DeclineOfferResponse&) {
            return mayday::fuzz::IsCaseName(request.case_()) ? "" : "the case name is malformed";
          });
      break;
    case 5:
      FuzzUnary<Stub, v1::UpdateProgressRequest, v1::Case>(
          call, "UpdateProgress", *stub, &Stub::UpdateProgress, kResponders, true,
          [&](const v1::UpdateProgressRequest& request, const v1::Case& result) -> std::string {
            if (request.state() != v1::CASE_STATE_EN_ROUTE &&
                request.state() != v1::CASE_STATE_ON_SCENE &&
                request.state() != v1::CASE_STATE_RESOLVED) {
              return "the target state is not EN_ROUTE, ON_SCENE or RESOLVED";
            }
            if (result.state() != request.state()) return "the case is not in the new state";
            return CheckAssigned(call, request.case_(), result);
          });
      break;
    case 6:
      FuzzUnary<Stub, v1::PostMessageRequest, v1::CaseEvent>(
          call, "PostMessage", *stub, &Stub::PostMessage, kResponders, true,
          [&](const v1::PostMessageRequest& request, const v1::CaseEvent& result) -> std::string {
            if (!mayday::fuzz::IsValidMessageText(request.text())) return "the text is not valid";
            if (result.case_() != request.case_()) return "the event is of another case";
            return "";
          });
      break;
    case 7:
      FuzzUnary<Stub, v1::GetCaseMedicalProfileRequest, v1::MedicalProfile>(
          call, "GetCaseMedicalProfile", *stub, &Stub::GetCaseMedicalProfile, kResponders, false,
          [&](const v1::GetCaseMedicalProfileRequest& request,
              const v1::MedicalProfile& result) -> std::string {
            const auto stored = call.world->StoredCase(request.case_());
            if (!stored.has_value()) return "a profile for a case that does not exist";
            if (stored->responder() != call.world->Name(call.caller)) {
              return "a profile for a case not assigned to the caller";
            }
            if (stored->kind() != v1::CASE_KIND_MEDICAL) return "a profile for a road case";
            if (stored->state() != v1::CASE_STATE_ASSIGNED &&
                stored->state() != v1::CASE_STATE_EN_ROUTE &&
                stored->state() != v1::CASE_STATE_ON_SCENE) {
              return "a profile for a case no longer assigned";
            }
            if (result.name() != stored->member() + "/medicalProfile") {
              return "the profile of someone other than the case's member";
            }
            return "";
          });
      break;
  }
  return 0;
}
