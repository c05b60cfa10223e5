// The RPC harnesses' server and fixtures; see fuzz_world.h.
#include "fuzz_world.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/names.h"
#include "google/protobuf/descriptor.h"
#include "mayday/v1/alert_service.grpc.pb.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "mayday/v1/responder_service.grpc.pb.h"
#include "rpc/validation.h"

namespace mayday::fuzz {
namespace {

namespace v1 = mayday::v1;
using google::protobuf::FieldDescriptor;

// A token nobody issued: well-formed, so it reaches the token lookup.
constexpr char kBadToken[] = "mdy_00000000000000000000000000000000000000000000000000000000000000ff";

[[noreturn]] void SetUpFailed(absl::string_view what, const grpc::Status& status) {
  std::fprintf(stderr, "fuzz world: %.*s failed: %s\n", static_cast<int>(what.size()), what.data(),
               status.error_message().c_str());
  std::abort();
}

// Replaces "@x..." in one string.
void Replace(const World& world, std::string* value) {
  if (value->size() < 2 || (*value)[0] != '@') return;
  *value = absl::StrCat(world.Resolve((*value)[1]), value->substr(2));
}

}  // namespace

World& World::Get() {
  static World* world = new World();
  return *world;
}

World::World() : server_(absl::Hours(1)), channel_(server_.Channel()) {
  operator_ = server_.Token("operator", "fz-agent");
  admin_ = server_.Token("admin", "fz-admin");
  fleet_ = server_.Token("fleet", "fz");
  Build();
  // libFuzzer ends the process with exit(), whose handlers tear OpenSSL
  // down while the server's webhook threads may still sign with it: stop
  // the server first (handlers run last registered first).
  std::atexit([] { World::Get().server_.server().Shutdown(absl::ZeroDuration()); });
}

std::string World::Token(Caller caller) const {
  switch (caller) {
    case Caller::kMemberA:
      return member_a_;
    case Caller::kMemberB:
      return member_b_;
    case Caller::kResponder1:
      return crews_[0]->token();
    case Caller::kResponder2:
      return crews_[1]->token();
    case Caller::kOperator:
      return operator_;
    case Caller::kAdmin:
      return admin_;
    case Caller::kNoToken:
      return "";
    case Caller::kBadToken:
      return kBadToken;
    case Caller::kFleet:
      return fleet_;
  }
  return "";
}

std::string World::Name(Caller caller) const {
  switch (caller) {
    case Caller::kMemberA:
      return "members/" + member_a_subject_;
    case Caller::kMemberB:
      return "members/" + member_b_subject_;
    case Caller::kResponder1:
      return crews_[0]->name();
    case Caller::kResponder2:
      return crews_[1]->name();
    case Caller::kOperator:
      return "operators/fz-agent";
    case Caller::kAdmin:
      return "operators/fz-admin";
    case Caller::kFleet:
      return "fleets/fz";
    case Caller::kNoToken:
    case Caller::kBadToken:
      return "";
  }
  return "";
}

std::string World::Resolve(char letter) const {
  switch (letter) {
    case 'b':
      return cases_[1];
    case 'o':
      return cases_[2];
    case 's':
      return cases_[3];
    case 'r':
      return cases_[4];
    case 'c':
      return cases_[5];
    case '1':
      return crews_[0]->name();
    case '2':
      return crews_[1]->name();
    case '3':
      return crews_[2]->name();
    case 'w':
      return webhook_;
    default:
      return cases_[0];
  }
}

void World::Substitute(google::protobuf::Message* message) const {
  const google::protobuf::Descriptor* descriptor = message->GetDescriptor();
  const google::protobuf::Reflection* reflection = message->GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      if (field->is_repeated()) {
        for (int j = 0; j < reflection->FieldSize(*message, field); ++j) {
          std::string value = reflection->GetRepeatedString(*message, field, j);
          Replace(*this, &value);
          reflection->SetRepeatedString(message, field, j, value);
        }
      } else {
        std::string value = reflection->GetString(*message, field);
        Replace(*this, &value);
        reflection->SetString(message, field, value);
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int j = 0; j < reflection->FieldSize(*message, field); ++j) {
          Substitute(reflection->MutableRepeatedMessage(message, field, j));
        }
      } else if (reflection->HasField(*message, field)) {
        Substitute(reflection->MutableMessage(message, field));
      }
    }
  }
}

void World::BeforeInput() {
  ++inputs_since_build_;
  if (changed_ && inputs_since_build_ >= kRebuildEvery) Build();
}

std::optional<v1::Case> World::StoredCase(const std::string& name) {
  auto id = server::ParseCaseName("name", name);
  if (!id.ok()) return std::nullopt;
  auto found = server_.server().store().GetCase(*id);
  if (!found.ok()) return std::nullopt;
  return *found;
}

void World::Build() {
  // The old generation's crews go off duty, so that nothing they held is
  // offered to the new one (which is, besides, beyond the dispatch radius).
  for (auto& crew : crews_) {
    if (crew == nullptr) continue;
    v1::SetDutyRequest off;
    v1::Responder ignored;
    crew->stub().SetDuty(testing::Call(crew->token()).get(), off, &ignored);
    crew.reset();
  }
  ++generation_;
  changed_ = false;
  member_a_subject_ = absl::StrCat("fz-a-g", generation_);
  member_b_subject_ = absl::StrCat("fz-b-g", generation_);
  member_a_ = server_.Token("member", member_a_subject_);
  member_b_ = server_.Token("member", member_b_subject_);
  inputs_since_build_ = 0;
  // A spot per generation, 1.25 degrees (> 130 km) apart, away from the
  // seeds' Amsterdam so that fuzzed alerts rarely reach the fixtures' crews.
  const double latitude = -50 + (generation_ % 80) * 1.25;
  const double longitude = -120 + (generation_ / 80 % 100) * 1.0;

  auto alerts = v1::AlertService::NewStub(channel_);
  auto operators = v1::OperatorService::NewStub(channel_);
  auto raise = [&](const std::string& token, v1::CaseKind kind, const char* tag) {
    v1::RaiseAlertRequest request =
        testing::Alert(absl::StrCat("fz-g", generation_, "-", tag), kind);
    request.mutable_location()->set_latitude(latitude);
    request.mutable_location()->set_longitude(longitude);
    v1::Case opened;
    grpc::Status status = alerts->RaiseAlert(testing::Call(token).get(), request, &opened);
    if (!status.ok()) SetUpFailed("RaiseAlert", status);
    return opened.name();
  };
  auto crew = [&](int index, double offset) {
    crews_[index] = std::make_unique<testing::Crew>(
        server_, absl::StrCat("fz-g", generation_, "-r", index + 1));
    grpc::Status status = crews_[index]->GoOnDuty(v1::CAPABILITY_TOW, latitude + offset, longitude);
    if (!status.ok()) SetUpFailed("GoOnDuty", status);
  };

  crew(0, 0);
  cases_[3] = raise(member_a_, v1::CASE_KIND_ROAD, "s");
  server_.server().SettleDispatch();
  if (auto s = crews_[0]->Accept(cases_[3]); !s.ok()) SetUpFailed("AcceptOffer", s);

  // A member has one open case of each kind: A's closed medical cases are
  // raised and closed before A's open one, and the offered road case is B's
  // (A's road case is the assigned one).
  crew(1, 0.01);
  cases_[2] = raise(member_b_, v1::CASE_KIND_ROAD, "o");
  cases_[4] = raise(member_a_, v1::CASE_KIND_MEDICAL, "r");
  server_.server().SettleDispatch();
  v1::ResolveCaseRequest resolve;
  resolve.set_name(cases_[4]);
  v1::Case closed;
  if (auto s = operators->ResolveCase(testing::Call(operator_).get(), resolve, &closed); !s.ok()) {
    SetUpFailed("ResolveCase", s);
  }
  cases_[5] = raise(member_a_, v1::CASE_KIND_MEDICAL, "c");
  v1::CancelCaseRequest cancel;
  cancel.set_name(cases_[5]);
  cancel.set_reason("fixture");
  if (auto s = alerts->CancelCase(testing::Call(member_a_).get(), cancel, &closed); !s.ok()) {
    SetUpFailed("CancelCase", s);
  }
  cases_[0] = raise(member_a_, v1::CASE_KIND_MEDICAL, "e");
  cases_[1] = raise(member_b_, v1::CASE_KIND_MEDICAL, "b");
  server_.server().SettleDispatch();
  crew(2, 0.02);
  server_.server().SettleDispatch();

  // @w: kept over generations, so that it has deliveries (pending, being
  // retried) for the calls that list and redeliver them.
  v1::ListWebhookEndpointsResponse endpoints;
  if (auto s = operators->ListWebhookEndpoints(testing::Call(admin_).get(), {}, &endpoints);
      !s.ok()) {
    SetUpFailed("ListWebhookEndpoints", s);
  }
  const bool kept = std::any_of(endpoints.endpoints().begin(), endpoints.endpoints().end(),
                                [&](const v1::WebhookEndpoint& e) { return e.name() == webhook_; });
  if (!kept && endpoints.endpoints_size() > 0) {
    webhook_ = endpoints.endpoints(0).name();  // made by an input, as safe
  } else if (!kept) {
    v1::CreateWebhookEndpointRequest create;
    create.mutable_endpoint()->set_url("https://192.0.2.1/hooks/fz");
    create.set_secret("fuzz-world-webhook-secret-0123456789");
    v1::WebhookEndpoint made;
    if (auto s = operators->CreateWebhookEndpoint(testing::Call(admin_).get(), create, &made);
        !s.ok()) {
      SetUpFailed("CreateWebhookEndpoint", s);
    }
    webhook_ = made.name();
  }
}

}  // namespace mayday::fuzz
