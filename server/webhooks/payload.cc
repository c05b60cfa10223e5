#include "webhooks/payload.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"
#include "mayday/exports/cap.h"
#include "mayday/exports/eido.h"

namespace mayday::server::webhooks {
namespace {

using ::mayday::v1::CaseEvent;

const google::protobuf::OneofDescriptor& ChangeOneof() {
  return *CaseEvent::descriptor()->FindOneofByName("change");
}

absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  if (auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
      !status.ok()) {
    return absl::InternalError(absl::StrCat("cannot write the event as JSON: ", status.ToString()));
  }
  return json;
}

// `text` as a JSON string literal. Names and keys are ASCII, but escape
// anyway.
std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(&out, "\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

std::string ChangeName(const CaseEvent& event) {
  const google::protobuf::FieldDescriptor* field =
      event.GetReflection()->GetOneofFieldDescriptor(event, &ChangeOneof());
  return field == nullptr ? std::string() : field->name();
}

std::vector<std::string> ChangeNames() {
  std::vector<std::string> names;
  const google::protobuf::OneofDescriptor& oneof = ChangeOneof();
  for (int i = 0; i < oneof.field_count(); ++i) names.push_back(oneof.field(i)->name());
  return names;
}

bool Matches(absl::Span<const std::string> events, const CaseEvent& event) {
  if (events.empty()) return true;
  const std::string name = ChangeName(event);
  for (const std::string& wanted : events) {
    if (wanted == name) return true;
  }
  return false;
}

std::string IdempotencyKey(absl::string_view case_id, int64_t sequence) {
  return absl::StrCat("cases/", case_id, "/events/", sequence);
}

absl::StatusOr<Payload> BuildPayload(absl::string_view format, absl::string_view endpoint_name,
                                     const mayday::v1::Case& c,
                                     absl::Span<const CaseEvent> timeline,
                                     const std::string& agency) {
  if (timeline.empty()) return absl::InvalidArgumentError("no event to deliver");
  const CaseEvent& event = timeline.back();
  if (format == "cap") {
    exports::CapOptions options;
    options.sender = agency;
    absl::StatusOr<std::string> xml = exports::CaseToCap(c, options);
    if (!xml.ok()) return xml.status();
    return Payload{.content_type = "application/xml; charset=utf-8", .body = *std::move(xml)};
  }
  if (format == "eido") {
    exports::EidoOptions options;
    options.agency = agency;
    absl::StatusOr<std::string> json = exports::CaseToEido(c, timeline, {}, options);
    if (!json.ok()) return json.status();
    return Payload{.content_type = "application/json", .body = *std::move(json)};
  }
  if (format != "json") {
    return absl::InvalidArgumentError(absl::StrCat("unknown webhook format \"", format, "\""));
  }
  absl::StatusOr<JsonParts> parts = MakeJsonParts(c, event);
  if (!parts.ok()) return parts.status();
  return JsonPayload(*parts, endpoint_name);
}

absl::StatusOr<JsonParts> MakeJsonParts(const mayday::v1::Case& c, const CaseEvent& event) {
  absl::StatusOr<std::string> event_json = ToJson(event);
  if (!event_json.ok()) return event_json.status();
  absl::StatusOr<std::string> case_json = ToJson(c);
  if (!case_json.ok()) return case_json.status();
  const absl::string_view case_id = absl::StripPrefix(event.case_(), "cases/");
  return JsonParts{.key = JsonString(IdempotencyKey(case_id, event.sequence())),
                   .event = *std::move(event_json),
                   .c = *std::move(case_json)};
}

Payload JsonPayload(const JsonParts& parts, absl::string_view endpoint_name) {
  return Payload{.content_type = "application/json",
                 .body = absl::StrCat("{\"idempotency_key\":", parts.key,
                                      ",\"endpoint\":", JsonString(endpoint_name),
                                      ",\"event\":", parts.event, ",\"case\":", parts.c, "}")};
}

}  // namespace mayday::server::webhooks
