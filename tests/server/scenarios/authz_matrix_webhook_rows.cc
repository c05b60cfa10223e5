// The authorisation matrix's rows for OperatorService's webhook calls,
// admins only; see authz_matrix_rows.h. The endpoint named in the calls on
// one is unknown: an admin is let through and told so (NOT_FOUND).
#include <string>

#include "authz_matrix_rows.h"
#include "mayday/v1/operator_service.grpc.pb.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

constexpr char kUnknownEndpoint[] = "webhooks/wh-0000000000000000";

// Refused to all but admins; an admin gets `admin`.
Expected AdminCall(Code admin) { return {PD, PD, PD, PD, PD, PD, admin, PD, UA, UA, UA, UA}; }

Row WebhookRow(const char* rpc, bool changes, CallFn call, Code admin) {
  return Row{rpc, Service::kOperator, changes, std::move(call), AdminCall(admin), nullptr};
}

}  // namespace

void AddWebhookRows(std::vector<Row>& rows) {
  rows.push_back(WebhookRow(
      "OperatorService.CreateWebhookEndpoint", true,
      [](Scene& s, Principal p) {
        v1::CreateWebhookEndpointRequest r;
        r.mutable_endpoint()->set_url("https://hooks.example.org/mayday");
        r.set_secret(std::string(32, 's'));
        v1::WebhookEndpoint out;
        return s.server().Operators()->CreateWebhookEndpoint(s.Context(p, Service::kOperator).get(),
                                                             r, &out);
      },
      OK));
  rows.push_back(WebhookRow(
      "OperatorService.ListWebhookEndpoints", false,
      [](Scene& s, Principal p) {
        v1::ListWebhookEndpointsResponse out;
        return s.server().Operators()->ListWebhookEndpoints(
            s.Context(p, Service::kOperator).get(), v1::ListWebhookEndpointsRequest(), &out);
      },
      OK));
  rows.push_back(WebhookRow(
      "OperatorService.DeleteWebhookEndpoint", true,
      [](Scene& s, Principal p) {
        v1::DeleteWebhookEndpointRequest r;
        r.set_name(kUnknownEndpoint);
        google::protobuf::Empty out;
        return s.server().Operators()->DeleteWebhookEndpoint(s.Context(p, Service::kOperator).get(),
                                                             r, &out);
      },
      NF));
  rows.push_back(WebhookRow(
      "OperatorService.ListWebhookDeliveries", false,
      [](Scene& s, Principal p) {
        v1::ListWebhookDeliveriesRequest r;
        r.set_endpoint(kUnknownEndpoint);
        v1::ListWebhookDeliveriesResponse out;
        return s.server().Operators()->ListWebhookDeliveries(s.Context(p, Service::kOperator).get(),
                                                             r, &out);
      },
      NF));
  rows.push_back(WebhookRow(
      "OperatorService.RedeliverWebhooks", true,
      [](Scene& s, Principal p) {
        v1::RedeliverWebhooksRequest r;
        r.set_endpoint(kUnknownEndpoint);
        v1::RedeliverWebhooksResponse out;
        return s.server().Operators()->RedeliverWebhooks(s.Context(p, Service::kOperator).get(), r,
                                                         &out);
      },
      NF));
}

}  // namespace mayday::testing
