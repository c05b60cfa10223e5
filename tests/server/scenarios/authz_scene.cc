// The cast of the authorisation tests; see authz_scene.h.
#include "authz_scene.h"

#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/token.h"
#include "dispatcher/dispatcher.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

// Amsterdam, where every alert of Alert() is raised; crews wait 1 km away.
constexpr double kCrewLatitude = 52.3766;
constexpr double kCrewLongitude = 4.9041;

void Must(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(absl::StrCat("scene: ", what));
}
void Must(const grpc::Status& status, const std::string& what) {
  Must(status.ok(), absl::StrCat(what, ": ", status.error_message()));
}

// Issues a token and revokes it at once, before anyone used it.
std::string RevokedToken(TestServer& server, const std::string& role, const std::string& subject) {
  const std::string token = server.Token(role, subject);
  auto revoked = server.server().store().RevokeToken(server::TokenId(server::HashToken(token)));
  Must(revoked.ok(), "revoking a token");
  return token;
}

}  // namespace

const char* PrincipalName(Principal principal) {
  switch (principal) {
    case Principal::kMemberA:
      return "member A (owner)";
    case Principal::kMemberB:
      return "member B";
    case Principal::kOffered:
      return "offered responder";
    case Principal::kAssigned:
      return "assigned responder";
    case Principal::kUnrelated:
      return "unrelated responder";
    case Principal::kOperator:
      return "operator";
    case Principal::kAdmin:
      return "admin";
    case Principal::kFleet:
      return "fleet feed";
    case Principal::kNoToken:
      return "no token";
    case Principal::kMalformed:
      return "malformed token";
    case Principal::kUnknown:
      return "unknown token";
    case Principal::kRevoked:
      return "revoked token";
  }
  return "?";
}

Scene::Scene()
    : server_(absl::Minutes(10)),  // offers stay pending for the whole test
      member_a_(server_.Token("member", "alice")),
      member_b_(server_.Token("member", "bob")),
      operator_(server_.Token("operator", "olga")),
      admin_(server_.Token("admin", "ada")),
      desk_(server_.Token("operator", "desk")),
      fleet_(server_.Token("fleet", "r")),
      revoked_member_(RevokedToken(server_, "member", "alice")),
      revoked_responder_(RevokedToken(server_, "responder", "r-assigned")),
      revoked_admin_(RevokedToken(server_, "admin", "ada")),
      revoked_fleet_(RevokedToken(server_, "fleet", "r")) {
  auto alerts = server_.Alerts();
  v1::Case c;

  // Closed: no crew is on duty yet, so it escalates; then A cancels it.
  Must(alerts->RaiseAlert(Call(member_a_).get(), Alert("closed"), &c), "raising the closed case");
  closed_case_ = c.name();
  server_.server().SettleDispatch();
  v1::CancelCaseRequest cancel;
  cancel.set_name(closed_case_);
  cancel.set_reason("false alarm");
  Must(alerts->CancelCase(Call(member_a_).get(), cancel, &c), "cancelling the closed case");

  // Assigned: the only crew on duty, an ambulance, is offered A's medical
  // case and accepts. (Medical, because A may have one case of each kind
  // open; the offered case below is A's road case.)
  assigned_ = std::make_unique<Crew>(server_, "r-assigned");
  Must(assigned_->GoOnDuty(v1::CAPABILITY_AMBULANCE, kCrewLatitude, kCrewLongitude),
       "assigned crew on duty");
  assigned_->Subscribe();
  Must(alerts->RaiseAlert(Call(member_a_).get(), Alert("assigned", v1::CASE_KIND_MEDICAL), &c),
       "raising the assigned case");
  assigned_case_ = c.name();
  auto offer = assigned_->NextOffer();
  Must(offer.has_value() && offer->case_() == assigned_case_, "offer of the assigned case");
  Must(assigned_->Accept(assigned_case_), "accepting the assigned case");

  // Offered: the next crew on duty gets the offer and leaves it pending.
  offered_ = std::make_unique<Crew>(server_, "r-offered");
  Must(offered_->GoOnDuty(v1::CAPABILITY_TOW, kCrewLatitude, kCrewLongitude),
       "offered crew on duty");
  offered_->Subscribe();
  Must(alerts->RaiseAlert(Call(member_a_).get(), Alert("offered"), &c), "raising the offered case");
  offered_case_ = c.name();
  offer = offered_->NextOffer();
  Must(offer.has_value() && offer->case_() == offered_case_, "offer of the offered case");

  // Unrelated: on duty, but road cases never need an ambulance (and the
  // medical case is assigned already).
  unrelated_ = std::make_unique<Crew>(server_, "r-unrelated");
  Must(unrelated_->GoOnDuty(v1::CAPABILITY_AMBULANCE, kCrewLatitude, kCrewLongitude),
       "unrelated crew on duty");
  // Attached before the scene is used (Subscribe returns once it is): a
  // Subscribe of this responder made later must be the newer stream (it
  // replaces this one, not the reverse).
  unrelated_->Subscribe();

  const std::string spare = server_.Token("member", "spare");
  spare_token_ = absl::StrCat("tokens/", server::TokenId(server::HashToken(spare)));

  // A's safety timer, running for an hour.
  v1::StartSafetyTimerRequest timer;
  timer.set_request_id("scene-timer");
  timer.set_kind(v1::CASE_KIND_ROAD);
  *timer.mutable_location() = Alert("x").location();
  timer.mutable_deadline()->set_seconds(absl::ToUnixSeconds(server_.server().clock().Now()) + 3600);
  v1::SafetyTimer started;
  Must(alerts->StartSafetyTimer(Call(member_a_).get(), timer, &started), "starting A's timer");
  running_timer_ = started.name();

  // A's medical profile (the assigned case is A's medical case).
  v1::UpdateMedicalProfileRequest profile;
  profile.mutable_profile()->add_allergies("penicillin");
  profile.mutable_profile()->set_blood_group(v1::MedicalProfile::BLOOD_GROUP_O_NEGATIVE);
  v1::MedicalProfile stored;
  Must(alerts->UpdateMedicalProfile(Call(member_a_).get(), profile, &stored),
       "storing A's medical profile");
}

Scene::~Scene() = default;

std::unique_ptr<grpc::ClientContext> Scene::Context(Principal principal, Service service,
                                                    absl::Duration timeout) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  std::optional<std::string> header;
  const auto bearer = [](const std::string& token) { return absl::StrCat("Bearer ", token); };
  switch (principal) {
    case Principal::kMemberA:
      header = bearer(member_a_);
      break;
    case Principal::kMemberB:
      header = bearer(member_b_);
      break;
    case Principal::kOffered:
      header = bearer(offered_->token());
      break;
    case Principal::kAssigned:
      header = bearer(assigned_->token());
      break;
    case Principal::kUnrelated:
      header = bearer(unrelated_->token());
      break;
    case Principal::kOperator:
      header = bearer(operator_);
      break;
    case Principal::kAdmin:
      header = bearer(admin_);
      break;
    case Principal::kFleet:
      header = bearer(fleet_);
      break;
    case Principal::kNoToken:
      break;
    case Principal::kMalformed:
      header = absl::StrCat("Basic ", member_a_);  // a real token, the wrong scheme
      break;
    case Principal::kUnknown:
      header = bearer(absl::StrCat("mdy_", std::string(64, '0')));
      break;
    case Principal::kRevoked:
      header = bearer(service == Service::kAlert       ? revoked_member_
                      : service == Service::kResponder ? revoked_responder_
                      : service == Service::kFleet     ? revoked_fleet_
                                                       : revoked_admin_);
      break;
  }
  if (header.has_value()) context->AddMetadata("authorization", *header);
  return context;
}

std::array<mayday::v1::Case, 3> Scene::Cases() {
  std::array<mayday::v1::Case, 3> out;
  const std::string* names[] = {&closed_case_, &assigned_case_, &offered_case_};
  for (int i = 0; i < 3; ++i) {
    auto found = server_.server().store().GetCase(names[i]->substr(6));  // after "cases/"
    Must(found.ok(), absl::StrCat("reading ", *names[i]));
    out[i] = *found;
  }
  return out;
}

}  // namespace mayday::testing
