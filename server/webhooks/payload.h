// What a webhook delivery carries: the body in the endpoint's format, the
// idempotency key, and which events an endpoint's filter takes. Pure
// functions of the stored case and its events.
#ifndef MAYDAY_SERVER_WEBHOOKS_PAYLOAD_H_
#define MAYDAY_SERVER_WEBHOOKS_PAYLOAD_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::server::webhooks {

// The name of the change an event records, as CaseEvent's field names it
// ("raised", "assigned", "crew_kept", ...); empty for an event without one.
std::string ChangeName(const mayday::v1::CaseEvent& event);
// Every change name, in field number order: what an endpoint may filter on.
std::vector<std::string> ChangeNames();
// Whether an endpoint filtering on `events` (empty: every event) takes
// `event`.
bool Matches(absl::Span<const std::string> events, const mayday::v1::CaseEvent& event);

// "cases/{id}/events/{sequence}": the Idempotency-Key of every attempt to
// deliver that event, to any endpoint.
std::string IdempotencyKey(absl::string_view case_id, int64_t sequence);

struct Payload {
  std::string content_type;
  std::string body;
};

// What a JSON body holds beside the endpoint's name: the same for every
// endpoint delivering the event, so made once for all of them.
struct JsonParts {
  std::string key;    // the idempotency key, as a JSON string
  std::string event;  // the event, as JSON
  std::string c;      // the case, as JSON
};
absl::StatusOr<JsonParts> MakeJsonParts(const mayday::v1::Case& c,
                                        const mayday::v1::CaseEvent& event);
// The JSON body of `parts` to endpoint `endpoint_name`.
Payload JsonPayload(const JsonParts& parts, absl::string_view endpoint_name);

// The body delivering event `timeline.back()` of case `c` (as stored: the
// desk's view) to endpoint `endpoint_name` ("webhooks/{id}") in `format`:
//   "json"  {"idempotency_key", "endpoint", "event", "case"}, the messages
//           in protobuf's JSON mapping with snake_case names;
//   "cap"   the case as a CAP 1.2 alert, `agency` its sender;
//   "eido"  the case as an EIDO incident with `timeline` (its events up to
//           the one delivered), `agency` its agency.
// INVALID_ARGUMENT for an unknown format, an empty timeline, or a case the
// export refuses.
absl::StatusOr<Payload> BuildPayload(absl::string_view format, absl::string_view endpoint_name,
                                     const mayday::v1::Case& c,
                                     absl::Span<const mayday::v1::CaseEvent> timeline,
                                     const std::string& agency);

}  // namespace mayday::server::webhooks

#endif  // MAYDAY_SERVER_WEBHOOKS_PAYLOAD_H_
