// maydayctl's `webhooks` group, for admins: add, list, remove, deliveries
// and redeliver (OperatorService's webhook calls; docs/integrations.md).
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "maydayctl/command_groups.h"
#include "maydayctl/format.h"
#include "maydayctl/operator_call.h"
#include "maydayctl/rpc.h"
#include "maydayctl/table.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;

// `webhooks add`'s flags as typed.
struct NewEndpointFlags {
  std::string url;
  std::string events;
  std::string format = "json";
  std::string secret_file;
};

// `webhooks deliveries`'s and `redeliver`'s.
struct DeliveryFlags {
  std::string endpoint;
  std::vector<std::string> states;
  int limit = 100;
  std::string case_id;
};

std::string FormatName(v1::WebhookFormat format) {
  switch (format) {
    case v1::WEBHOOK_FORMAT_CAP:
      return "cap";
    case v1::WEBHOOK_FORMAT_EIDO:
      return "eido";
    default:
      return "json";
  }
}

std::string StateName(v1::WebhookDelivery::State state) {
  switch (state) {
    case v1::WebhookDelivery::STATE_PENDING:
      return "pending";
    case v1::WebhookDelivery::STATE_DELIVERED:
      return "delivered";
    case v1::WebhookDelivery::STATE_DEAD:
      return "DEAD";
    default:
      return "?";
  }
}

// The secret in `path`, less a trailing newline (as `openssl rand -hex 32
// > F` writes it).
absl::StatusOr<std::string> ReadSecret(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read --secret-file ", path));
  std::stringstream text;
  text << in.rdbuf();
  std::string secret = text.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  return secret;
}

absl::Status AddEndpoint(const CtlOptions& options, const NewEndpointFlags& flags) {
  v1::CreateWebhookEndpointRequest request;
  request.mutable_endpoint()->set_url(flags.url);
  for (absl::string_view type : absl::StrSplit(flags.events, ',', absl::SkipWhitespace())) {
    request.mutable_endpoint()->add_event_types(std::string(absl::StripAsciiWhitespace(type)));
  }
  request.mutable_endpoint()->set_format(flags.format == "cap"    ? v1::WEBHOOK_FORMAT_CAP
                                         : flags.format == "eido" ? v1::WEBHOOK_FORMAT_EIDO
                                                                  : v1::WEBHOOK_FORMAT_JSON);
  auto secret = ReadSecret(flags.secret_file);
  if (!secret.ok()) return secret.status();
  request.set_secret(*std::move(secret));
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  v1::WebhookEndpoint created;
  absl::Status status =
      FromGrpc((*stub)->CreateWebhookEndpoint(NewCallContext(options).get(), request, &created));
  if (!status.ok()) return status;
  if (options.json) return PrintJson(created);
  std::cout << created.name() << '\n';
  std::cerr << "deliveries of the events committed from now on go to " << created.url()
            << ", signed with the secret in " << flags.secret_file << '\n';
  return absl::OkStatus();
}

absl::Status ListEndpoints(const CtlOptions& options) {
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  v1::ListWebhookEndpointsResponse listed;
  absl::Status status = FromGrpc((*stub)->ListWebhookEndpoints(
      NewCallContext(options).get(), v1::ListWebhookEndpointsRequest(), &listed));
  if (!status.ok()) return status;
  if (options.json) return PrintJson(listed);
  Table table({"NAME", "URL", "FORMAT", "EVENTS", "PENDING", "DEAD", "DELIVERED", "BY"});
  for (const v1::WebhookEndpoint& e : listed.endpoints()) {
    table.AddRow({e.name(), e.url(), FormatName(e.format()),
                  e.event_types().empty() ? "all" : absl::StrJoin(e.event_types(), ","),
                  absl::StrCat(e.pending_deliveries()), absl::StrCat(e.dead_deliveries()),
                  absl::StrCat(e.delivered()), e.creator()});
  }
  std::cout << table.Render();
  for (const v1::WebhookEndpoint& e : listed.endpoints()) {
    if (e.dead_deliveries() == 0) continue;
    std::cerr << "!DEAD LETTERS! " << e.name() << ": " << e.dead_deliveries()
              << " deliveries gave up (their cases' later events wait behind them): see "
                 "`maydayctl webhooks deliveries "
              << e.name() << "`, then `maydayctl webhooks redeliver " << e.name() << "`\n";
  }
  return absl::OkStatus();
}

absl::Status RemoveEndpoint(const CtlOptions& options, const std::string& name) {
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  v1::DeleteWebhookEndpointRequest request;
  request.set_name(name);
  google::protobuf::Empty empty;
  absl::Status status =
      FromGrpc((*stub)->DeleteWebhookEndpoint(NewCallContext(options).get(), request, &empty));
  if (!status.ok()) return status;
  if (!options.json) std::cerr << name << " removed\n";
  return absl::OkStatus();
}

absl::Status ListDeliveries(const CtlOptions& options, const DeliveryFlags& flags) {
  v1::ListWebhookDeliveriesRequest request;
  request.set_endpoint(flags.endpoint);
  request.set_page_size(flags.limit);
  for (const std::string& state : flags.states) {
    request.add_states(state == "pending"     ? v1::WebhookDelivery::STATE_PENDING
                       : state == "delivered" ? v1::WebhookDelivery::STATE_DELIVERED
                                              : v1::WebhookDelivery::STATE_DEAD);
  }
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  v1::ListWebhookDeliveriesResponse listed;
  absl::Status status =
      FromGrpc((*stub)->ListWebhookDeliveries(NewCallContext(options).get(), request, &listed));
  if (!status.ok()) return status;
  if (options.json) return PrintJson(listed);
  const absl::Time now = absl::Now();
  Table table({"EVENT", "STATE", "ATTEMPTS", "QUEUED", "LAST TRY", "NEXT TRY", "LAST RESULT"});
  for (const v1::WebhookDelivery& d : listed.deliveries()) {
    table.AddRow({d.idempotency_key(), StateName(d.state()), absl::StrCat(d.attempts()),
                  FormatAge(d.create_time(), now),
                  d.has_last_attempt_time() ? FormatAge(d.last_attempt_time(), now) : "-",
                  d.has_next_attempt_time()
                      ? FormatTimestamp(d.next_attempt_time(), "%H:%M:%S", absl::LocalTimeZone())
                      : "-",
                  OrDash(d.last_result())});
  }
  std::cout << table.Render();
  return absl::OkStatus();
}

absl::Status Redeliver(const CtlOptions& options, const DeliveryFlags& flags) {
  v1::RedeliverWebhooksRequest request;
  request.set_endpoint(flags.endpoint);
  request.set_case_(flags.case_id);
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  v1::RedeliverWebhooksResponse resumed;
  absl::Status status =
      FromGrpc((*stub)->RedeliverWebhooks(NewCallContext(options).get(), request, &resumed));
  if (!status.ok()) return status;
  if (options.json) return PrintJson(resumed);
  std::cout << resumed.resumed() << " dead deliveries resumed\n";
  return absl::OkStatus();
}

// "webhooks/ID" for `id` typed as ID or webhooks/ID; a usage error
// otherwise (reported, kExitUsage).
std::optional<std::string> EndpointName(const std::string& id) {
  absl::StatusOr<std::string> name = ResourceName("webhooks", absl::StripPrefix(id, "webhooks/"));
  if (!name.ok()) {
    UsageError(name.status().message());
    return std::nullopt;
  }
  return *name;
}

}  // namespace

std::vector<Command> AddWebhookCommands(CLI::App& app) {
  std::vector<Command> commands;
  CLI::App* group = app.add_subcommand(
      "webhooks", "endpoints that receive case events, signed (admin token needed)");
  group->require_subcommand(1);

  auto added = std::make_shared<NewEndpointFlags>();
  CLI::App* add = group->add_subcommand(
      "add", "register an endpoint for the events committed from now on; prints its name");
  add->add_option("URL", added->url, "https://... (no user:password@, no #fragment)")->required();
  add->add_option("--events", added->events,
                  "comma-separated event types (raised,assigned,progressed,cancelled,...); "
                  "default: every event");
  add->add_option("--format", added->format, "json (the event and the case), cap or eido")
      ->check(CLI::IsMember({"json", "cap", "eido"}))
      ->capture_default_str();
  add->add_option("--secret-file", added->secret_file,
                  "file holding the signing secret, 16 to 1024 bytes (openssl rand -hex 32 > F)")
      ->required()
      ->check(CLI::ExistingFile);
  commands.push_back(
      {add, [added](const CtlOptions& options) { return Report(AddEndpoint(options, *added)); }});

  commands.push_back(
      AddCommand(*group, "list", "every endpoint, with its deliveries counted", &ListEndpoints));
  commands.push_back(
      AddCommandOnOne(*group, "remove", "remove an endpoint; deliveries not made are dropped",
                      "webhooks", "the endpoint: ID or webhooks/ID", &RemoveEndpoint));

  auto listed = std::make_shared<DeliveryFlags>();
  CLI::App* deliveries = group->add_subcommand(
      "deliveries", "an endpoint's deliveries: pending and dead ones by default, oldest first");
  deliveries->add_option("ENDPOINT", listed->endpoint, "ID or webhooks/ID")->required();
  deliveries->add_option("--state", listed->states, "pending, dead or delivered; repeatable")
      ->check(CLI::IsMember({"pending", "dead", "delivered"}));
  deliveries->add_option("--limit", listed->limit, "at most this many (1 to 1000)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  commands.push_back({deliveries, [listed](const CtlOptions& options) {
                        auto name = EndpointName(listed->endpoint);
                        if (!name.has_value()) return kExitUsage;
                        DeliveryFlags flags = *listed;
                        flags.endpoint = *name;
                        return Report(ListDeliveries(options, flags));
                      }});

  auto resumed = std::make_shared<DeliveryFlags>();
  CLI::App* redeliver = group->add_subcommand(
      "redeliver", "make an endpoint's dead deliveries go again, now, with a fresh retry limit");
  redeliver->add_option("ENDPOINT", resumed->endpoint, "ID or webhooks/ID")->required();
  redeliver->add_option("--case", resumed->case_id, "only this case's: ID or cases/ID");
  commands.push_back({redeliver, [resumed](const CtlOptions& options) {
                        auto name = EndpointName(resumed->endpoint);
                        if (!name.has_value()) return kExitUsage;
                        DeliveryFlags flags = *resumed;
                        flags.endpoint = *name;
                        if (!flags.case_id.empty()) {
                          auto case_name = CaseName(absl::StripPrefix(flags.case_id, "cases/"));
                          if (!case_name.ok()) return UsageError(case_name.status().message());
                          flags.case_id = *case_name;
                        }
                        return Report(Redeliver(options, flags));
                      }});
  return commands;
}

}  // namespace mayday::tools
