// libFuzzer harness: OperatorService, the care agents' API. Byte 0 picks
// the RPC, the payload is its request (see fuzz_input.h); it is called on
// the in-process maydayd of fuzz_world.h as an admin, an operator, a member,
// a responder, without a token or with a token nobody issued. WatchCases is
// ended after a short wait.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "fuzz_input.h"
#include "fuzz_world.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "rpc_checks.h"

namespace {

namespace v1 = mayday::v1;
using mayday::fuzz::Caller;
using mayday::fuzz::kAdmins;
using mayday::fuzz::kOperators;
using mayday::fuzz::RpcCall;
using Stub = v1::OperatorService::Stub;

constexpr mayday::fuzz::CallerTable kCallers = {
    Caller::kAdmin,   Caller::kAdmin,      Caller::kOperator, Caller::kOperator,
    Caller::kMemberA, Caller::kResponder1, Caller::kNoToken,  Caller::kBadToken};

// An oracle for the calls that return the case they acted on.
template <typename Request>
mayday::fuzz::Oracle<Request, v1::Case> SameCase() {
  return [](const Request& request, const v1::Case& result) -> std::string {
    return result.name() == request.name() ? "" : "it returned another case";
  };
}

// A page of at most `limit`, where 0 asks for `fallback`.
bool FitsPage(int page_size, int size, int fallback, int limit) {
  if (page_size < 0) return false;
  return size <= (page_size == 0 ? fallback : std::min(page_size, limit));
}

// Where a fuzzed endpoint may point: its host and port become 192.0.2.1
// (a documentation address the transport refuses before connecting), so
// that no input makes maydayd resolve a name or send a packet. The URL's
// own rules are fuzzed in validation_fuzz, without a server.
std::string SafeUrl(std::string url) {
  for (absl::string_view scheme : {"https://", "http://"}) {
    if (!absl::StartsWithIgnoreCase(url, scheme)) continue;
    const size_t host = scheme.size();
    const size_t end = url.find_first_of("/?#", host);
    return url.replace(host, end == std::string::npos ? std::string::npos : end - host,
                       "192.0.2.1");
  }
  return url;
}

void FuzzCreateWebhook(const RpcCall& call, Stub& stub) {
  v1::CreateWebhookEndpointRequest request;
  if (!mayday::fuzz::ReadRequest(call, &request)) return;
  request.mutable_endpoint()->set_url(SafeUrl(request.endpoint().url()));
  auto context = mayday::testing::Call(call.world->Token(call.caller));
  v1::WebhookEndpoint made;
  const grpc::Status status = stub.CreateWebhookEndpoint(context.get(), request, &made);
  mayday::fuzz::CheckStatus(call, "CreateWebhookEndpoint", kAdmins, status, request,
                            /*stream=*/false);
  if (!status.ok()) return;
  const auto wrong = [&]() -> std::string {
    if (!absl::StartsWith(made.name(), "webhooks/")) return "a malformed name";
    if (made.url() != request.endpoint().url()) return "another URL";
    if (request.secret().size() < 16 || request.secret().size() > 1024) {
      return "a secret of a size outside 16 to 1024 bytes";
    }
    if (made.event_types_size() != request.endpoint().event_types_size()) {
      return "other event types";
    }
    const v1::WebhookFormat format = request.endpoint().format();
    if (made.format() !=
        (format == v1::WEBHOOK_FORMAT_UNSPECIFIED ? v1::WEBHOOK_FORMAT_JSON : format)) {
      return "another format";
    }
    if (made.creator() != call.world->Name(call.caller)) return "another creator";
    return "";
  }();
  if (!wrong.empty()) {
    mayday::fuzz::Fail(call.harness, "CreateWebhookEndpoint answered OK, but " + wrong, &request);
  }
}

void FuzzWatchCases(const RpcCall& call, Stub& stub) {
  v1::WatchCasesRequest request;
  if (!mayday::fuzz::ReadRequest(call, &request)) return;
  auto context = mayday::testing::Call(call.world->Token(call.caller), absl::Milliseconds(50));
  auto reader = stub.WatchCases(context.get(), request);
  v1::CaseEvent event;
  for (int i = 0; i < 64 && reader->Read(&event); ++i) {
  }
  context->TryCancel();
  while (reader->Read(&event)) {
  }
  mayday::fuzz::CheckStatus(call, "WatchCases", kOperators, reader->Finish(), request,
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
  static Stub* stub = v1::OperatorService::NewStub(world.channel()).release();
  const RpcCall call{"operator_rpc_fuzz", *input, kCallers[input->caller], &world};
  using mayday::fuzz::FuzzUnary;
  switch (input->selector % 26) {
    case 0:
      FuzzUnary<Stub, v1::ListAllCasesRequest, v1::ListCasesResponse>(
          call, "ListCases", *stub, &Stub::ListCases, kOperators, false,
          [](const v1::ListAllCasesRequest& request,
             const v1::ListCasesResponse& result) -> std::string {
            if (!FitsPage(request.page_size(), result.cases_size(), 50, 100)) {
              return "the page is larger than asked";
            }
            for (const v1::Case& c : result.cases()) {
              if (request.kind() != v1::CASE_KIND_UNSPECIFIED && c.kind() != request.kind()) {
                return "a case of another kind";
              }
              if (!request.member().empty() && c.member() != request.member()) {
                return "a case of another member";
              }
            }
            return "";
          });
      break;
    case 1:
      FuzzUnary<Stub, v1::GetCaseRequest, v1::Case>(call, "GetCase", *stub, &Stub::GetCase,
                                                    kOperators, false,
                                                    SameCase<v1::GetCaseRequest>());
      break;
    case 2:
      FuzzUnary<Stub, v1::ListCaseEventsRequest, v1::ListCaseEventsResponse>(
          call, "ListCaseEvents", *stub, &Stub::ListCaseEvents, kOperators, false,
          [](const v1::ListCaseEventsRequest& request,
             const v1::ListCaseEventsResponse& result) -> std::string {
            if (!FitsPage(request.page_size(), result.events_size(), 100, 1000)) {
              return "the page is larger than asked";
            }
            for (int i = 0; i < result.events_size(); ++i) {
              if (result.events(i).case_() != request.parent()) return "an event of another case";
              if (i > 0 && result.events(i).sequence() != result.events(i - 1).sequence() + 1) {
                return "the events have a gap or are out of order";
              }
            }
            return "";
          });
      break;
    case 3:
      FuzzWatchCases(call, *stub);
      break;
    case 4:
      FuzzUnary<Stub, v1::ListRespondersRequest, v1::ListRespondersResponse>(
          call, "ListResponders", *stub, &Stub::ListResponders, kOperators, false,
          [](const v1::ListRespondersRequest& request,
             const v1::ListRespondersResponse& result) -> std::string {
            return FitsPage(request.page_size(), result.responders_size(), 100, 1000)
                       ? ""
                       : "the page is larger than asked";
          });
      break;
    case 5:
      FuzzUnary<Stub, v1::PostMessageRequest, v1::CaseEvent>(
          call, "PostMessage", *stub, &Stub::PostMessage, kOperators, true,
          [](const v1::PostMessageRequest& request, const v1::CaseEvent& result) -> std::string {
            if (!mayday::fuzz::IsValidMessageText(request.text())) return "the text is not valid";
            return result.case_() == request.case_() ? "" : "the event is of another case";
          });
      break;
    case 6:
      FuzzUnary<Stub, v1::CancelCaseRequest, v1::Case>(
          call, "CancelCase", *stub, &Stub::CancelCase, kOperators, true,
          [](const v1::CancelCaseRequest& request, const v1::Case& result) -> std::string {
            if (!mayday::fuzz::IsValidText(request.reason())) return "the reason is too long";
            if (result.state() != v1::CASE_STATE_CANCELLED) return "the case is not cancelled";
            return SameCase<v1::CancelCaseRequest>()(request, result);
          });
      break;
    case 7:
      FuzzUnary<Stub, v1::ResolveCaseRequest, v1::Case>(
          call, "ResolveCase", *stub, &Stub::ResolveCase, kOperators, true,
          [](const v1::ResolveCaseRequest& request, const v1::Case& result) -> std::string {
            if (result.state() != v1::CASE_STATE_RESOLVED) return "the case is not resolved";
            return SameCase<v1::ResolveCaseRequest>()(request, result);
          });
      break;
    case 8:
      FuzzUnary<Stub, v1::CreateCaseNoteRequest, v1::CaseNote>(
          call, "CreateCaseNote", *stub, &Stub::CreateCaseNote, kOperators, false,
          [](const v1::CreateCaseNoteRequest& request, const v1::CaseNote&) {
            return mayday::fuzz::IsValidMessageText(request.text()) ? "" : "the text is not valid";
          });
      break;
    case 9:
      FuzzUnary<Stub, v1::ListCaseNotesRequest, v1::ListCaseNotesResponse>(
          call, "ListCaseNotes", *stub, &Stub::ListCaseNotes, kOperators, false);
      break;
    case 10:
      FuzzUnary<Stub, v1::AssignCaseRequest, v1::Case>(
          call, "AssignCase", *stub, &Stub::AssignCase, kOperators, true,
          [](const v1::AssignCaseRequest& request, const v1::Case& result) -> std::string {
            if (result.responder() != request.responder()) return "assigned to someone else";
            return SameCase<v1::AssignCaseRequest>()(request, result);
          });
      break;
    case 11:
      FuzzUnary<Stub, v1::TakeCaseRequest, v1::Case>(call, "TakeCase", *stub, &Stub::TakeCase,
                                                     kOperators, true,
                                                     SameCase<v1::TakeCaseRequest>());
      break;
    case 12:
      FuzzUnary<Stub, v1::ReleaseCaseRequest, v1::Case>(call, "ReleaseCase", *stub,
                                                        &Stub::ReleaseCase, kOperators, true,
                                                        SameCase<v1::ReleaseCaseRequest>());
      break;
    case 13:
      FuzzUnary<Stub, v1::EscalateCaseRequest, v1::Case>(
          call, "EscalateCase", *stub, &Stub::EscalateCase, kOperators, true,
          [](const v1::EscalateCaseRequest& request, const v1::Case& result) -> std::string {
            if (!mayday::fuzz::IsValidMessageText(request.reason())) {
              return "the reason is not valid";
            }
            return SameCase<v1::EscalateCaseRequest>()(request, result);
          });
      break;
    case 14:
      FuzzUnary<Stub, v1::ListCaseTrackRequest, v1::ListCaseTrackResponse>(
          call, "ListCaseTrack", *stub, &Stub::ListCaseTrack, kOperators, false);
      break;
    case 15:
      FuzzUnary<Stub, v1::GetResponderRequest, v1::Responder>(
          call, "GetResponder", *stub, &Stub::GetResponder, kOperators, false,
          [](const v1::GetResponderRequest& request, const v1::Responder& result) {
            return result.name() == request.name() ? "" : "it returned another responder";
          });
      break;
    case 16:
      FuzzUnary<Stub, v1::CreateTokenRequest, v1::CreateTokenResponse>(
          call, "CreateToken", *stub, &Stub::CreateToken, kAdmins, false,
          [](const v1::CreateTokenRequest& request,
             const v1::CreateTokenResponse& result) -> std::string {
            if (request.role() == v1::ROLE_UNSPECIFIED || !v1::Role_IsValid(request.role())) {
              return "the role is not valid";
            }
            if (result.token().subject() != request.subject()) return "another subject";
            if (!absl::StartsWith(result.secret(), "mdy_")) return "the secret is malformed";
            return "";
          });
      break;
    case 17:
      FuzzUnary<Stub, v1::ListTokensRequest, v1::ListTokensResponse>(
          call, "ListTokens", *stub, &Stub::ListTokens, kAdmins, false,
          [](const v1::ListTokensRequest&, const v1::ListTokensResponse& result) -> std::string {
            for (const v1::Token& token : result.tokens()) {
              if (!absl::StartsWith(token.name(), "tokens/")) return "a malformed token name";
            }
            return "";
          });
      break;
    case 18:
      FuzzUnary<Stub, v1::RevokeTokenRequest, v1::Token>(
          call, "RevokeToken", *stub, &Stub::RevokeToken, kAdmins, false,
          [](const v1::RevokeTokenRequest& request, const v1::Token& result) {
            return result.name() == request.name() ? "" : "it revoked another token";
          });
      break;
    case 19:
      FuzzUnary<Stub, v1::GetMemberMedicalProfileRequest, v1::MedicalProfile>(
          call, "GetMedicalProfile", *stub, &Stub::GetMedicalProfile, kOperators, false,
          [](const v1::GetMemberMedicalProfileRequest& request, const v1::MedicalProfile& result) {
            return result.name() == request.name() ? "" : "it returned another member's profile";
          });
      break;
    case 20:
      FuzzUnary<Stub, v1::KeepCrewRequest, v1::Case>(
          call, "KeepCrew", *stub, &Stub::KeepCrew, kOperators, true,
          [](const v1::KeepCrewRequest& request, const v1::Case& result) -> std::string {
            if (result.responder() != request.responder()) return "it kept another crew";
            if (!result.second_responder().empty()) return "it kept both crews";
            return SameCase<v1::KeepCrewRequest>()(request, result);
          });
      break;
    case 21:
      FuzzCreateWebhook(call, *stub);
      break;
    case 22:
      FuzzUnary<Stub, v1::ListWebhookEndpointsRequest, v1::ListWebhookEndpointsResponse>(
          call, "ListWebhookEndpoints", *stub, &Stub::ListWebhookEndpoints, kAdmins, false,
          [](const v1::ListWebhookEndpointsRequest&,
             const v1::ListWebhookEndpointsResponse& result) -> std::string {
            if (result.endpoints_size() > 32) return "more endpoints than the limit of 32";
            for (const v1::WebhookEndpoint& endpoint : result.endpoints()) {
              if (!absl::StartsWith(endpoint.name(), "webhooks/")) return "a malformed name";
              if (endpoint.pending_deliveries() < 0 || endpoint.dead_deliveries() < 0 ||
                  endpoint.delivered() < 0) {
                return "a negative count";
              }
            }
            return "";
          });
      break;
    case 23:
      FuzzUnary<Stub, v1::DeleteWebhookEndpointRequest, google::protobuf::Empty>(
          call, "DeleteWebhookEndpoint", *stub, &Stub::DeleteWebhookEndpoint, kAdmins, false);
      break;
    case 24:
      FuzzUnary<Stub, v1::ListWebhookDeliveriesRequest, v1::ListWebhookDeliveriesResponse>(
          call, "ListWebhookDeliveries", *stub, &Stub::ListWebhookDeliveries, kAdmins, false,
          [](const v1::ListWebhookDeliveriesRequest& request,
             const v1::ListWebhookDeliveriesResponse& result) -> std::string {
            if (!FitsPage(request.page_size(), result.deliveries_size(), 100, 1000)) {
              return "the page is larger than asked";
            }
            for (const v1::WebhookDelivery& delivery : result.deliveries()) {
              if (delivery.endpoint() != request.endpoint()) return "another endpoint's delivery";
              if (!request.states().empty() &&
                  std::find(request.states().begin(), request.states().end(), delivery.state()) ==
                      request.states().end()) {
                return "a delivery in a state not asked for";
              }
              if (delivery.idempotency_key() !=
                  absl::StrCat(delivery.case_(), "/events/", delivery.sequence())) {
                return "an idempotency key that is not the event's";
              }
            }
            return "";
          });
      break;
    case 25:
      FuzzUnary<Stub, v1::RedeliverWebhooksRequest, v1::RedeliverWebhooksResponse>(
          call, "RedeliverWebhooks", *stub, &Stub::RedeliverWebhooks, kAdmins, false,
          [](const v1::RedeliverWebhooksRequest&, const v1::RedeliverWebhooksResponse& result) {
            return result.resumed() >= 0 ? "" : "a negative count";
          });
      break;
  }
  return 0;
}
