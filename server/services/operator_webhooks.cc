// OperatorService: webhook endpoints, for admins only. An endpoint's secret
// comes in once and never goes out; every change is audited with it, and
// the reads of the registry and of deliveries are audited as reads.
#include <algorithm>
#include <cstring>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "api/names.h"
#include "api/proto_time.h"
#include "log/log.h"
#include "openssl/rand.h"
#include "rpc/unary.h"
#include "services/admit.h"
#include "services/audit_trail.h"
#include "services/operator_service.h"
#include "webhooks/address_policy.h"
#include "webhooks/deliverer.h"
#include "webhooks/payload.h"

namespace mayday::server {
namespace {

using ::mayday::v1::WebhookFormat;

constexpr size_t kMinSecretBytes = 16;
constexpr size_t kMaxSecretBytes = 1024;
// Each endpoint has threads of its own (webhooks/deliverer.h).
constexpr size_t kMaxEndpoints = 32;

// "webhooks/{id}" → id: INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<std::string> ParseWebhookName(absl::string_view field, absl::string_view name) {
  absl::string_view id = name;
  const bool named = absl::ConsumePrefix(&id, "webhooks/");
  const bool valid =
      named && !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
        return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-';
      });
  if (!valid) {
    return absl::InvalidArgumentError(
        absl::StrCat(field,
                     " must be \"webhooks/{id}\" as CreateWebhookEndpoint or ListWebhookEndpoints "
                     "gave it; got \"",
                     absl::CHexEscape(name.substr(0, 80)), "\""));
  }
  return std::string(id);
}

absl::StatusOr<std::string> FormatName(WebhookFormat format) {
  switch (format) {
    case mayday::v1::WEBHOOK_FORMAT_UNSPECIFIED:
    case mayday::v1::WEBHOOK_FORMAT_JSON:
      return std::string("json");
    case mayday::v1::WEBHOOK_FORMAT_CAP:
      return std::string("cap");
    case mayday::v1::WEBHOOK_FORMAT_EIDO:
      return std::string("eido");
    default:
      break;
  }
  return absl::InvalidArgumentError(
      "format must be WEBHOOK_FORMAT_JSON, WEBHOOK_FORMAT_CAP or WEBHOOK_FORMAT_EIDO");
}

WebhookFormat FormatOf(const std::string& name) {
  if (name == "cap") return mayday::v1::WEBHOOK_FORMAT_CAP;
  if (name == "eido") return mayday::v1::WEBHOOK_FORMAT_EIDO;
  return mayday::v1::WEBHOOK_FORMAT_JSON;
}

// The event types an endpoint asks for: each a change of CaseEvent, once.
absl::Status CheckEventTypes(const google::protobuf::RepeatedPtrField<std::string>& types) {
  const std::vector<std::string> names = webhooks::ChangeNames();
  for (int i = 0; i < types.size(); ++i) {
    if (std::find(names.begin(), names.end(), types[i]) == names.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("event_types[", i, "] \"", absl::CHexEscape(types[i].substr(0, 40)),
                       "\" is not a case event; the types are: ", absl::StrJoin(names, ", ")));
    }
    for (int j = 0; j < i; ++j) {
      if (types[j] == types[i]) {
        return absl::InvalidArgumentError(
            absl::StrCat("event_types lists \"", types[i], "\" twice"));
      }
    }
  }
  return absl::OkStatus();
}

std::string NewEndpointId() {
  unsigned char bytes[8];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    // Ids need only be unique; a clash is refused by the store.
    const uint64_t now = absl::ToUnixNanos(absl::Now());
    std::memcpy(bytes, &now, sizeof bytes);
  }
  std::string id = "wh-";
  for (unsigned char b : bytes) absl::StrAppend(&id, absl::Hex(b, absl::kZeroPad2));
  return id;
}

mayday::v1::WebhookEndpoint ToProto(const WebhookEndpoint& endpoint) {
  mayday::v1::WebhookEndpoint out;
  out.set_name(absl::StrCat("webhooks/", endpoint.id));
  out.set_url(endpoint.url);
  for (const std::string& type : endpoint.events) out.add_event_types(type);
  out.set_format(FormatOf(endpoint.format));
  *out.mutable_create_time() = ToProtoTime(endpoint.create_time);
  out.set_creator(endpoint.creator);
  out.set_pending_deliveries(endpoint.pending);
  out.set_dead_deliveries(endpoint.dead);
  out.set_delivered(endpoint.delivered);
  return out;
}

mayday::v1::WebhookDelivery ToProto(const WebhookDelivery& row) {
  mayday::v1::WebhookDelivery out;
  out.set_endpoint(absl::StrCat("webhooks/", row.endpoint));
  out.set_case_(absl::StrCat("cases/", row.case_id));
  out.set_sequence(row.sequence);
  out.set_idempotency_key(webhooks::IdempotencyKey(row.case_id, row.sequence));
  switch (row.state) {
    case DeliveryState::kPending:
      out.set_state(mayday::v1::WebhookDelivery::STATE_PENDING);
      *out.mutable_next_attempt_time() = ToProtoTime(row.next_attempt);
      break;
    case DeliveryState::kDelivered:
      out.set_state(mayday::v1::WebhookDelivery::STATE_DELIVERED);
      break;
    case DeliveryState::kDead:
      out.set_state(mayday::v1::WebhookDelivery::STATE_DEAD);
      break;
  }
  out.set_attempts(static_cast<int32_t>(row.attempts));
  *out.mutable_create_time() = ToProtoTime(row.create_time);
  if (row.last_attempt != absl::InfinitePast()) {
    *out.mutable_last_attempt_time() = ToProtoTime(row.last_attempt);
  }
  out.set_last_result(row.last_result);
  return out;
}

// The endpoint with id `id`, counted; NOT_FOUND naming it if none.
absl::StatusOr<WebhookEndpoint> FindEndpoint(Store& store, const std::string& id) {
  absl::StatusOr<std::vector<WebhookEndpoint>> endpoints = store.ListWebhooks(true);
  if (!endpoints.ok()) return endpoints.status();
  for (WebhookEndpoint& endpoint : *endpoints) {
    if (endpoint.id == id) return std::move(endpoint);
  }
  return absl::NotFoundError(
      absl::StrCat("webhooks/", id, " not found (maydayctl webhooks list shows them)"));
}

}  // namespace

grpc::ServerUnaryReactor* OperatorServiceImpl::CreateWebhookEndpoint(
    grpc::CallbackServerContext* context, const mayday::v1::CreateWebhookEndpointRequest* request,
    mayday::v1::WebhookEndpoint* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto admin = services_.auth->Require(*context, Role::kAdmin);
    if (!admin.ok()) return admin.status();
    const mayday::v1::WebhookEndpoint& wanted = request->endpoint();
    if (auto s = webhooks::CheckEndpointUrl(wanted.url(), services_.webhook_allow_http); !s.ok()) {
      return s;
    }
    if (auto s = CheckEventTypes(wanted.event_types()); !s.ok()) return s;
    auto format = FormatName(wanted.format());
    if (!format.ok()) return format.status();
    if (request->secret().size() < kMinSecretBytes || request->secret().size() > kMaxSecretBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("secret must be ", kMinSecretBytes, " to ", kMaxSecretBytes, " bytes; got ",
                       request->secret().size(), " (make one with: openssl rand -hex 32)"));
    }
    WebhookEndpoint endpoint;
    endpoint.id = NewEndpointId();
    endpoint.url = wanted.url();
    endpoint.events.assign(wanted.event_types().begin(), wanted.event_types().end());
    endpoint.format = *format;
    endpoint.secret = request->secret();
    endpoint.creator = admin->Name();
    const std::string name = absl::StrCat("webhooks/", endpoint.id);
    const AuditEntry audit = AuditOf(
        *admin, *services_.clock, "webhook.create", name,
        absl::StrCat("url ", endpoint.url, ", format ", endpoint.format, ", events ",
                     endpoint.events.empty() ? "all" : absl::StrJoin(endpoint.events, " ")));
    endpoint.create_time = audit.time;
    // Two registrations at once may both pass: the limit bounds threads,
    // not a promise.
    absl::StatusOr<std::vector<WebhookEndpoint>> existing = services_.store->ListWebhooks(false);
    if (!existing.ok()) return existing.status();
    if (existing->size() >= kMaxEndpoints) {
      return absl::FailedPreconditionError(
          absl::StrCat("there are ", existing->size(),
                       " webhook endpoints already, the most maydayd delivers to; remove one first "
                       "(maydayctl webhooks remove)"));
    }
    absl::Status stored = SubmitAndWait(*services_.store, [&](WriteTxn& txn) -> absl::Status {
      if (auto s = txn.PutWebhook(endpoint); !s.ok()) return s;
      return txn.AppendAudit(audit);
    });
    if (!stored.ok()) return stored;
    if (services_.webhooks != nullptr) services_.webhooks->Poke();
    LogInfo("webhook_created", "%s for %s (%s) registered by %s", name, endpoint.url,
            endpoint.format, admin->Name());
    *response = ToProto(endpoint);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::ListWebhookEndpoints(
    grpc::CallbackServerContext* context, const mayday::v1::ListWebhookEndpointsRequest*,
    mayday::v1::ListWebhookEndpointsResponse* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto admin =
        Admit(services_, *context, Role::kAdmin, CallClass::kStaffReads, "ListWebhookEndpoints");
    if (!admin.ok()) return admin.status();
    auto endpoints = services_.store->ListWebhooks(true);
    if (!endpoints.ok()) return endpoints.status();
    for (const WebhookEndpoint& endpoint : *endpoints)
      *response->add_endpoints() = ToProto(endpoint);
    RecordRead(*services_.store, AuditOf(*admin, *services_.clock, "webhooks.list", "webhooks",
                                         absl::StrCat(response->endpoints_size(), " endpoints")))
        .IgnoreError();  // reported by RecordRead; the list is answered anyway
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::DeleteWebhookEndpoint(
    grpc::CallbackServerContext* context, const mayday::v1::DeleteWebhookEndpointRequest* request,
    google::protobuf::Empty*) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto admin = services_.auth->Require(*context, Role::kAdmin);
    if (!admin.ok()) return admin.status();
    auto id = ParseWebhookName("name", request->name());
    if (!id.ok()) return id.status();
    auto endpoint = FindEndpoint(*services_.store, *id);
    if (!endpoint.ok()) return endpoint.status();
    const AuditEntry audit =
        AuditOf(*admin, *services_.clock, "webhook.delete", request->name(),
                absl::StrCat("url ", endpoint->url, "; ", endpoint->pending, " pending and ",
                             endpoint->dead, " dead deliveries dropped"));
    absl::Status stored = SubmitAndWait(*services_.store, [&](WriteTxn& txn) -> absl::Status {
      if (auto s = txn.DeleteWebhook(*id); !s.ok()) return s;
      return txn.AppendAudit(audit);
    });
    if (!stored.ok()) return stored;
    if (services_.webhooks != nullptr) services_.webhooks->Poke();
    LogInfo("webhook_deleted", "%s (%s) removed by %s: %s", request->name(), endpoint->url,
            admin->Name(), audit.detail);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::ListWebhookDeliveries(
    grpc::CallbackServerContext* context, const mayday::v1::ListWebhookDeliveriesRequest* request,
    mayday::v1::ListWebhookDeliveriesResponse* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto admin =
        Admit(services_, *context, Role::kAdmin, CallClass::kStaffReads, "ListWebhookDeliveries");
    if (!admin.ok()) return admin.status();
    auto id = ParseWebhookName("endpoint", request->endpoint());
    if (!id.ok()) return id.status();
    if (auto endpoint = FindEndpoint(*services_.store, *id); !endpoint.ok()) {
      return endpoint.status();
    }
    DeliveryQuery query{.endpoint = *id, .states = {}, .limit = 100};
    if (request->page_size() < 0 || request->page_size() > 1000) {
      return absl::InvalidArgumentError(
          absl::StrCat("page_size must be 0 to 1000; got ", request->page_size()));
    }
    if (request->page_size() > 0) query.limit = request->page_size();
    for (int state : request->states()) {
      switch (state) {
        case mayday::v1::WebhookDelivery::STATE_PENDING:
          query.states.push_back(DeliveryState::kPending);
          break;
        case mayday::v1::WebhookDelivery::STATE_DELIVERED:
          query.states.push_back(DeliveryState::kDelivered);
          break;
        case mayday::v1::WebhookDelivery::STATE_DEAD:
          query.states.push_back(DeliveryState::kDead);
          break;
        default:
          return absl::InvalidArgumentError(
              "states must be STATE_PENDING, STATE_DELIVERED or STATE_DEAD");
      }
    }
    auto rows = services_.store->ListWebhookDeliveries(query);
    if (!rows.ok()) return rows.status();
    for (const WebhookDelivery& row : *rows) *response->add_deliveries() = ToProto(row);
    RecordRead(*services_.store,
               AuditOf(*admin, *services_.clock, "webhook.deliveries.list", request->endpoint(),
                       absl::StrCat(response->deliveries_size(), " deliveries")))
        .IgnoreError();  // reported by RecordRead; the list is answered anyway
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::RedeliverWebhooks(
    grpc::CallbackServerContext* context, const mayday::v1::RedeliverWebhooksRequest* request,
    mayday::v1::RedeliverWebhooksResponse* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto admin = services_.auth->Require(*context, Role::kAdmin);
    if (!admin.ok()) return admin.status();
    auto id = ParseWebhookName("endpoint", request->endpoint());
    if (!id.ok()) return id.status();
    std::string case_id;
    if (!request->case_().empty()) {
      auto parsed = ParseCaseName("case", request->case_());
      if (!parsed.ok()) return parsed.status();
      case_id = *parsed;
    }
    AuditEntry audit = AuditOf(*admin, *services_.clock, "webhook.redeliver", request->endpoint(),
                               case_id.empty() ? "" : request->case_());
    absl::StatusOr<int64_t> resumed = absl::UnknownError("not run");
    absl::Status stored = SubmitAndWait(*services_.store, [&](WriteTxn& txn) -> absl::Status {
      resumed = txn.Redeliver(*id, case_id, audit.time);
      if (!resumed.ok()) return resumed.status();
      audit.detail = absl::StrCat(*resumed, " dead deliveries resumed",
                                  case_id.empty() ? "" : absl::StrCat(" of ", request->case_()));
      return txn.AppendAudit(audit);
    });
    if (!stored.ok()) return stored;
    if (services_.webhooks != nullptr) services_.webhooks->Poke();
    LogInfo("webhook_redelivered", "%s: %s by %s", request->endpoint(), audit.detail,
            admin->Name());
    response->set_resumed(*resumed);
    return absl::OkStatus();
  });
}

}  // namespace mayday::server
