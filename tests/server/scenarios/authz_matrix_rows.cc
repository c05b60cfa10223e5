// The rows of the authorisation matrix; see authz_matrix_rows.h.
#include "authz_matrix_rows.h"

#include <catch2/catch.hpp>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "mayday/v1/alert_service.grpc.pb.h"
#include "mayday/v1/fleet_service.grpc.pb.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "mayday/v1/responder_service.grpc.pb.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

// Columns: member A, member B | offered, assigned, unrelated responder |
// operator, admin | fleet | no, malformed, unknown, revoked token.
Expected MemberCall(Code a, Code b) { return {a, b, PD, PD, PD, PD, PD, PD, UA, UA, UA, UA}; }
Expected ResponderCall(Code offered, Code assigned, Code unrelated) {
  return {PD, PD, offered, assigned, unrelated, PD, PD, PD, UA, UA, UA, UA};
}
Expected OperatorCall(Code op, Code admin) {
  return {PD, PD, PD, PD, PD, op, admin, PD, UA, UA, UA, UA};
}
Expected FleetCall(Code fleet) { return {PD, PD, PD, PD, PD, PD, PD, fleet, UA, UA, UA, UA}; }

// A server stream is let through if it delivers a message or is still open
// at its deadline; a refusal ends it at once with the refusal's status.
template <typename Message, typename Reader>
grpc::Status StreamOutcome(grpc::ClientContext& context, Reader& reader) {
  Message message;
  if (reader->Read(&message)) {
    context.TryCancel();
    while (reader->Read(&message)) {
    }
    reader->Finish().error_code();
    return grpc::Status::OK;
  }
  grpc::Status status = reader->Finish();
  if (status.error_code() == grpc::DEADLINE_EXCEEDED) return grpc::Status::OK;
  return status;
}

// How long an allowed stream that has nothing to say is kept open.
constexpr absl::Duration kQuietStream = absl::Milliseconds(800);

}  // namespace

std::vector<Row> Rows() {
  std::vector<Row> rows;
  // --- AlertService: members only, and only their own cases.
  rows.push_back({"AlertService.RaiseAlert", Service::kAlert, true,
                  [](Scene& s, Principal p) {
                    v1::Case c;
                    return s.server().Alerts()->RaiseAlert(
                        s.Context(p, Service::kAlert).get(),
                        Alert(absl::StrCat("matrix-", static_cast<int>(p))), &c);
                  },
                  MemberCall(OK, OK)});
  rows.push_back({"AlertService.GetCase", Service::kAlert, false,
                  [](Scene& s, Principal p) {
                    v1::GetCaseRequest r;
                    r.set_name(s.assigned_case());
                    v1::Case c;
                    return s.server().Alerts()->GetCase(s.Context(p, Service::kAlert).get(), r, &c);
                  },
                  MemberCall(OK, NF)});
  rows.push_back({"AlertService.ListCases", Service::kAlert, false,
                  [](Scene& s, Principal p) {
                    v1::ListCasesResponse out;
                    return s.server().Alerts()->ListCases(s.Context(p, Service::kAlert).get(),
                                                          v1::ListCasesRequest(), &out);
                  },
                  MemberCall(OK, OK)});
  rows.push_back({"AlertService.UpdateCaseLocation", Service::kAlert, true,
                  [](Scene& s, Principal p) {
                    v1::UpdateCaseLocationRequest r;
                    r.set_name(s.assigned_case());
                    *r.mutable_location() = Alert("x").location();
                    v1::Case c;
                    return s.server().Alerts()->UpdateCaseLocation(
                        s.Context(p, Service::kAlert).get(), r, &c);
                  },
                  MemberCall(OK, NF)});
  rows.push_back({"AlertService.CancelCase", Service::kAlert, true,
                  [](Scene& s, Principal p) {
                    v1::CancelCaseRequest r;
                    r.set_name(s.assigned_case());
                    v1::Case c;
                    return s.server().Alerts()->CancelCase(s.Context(p, Service::kAlert).get(), r,
                                                           &c);
                  },
                  MemberCall(OK, NF)});
  rows.push_back({"AlertService.WatchCase", Service::kAlert, false,
                  [](Scene& s, Principal p) {
                    v1::WatchCaseRequest r;
                    r.set_name(s.assigned_case());
                    auto context = s.Context(p, Service::kAlert, kQuietStream);
                    auto reader = s.server().Alerts()->WatchCase(context.get(), r);
                    return StreamOutcome<v1::CaseEvent>(*context, reader);
                  },
                  MemberCall(OK, NF)});
  rows.push_back({"AlertService.WatchCrew", Service::kAlert, false,
                  [](Scene& s, Principal p) {
                    v1::WatchCrewRequest r;
                    r.set_name(s.assigned_case());
                    auto context = s.Context(p, Service::kAlert, kQuietStream);
                    auto reader = s.server().Alerts()->WatchCrew(context.get(), r);
                    return StreamOutcome<v1::CrewPosition>(*context, reader);
                  },
                  MemberCall(OK, NF)});
  rows.push_back({"AlertService.PostMessage", Service::kAlert, true,
                  [](Scene& s, Principal p) {
                    v1::PostMessageRequest r;
                    r.set_case_(s.assigned_case());
                    r.set_text("are you close?");
                    v1::CaseEvent e;
                    return s.server().Alerts()->PostMessage(s.Context(p, Service::kAlert).get(), r,
                                                            &e);
                  },
                  MemberCall(OK, NF)});
  rows.push_back({"AlertService.RateCase", Service::kAlert, true,
                  [](Scene& s, Principal p) {
                    v1::RateCaseRequest r;
                    r.set_name(s.closed_case());
                    r.set_stars(4);
                    v1::Case c;
                    return s.server().Alerts()->RateCase(s.Context(p, Service::kAlert).get(), r,
                                                         &c);
                  },
                  MemberCall(OK, NF)});
  // A member's own PINs: every member may set its own, nobody another's.
  rows.push_back({"AlertService.SetCancelPins", Service::kAlert, true,
                  [](Scene& s, Principal p) {
                    v1::SetCancelPinsRequest r;
                    r.set_cancel_pin("4826");
                    v1::CancelPinSettings out;
                    return s.server().Alerts()->SetCancelPins(s.Context(p, Service::kAlert).get(),
                                                              r, &out);
                  },
                  MemberCall(OK, OK)});
  rows.push_back({"AlertService.GetCancelPins", Service::kAlert, false,
                  [](Scene& s, Principal p) {
                    v1::CancelPinSettings out;
                    return s.server().Alerts()->GetCancelPins(s.Context(p, Service::kAlert).get(),
                                                              v1::GetCancelPinsRequest(), &out);
                  },
                  MemberCall(OK, OK)});

  // Safety timers: a member's own only.
  rows.push_back({"AlertService.StartSafetyTimer", Service::kAlert, true,
                  [](Scene& s, Principal p) {
                    v1::StartSafetyTimerRequest r;
                    r.set_request_id(absl::StrCat("matrix-timer-", static_cast<int>(p)));
                    r.set_kind(v1::CASE_KIND_ROAD);
                    *r.mutable_location() = Alert("x").location();
                    r.mutable_deadline()->set_seconds(
                        absl::ToUnixSeconds(s.server().server().clock().Now()) + 600);
                    v1::SafetyTimer out;
                    return s.server().Alerts()->StartSafetyTimer(
                        s.Context(p, Service::kAlert).get(), r, &out);
                  },
                  // A has one running already (the scene's).
                  MemberCall(FP, OK)});
  rows.push_back({"AlertService.UpdateSafetyTimer", Service::kAlert, true,
                  [](Scene& s, Principal p) {
                    v1::UpdateSafetyTimerRequest r;
                    r.set_name(s.running_timer());
                    *r.mutable_location() = Alert("x").location();
                    v1::SafetyTimer out;
                    return s.server().Alerts()->UpdateSafetyTimer(
                        s.Context(p, Service::kAlert).get(), r, &out);
                  },
                  MemberCall(OK, NF)});
  rows.push_back({"AlertService.EndSafetyTimer", Service::kAlert, true,
                  [](Scene& s, Principal p) {
                    v1::EndSafetyTimerRequest r;
                    r.set_name(s.running_timer());
                    v1::SafetyTimer out;
                    return s.server().Alerts()->EndSafetyTimer(s.Context(p, Service::kAlert).get(),
                                                               r, &out);
                  },
                  MemberCall(OK, NF)});
  rows.push_back({"AlertService.GetSafetyTimer", Service::kAlert, false,
                  [](Scene& s, Principal p) {
                    v1::GetSafetyTimerRequest r;
                    r.set_name(s.running_timer());
                    v1::SafetyTimer out;
                    return s.server().Alerts()->GetSafetyTimer(s.Context(p, Service::kAlert).get(),
                                                               r, &out);
                  },
                  MemberCall(OK, NF)});

  // Medical profiles: a member's own (A keeps one, B none); its crew and
  // the desk below.
  rows.push_back({"AlertService.GetMedicalProfile", Service::kAlert, false,
                  [](Scene& s, Principal p) {
                    v1::MedicalProfile out;
                    return s.server().Alerts()->GetMedicalProfile(
                        s.Context(p, Service::kAlert).get(), v1::GetMedicalProfileRequest(), &out);
                  },
                  MemberCall(OK, NF)});
  rows.push_back({"AlertService.UpdateMedicalProfile", Service::kAlert, true,
                  [](Scene& s, Principal p) {
                    v1::UpdateMedicalProfileRequest r;
                    r.mutable_profile()->add_allergies("latex");
                    v1::MedicalProfile out;
                    return s.server().Alerts()->UpdateMedicalProfile(
                        s.Context(p, Service::kAlert).get(), r, &out);
                  },
                  MemberCall(OK, OK)});
  rows.push_back({"AlertService.DeleteMedicalProfile", Service::kAlert, true,
                  [](Scene& s, Principal p) {
                    google::protobuf::Empty out;
                    return s.server().Alerts()->DeleteMedicalProfile(
                        s.Context(p, Service::kAlert).get(), v1::DeleteMedicalProfileRequest(),
                        &out);
                  },
                  MemberCall(OK, OK)});

  // --- ResponderService: responders only; a case only while it is theirs.
  rows.push_back({"ResponderService.SetDuty", Service::kResponder, true,
                  [](Scene& s, Principal p) {
                    v1::SetDutyRequest r;
                    r.set_on_duty(true);
                    r.add_capabilities(v1::CAPABILITY_TOW);
                    v1::Responder out;
                    return s.server().Responders()->SetDuty(s.Context(p, Service::kResponder).get(),
                                                            r, &out);
                  },
                  ResponderCall(OK, OK, OK)});
  rows.push_back({"ResponderService.ReportLocation", Service::kResponder, true,
                  [](Scene& s, Principal p) {
                    auto context = s.Context(p, Service::kResponder);
                    v1::ReportLocationResponse out;
                    auto writer = s.server().Responders()->ReportLocation(context.get(), &out);
                    v1::ReportLocationRequest position;
                    *position.mutable_location() = Alert("x").location();
                    writer->Write(position);
                    writer->WritesDone();
                    return writer->Finish();
                  },
                  ResponderCall(OK, OK, OK)});
  rows.push_back({"ResponderService.Subscribe", Service::kResponder, true,
                  [](Scene& s, Principal p) {
                    auto context = s.Context(p, Service::kResponder, kQuietStream);
                    auto reader =
                        s.server().Responders()->Subscribe(context.get(), v1::SubscribeRequest());
                    return StreamOutcome<v1::ResponderUpdate>(*context, reader);
                  },
                  ResponderCall(OK, OK, OK)});
  rows.push_back({"ResponderService.AcceptOffer", Service::kResponder, true,
                  [](Scene& s, Principal p) {
                    v1::AcceptOfferRequest r;
                    r.set_case_(s.offered_case());
                    v1::Case c;
                    return s.server().Responders()->AcceptOffer(
                        s.Context(p, Service::kResponder).get(), r, &c);
                  },
                  ResponderCall(OK, FP, FP)});
  rows.push_back({"ResponderService.DeclineOffer", Service::kResponder, true,
                  [](Scene& s, Principal p) {
                    v1::DeclineOfferRequest r;
                    r.set_case_(s.offered_case());
                    v1::DeclineOfferResponse out;
                    return s.server().Responders()->DeclineOffer(
                        s.Context(p, Service::kResponder).get(), r, &out);
                  },
                  ResponderCall(OK, FP, FP)});
  rows.push_back({"ResponderService.UpdateProgress", Service::kResponder, true,
                  [](Scene& s, Principal p) {
                    v1::UpdateProgressRequest r;
                    r.set_case_(s.assigned_case());
                    r.set_state(v1::CASE_STATE_EN_ROUTE);
                    v1::Case c;
                    return s.server().Responders()->UpdateProgress(
                        s.Context(p, Service::kResponder).get(), r, &c);
                  },
                  ResponderCall(NF, OK, NF)});
  // The assigned case is A's medical case: its crew reads A's profile, the
  // crew only offered a case (a road one of A's) and the unrelated crew
  // learn nothing.
  rows.push_back({"ResponderService.GetCaseMedicalProfile", Service::kResponder, false,
                  [](Scene& s, Principal p) {
                    v1::GetCaseMedicalProfileRequest r;
                    r.set_case_(s.assigned_case());
                    v1::MedicalProfile out;
                    return s.server().Responders()->GetCaseMedicalProfile(
                        s.Context(p, Service::kResponder).get(), r, &out);
                  },
                  ResponderCall(NF, OK, NF)});
  rows.push_back({"ResponderService.PostMessage", Service::kResponder, true,
                  [](Scene& s, Principal p) {
                    v1::PostMessageRequest r;
                    r.set_case_(s.assigned_case());
                    r.set_text("five minutes away");
                    v1::CaseEvent e;
                    return s.server().Responders()->PostMessage(
                        s.Context(p, Service::kResponder).get(), r, &e);
                  },
                  ResponderCall(NF, OK, NF)});

  // --- OperatorService: care agents (operators and admins); tokens and
  // the audit trail for admins only.
  const auto op = [](const char* rpc, bool changes, CallFn call, Expected expected,
                     std::function<void(Scene&)> prepare = nullptr) {
    return Row{rpc, Service::kOperator, changes, std::move(call), expected, std::move(prepare)};
  };
  const auto ops = [](Scene& s) { return s.server().Operators(); };
  rows.push_back(op(
      "OperatorService.ListCases", false,
      [ops](Scene& s, Principal p) {
        v1::ListCasesResponse out;
        return ops(s)->ListCases(s.Context(p, Service::kOperator).get(), v1::ListAllCasesRequest(),
                                 &out);
      },
      OperatorCall(OK, OK)));
  rows.push_back(op(
      "OperatorService.GetCase", false,
      [ops](Scene& s, Principal p) {
        v1::GetCaseRequest r;
        r.set_name(s.assigned_case());
        v1::Case c;
        return ops(s)->GetCase(s.Context(p, Service::kOperator).get(), r, &c);
      },
      OperatorCall(OK, OK)));
  rows.push_back(op(
      "OperatorService.ListCaseEvents", false,
      [ops](Scene& s, Principal p) {
        v1::ListCaseEventsRequest r;
        r.set_parent(s.assigned_case());
        v1::ListCaseEventsResponse out;
        return ops(s)->ListCaseEvents(s.Context(p, Service::kOperator).get(), r, &out);
      },
      OperatorCall(OK, OK)));
  rows.push_back(op(
      "OperatorService.ListSafetyTimers", false,
      [ops](Scene& s, Principal p) {
        v1::ListSafetyTimersResponse out;
        return ops(s)->ListSafetyTimers(s.Context(p, Service::kOperator).get(),
                                        v1::ListSafetyTimersRequest(), &out);
      },
      OperatorCall(OK, OK)));
  rows.push_back(op(
      "OperatorService.GetMedicalProfile", false,
      [ops](Scene& s, Principal p) {
        v1::GetMemberMedicalProfileRequest r;
        r.set_name("members/alice/medicalProfile");
        v1::MedicalProfile out;
        return ops(s)->GetMedicalProfile(s.Context(p, Service::kOperator).get(), r, &out);
      },
      OperatorCall(OK, OK)));
  rows.push_back(op(
      "OperatorService.WatchCases", false,
      [ops](Scene& s, Principal p) {
        auto context = s.Context(p, Service::kOperator, kQuietStream);
        auto reader = ops(s)->WatchCases(context.get(), v1::WatchCasesRequest());
        return StreamOutcome<v1::CaseEvent>(*context, reader);
      },
      OperatorCall(OK, OK)));
  rows.push_back(op(
      "OperatorService.WatchCrew", false,
      [ops](Scene& s, Principal p) {
        auto context = s.Context(p, Service::kOperator, kQuietStream);
        v1::WatchCrewRequest r;
        r.set_name(s.assigned_case());
        auto reader = ops(s)->WatchCrew(context.get(), r);
        return StreamOutcome<v1::CrewPosition>(*context, reader);
      },
      OperatorCall(OK, OK)));
  rows.push_back(op(
      "OperatorService.ListResponders", false,
      [ops](Scene& s, Principal p) {
        v1::ListRespondersResponse out;
        return ops(s)->ListResponders(s.Context(p, Service::kOperator).get(),
                                      v1::ListRespondersRequest(), &out);
      },
      OperatorCall(OK, OK)));
  rows.push_back(op(
      "OperatorService.PostMessage", true,
      [ops](Scene& s, Principal p) {
        v1::PostMessageRequest r;
        r.set_case_(s.assigned_case());
        r.set_text("the crew is on its way");
        v1::CaseEvent e;
        return ops(s)->PostMessage(s.Context(p, Service::kOperator).get(), r, &e);
      },
      OperatorCall(OK, OK)));
  rows.push_back(op(
      "OperatorService.CancelCase", true,
      [ops](Scene& s, Principal p) {
        v1::CancelCaseRequest r;
        r.set_name(s.assigned_case());
        r.set_reason("confirmed false alarm");
        v1::Case c;
        return ops(s)->CancelCase(s.Context(p, Service::kOperator).get(), r, &c);
      },
      OperatorCall(OK, OK)));
  rows.push_back(op(
      "OperatorService.ResolveCase", true,
      [ops](Scene& s, Principal p) {
        v1::ResolveCaseRequest r;
        r.set_name(s.assigned_case());
        v1::Case c;
        return ops(s)->ResolveCase(s.Context(p, Service::kOperator).get(), r, &c);
      },
      OperatorCall(OK, OK)));
  rows.push_back(op(
      "OperatorService.CreateCaseNote", true,
      [ops](Scene& s, Principal p) {
        v1::CreateCaseNoteRequest r;
        r.set_parent(s.assigned_case());
        r.set_text("member sounded calm");
        v1::CaseNote out;
        return ops(s)->CreateCaseNote(s.Context(p, Service::kOperator).get(), r, &out);
      },
      OperatorCall(OK, OK)));
  rows.push_back(op(
      "OperatorService.ListCaseNotes", false,
      [ops](Scene& s, Principal p) {
        v1::ListCaseNotesRequest r;
        r.set_parent(s.assigned_case());
        v1::ListCaseNotesResponse out;
        return ops(s)->ListCaseNotes(s.Context(p, Service::kOperator).get(), r, &out);
      },
      OperatorCall(OK, OK)));
  rows.push_back(op(
      "OperatorService.AssignCase", true,
      [ops](Scene& s, Principal p) {
        v1::AssignCaseRequest r;
        r.set_name(s.offered_case());
        r.set_responder(s.unrelated().name());
        v1::Case c;
        return ops(s)->AssignCase(s.Context(p, Service::kOperator).get(), r, &c);
      },
      OperatorCall(OK, OK)));
  rows.push_back(op(
      "OperatorService.TakeCase", true,
      [ops](Scene& s, Principal p) {
        v1::TakeCaseRequest r;
        r.set_name(s.offered_case());
        v1::Case c;
        return ops(s)->TakeCase(s.Context(p, Service::kOperator).get(), r, &c);
      },
      OperatorCall(OK, OK)));
  rows.push_back(op(
      "OperatorService.ReleaseCase", true,
      [ops](Scene& s, Principal p) {
        v1::ReleaseCaseRequest r;
        r.set_name(s.offered_case());
        v1::Case c;
        return ops(s)->ReleaseCase(s.Context(p, Service::kOperator).get(), r, &c);
      },
      OperatorCall(OK, OK),
      // Another agent owns the case; any agent may hand it back.
      [ops](Scene& s) {
        v1::TakeCaseRequest r;
        r.set_name(s.offered_case());
        v1::Case c;
        REQUIRE(ops(s)->TakeCase(Call(s.desk_token()).get(), r, &c).ok());
      }));
  rows.push_back(op(
      "OperatorService.EscalateCase", true,
      [ops](Scene& s, Principal p) {
        v1::EscalateCaseRequest r;
        r.set_name(s.offered_case());
        r.set_reason("needs a second unit");
        v1::Case c;
        return ops(s)->EscalateCase(s.Context(p, Service::kOperator).get(), r, &c);
      },
      OperatorCall(OK, OK)));
  rows.push_back(op(
      "OperatorService.KeepCrew", true,
      [ops](Scene& s, Principal p) {
        v1::KeepCrewRequest r;
        r.set_name(s.assigned_case());
        r.set_responder(s.assigned().name());
        v1::Case c;
        return ops(s)->KeepCrew(s.Context(p, Service::kOperator).get(), r, &c);
      },
      // Let through, and refused for what it is: the case has one crew and
      // seeks no second.
      OperatorCall(FP, FP)));
  rows.push_back(op(
      "OperatorService.ListCaseTrack", false,
      [ops](Scene& s, Principal p) {
        v1::ListCaseTrackRequest r;
        r.set_parent(s.assigned_case());
        v1::ListCaseTrackResponse out;
        return ops(s)->ListCaseTrack(s.Context(p, Service::kOperator).get(), r, &out);
      },
      OperatorCall(OK, OK)));
  rows.push_back(op(
      "OperatorService.GetResponder", false,
      [ops](Scene& s, Principal p) {
        v1::GetResponderRequest r;
        r.set_name(s.assigned().name());
        v1::Responder out;
        return ops(s)->GetResponder(s.Context(p, Service::kOperator).get(), r, &out);
      },
      OperatorCall(OK, OK)));
  rows.push_back(op(
      "OperatorService.CreateToken", true,
      [ops](Scene& s, Principal p) {
        v1::CreateTokenRequest r;
        r.set_role(v1::ROLE_ADMIN);
        r.set_subject("mallory");
        v1::CreateTokenResponse out;
        return ops(s)->CreateToken(s.Context(p, Service::kOperator).get(), r, &out);
      },
      OperatorCall(PD, OK)));
  rows.push_back(op(
      "OperatorService.ListTokens", false,
      [ops](Scene& s, Principal p) {
        v1::ListTokensResponse out;
        return ops(s)->ListTokens(s.Context(p, Service::kOperator).get(), v1::ListTokensRequest(),
                                  &out);
      },
      OperatorCall(PD, OK)));
  rows.push_back(op(
      "OperatorService.RevokeToken", true,
      [ops](Scene& s, Principal p) {
        v1::RevokeTokenRequest r;
        r.set_name(s.spare_token());
        v1::Token out;
        return ops(s)->RevokeToken(s.Context(p, Service::kOperator).get(), r, &out);
      },
      OperatorCall(PD, OK)));
  rows.push_back(op(
      "OperatorService.ListAuditEntries", false,
      [ops](Scene& s, Principal p) {
        v1::ListAuditEntriesResponse out;
        return ops(s)->ListAuditEntries(s.Context(p, Service::kOperator).get(),
                                        v1::ListAuditEntriesRequest(), &out);
      },
      OperatorCall(PD, OK)));
  rows.push_back(op(
      "OperatorService.VerifyAuditTrail", false,
      [ops](Scene& s, Principal p) {
        v1::VerifyAuditTrailResponse out;
        return ops(s)->VerifyAuditTrail(s.Context(p, Service::kOperator).get(),
                                        v1::VerifyAuditTrailRequest(), &out);
      },
      OperatorCall(PD, OK)));
  AddWebhookRows(rows);
  // --- FleetService: fleet tokens only, for their own crews (the scene's
  // crews are "r-...", the fleet token's subject "r").
  rows.push_back({"FleetService.ReportPositions", Service::kFleet, true,
                  [](Scene& s, Principal p) {
                    auto context = s.Context(p, Service::kFleet);
                    v1::ReportPositionsResponse out;
                    auto writer = s.server().Fleets()->ReportPositions(context.get(), &out);
                    v1::ReportPositionsRequest batch;
                    for (const char* crew : {"responders/r-unrelated", "responders/r-assigned"}) {
                      v1::FleetPosition* position = batch.add_positions();
                      position->set_responder(crew);
                      *position->mutable_location() = Alert("x").location();
                    }
                    writer->Write(batch);
                    writer->WritesDone();
                    return writer->Finish();
                  },
                  FleetCall(OK)});
  return rows;
}

}  // namespace mayday::testing
