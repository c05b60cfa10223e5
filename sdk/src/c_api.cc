// The C ABI of mayday/mayday.h over mayday::sdk::Client. Converts C
// arguments to C++ ones and absl::Status to mayday_status + a per-thread
// message; nothing throws across the boundary. The cancel PINs and safety
// timers are c_api_safety.cc's.
#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "c_api_internal.h"
#include "google/protobuf/util/time_util.h"
#include "mayday/mayday.h"
#include "mayday/sdk/client.h"
#include "mayday/sdk/event_text.h"

#ifndef MAYDAY_SDK_VERSION
#define MAYDAY_SDK_VERSION "0"
#endif

namespace {

using mayday::sdk::c_api::CopyOut;
using mayday::sdk::c_api::Fail;
using mayday::sdk::c_api::Invalid;
using mayday::sdk::c_api::OrEmpty;
using mayday::sdk::c_api::ToCStatus;

mayday::sdk::Alert MakeAlert(mayday_kind kind, double latitude, double longitude,
                             double accuracy_meters, const char* note) {
  mayday::sdk::Alert alert;
  alert.kind = static_cast<mayday::v1::CaseKind>(kind);
  alert.latitude = latitude;
  alert.longitude = longitude;
  alert.horizontal_accuracy_meters = accuracy_meters;
  if (note != nullptr) alert.note = note;
  return alert;
}

// The change an event records, with its responder, distance, ETA and text
// (pointers into `event`, valid while it is).
void FillChange(const mayday::v1::CaseEvent& event, mayday_event* out) {
  using Change = mayday::v1::CaseEvent::ChangeCase;
  static const std::string kNone;
  out->responder = kNone.c_str();
  out->text = kNone.c_str();
  out->distance_meters = 0;
  out->eta_seconds = 0;
  const Change change = event.change_case();
  // A duress cancel is never sent to a member's token.
  out->change = (change >= Change::kRaised && change <= Change::kCancelRefused) ||
                        change == Change::kStalled || change == Change::kFixRequested ||
                        change == Change::kCrewKept
                    ? static_cast<mayday_event_change>(change)
                    : MAYDAY_CHANGE_UNKNOWN;
  switch (change) {
    case Change::kRaised:
      out->text = event.raised().note().c_str();
      break;
    case Change::kOffered:
      out->responder = event.offered().responder().c_str();
      out->distance_meters = event.offered().distance_meters();
      out->eta_seconds = event.offered().eta_seconds();
      break;
    case Change::kOfferEnded:
      out->responder = event.offer_ended().responder().c_str();
      break;
    case Change::kAssigned:
      out->responder = event.assigned().responder().c_str();
      out->distance_meters = event.assigned().distance_meters();
      out->eta_seconds = event.assigned().eta_seconds();
      break;
    case Change::kProgressed:
      out->responder = event.progressed().responder().c_str();
      break;
    case Change::kCancelled:
      out->text = event.cancelled().reason().c_str();
      break;
    case Change::kMessagePosted:
      out->text = event.message_posted().text().c_str();
      break;
    case Change::kStalled:
      out->responder = event.stalled().responder().c_str();
      out->text = event.stalled().words().c_str();
      break;
    case Change::kFixRequested:
      out->text = event.fix_requested().words().c_str();
      break;
    case Change::kCrewKept:
      out->responder = event.crew_kept().responder().c_str();
      break;
    default:
      break;
  }
}

// A case's texts, as NUL-terminated copies, in the order FillCase takes them.
std::vector<const std::string*> CaseTexts(const mayday::v1::Case& c) {
  return {&c.name(),          &c.note(),      &c.responder(),       &c.request_id(),
          &c.cancel_reason(), &c.operator_(), &c.rating().comment()};
}

size_t TextBytes(const std::vector<const std::string*>& texts) {
  size_t bytes = 0;
  for (const std::string* text : texts) bytes += text->size() + 1;
  return bytes;
}

// Copies `text` to `*at` with a NUL, moves `*at` past it, returns the copy.
const char* CopyText(const std::string& text, char** at) {
  char* copy = *at;
  std::memcpy(copy, text.data(), text.size());
  copy[text.size()] = '\0';
  *at += text.size() + 1;
  return copy;
}

int64_t UnixMillis(const google::protobuf::Timestamp& time) {
  return google::protobuf::util::TimeUtil::TimestampToMilliseconds(time);
}

// Fills `out` from `c`, its strings copied to `*text` onwards.
void FillCase(const mayday::v1::Case& c, mayday_case* out, char** text) {
  *out = mayday_case{};
  out->struct_size = sizeof(mayday_case);
  const std::vector<const std::string*> texts = CaseTexts(c);
  out->name = CopyText(*texts[0], text);
  out->note = CopyText(*texts[1], text);
  out->responder = CopyText(*texts[2], text);
  out->request_id = CopyText(*texts[3], text);
  out->cancel_reason = CopyText(*texts[4], text);
  out->care_agent = CopyText(*texts[5], text);
  out->rating_comment = CopyText(*texts[6], text);
  out->kind = c.kind() == mayday::v1::CASE_KIND_MEDICAL ? MAYDAY_KIND_MEDICAL : MAYDAY_KIND_ROAD;
  out->state = static_cast<mayday_case_state>(c.state());
  out->latitude = c.location().latitude();
  out->longitude = c.location().longitude();
  out->accuracy_meters = c.location().horizontal_accuracy_meters();
  out->eta_seconds = c.eta_seconds();
  out->create_time_unix_ms = UnixMillis(c.create_time());
  out->update_time_unix_ms = UnixMillis(c.update_time());
  out->last_sequence = c.last_sequence();
  out->rating_stars = c.rating().stars();
}

// One std::malloc'd block: the case, then its texts (mayday_case_free).
mayday_case* NewCase(const mayday::v1::Case& c) {
  void* block = std::malloc(sizeof(mayday_case) + TextBytes(CaseTexts(c)));
  if (block == nullptr) return nullptr;
  auto* out = static_cast<mayday_case*>(block);
  char* text = static_cast<char*>(block) + sizeof(mayday_case);
  FillCase(c, out, &text);
  return out;
}

// One block: the page, its cases, then every text (mayday_case_page_free).
mayday_case_page* NewCasePage(const mayday::v1::ListCasesResponse& listed) {
  const size_t count = static_cast<size_t>(listed.cases_size());
  size_t bytes =
      sizeof(mayday_case_page) + count * sizeof(mayday_case) + listed.next_page_token().size() + 1;
  for (const mayday::v1::Case& c : listed.cases()) bytes += TextBytes(CaseTexts(c));
  void* block = std::malloc(bytes);
  if (block == nullptr) return nullptr;
  auto* page = static_cast<mayday_case_page*>(block);
  auto* cases =
      reinterpret_cast<mayday_case*>(static_cast<char*>(block) + sizeof(mayday_case_page));
  char* text = reinterpret_cast<char*>(cases + count);
  *page = mayday_case_page{};
  page->struct_size = sizeof(mayday_case_page);
  page->count = static_cast<int32_t>(count);
  page->cases = cases;
  for (size_t i = 0; i < count; ++i) FillCase(listed.cases(static_cast<int>(i)), &cases[i], &text);
  page->next_page_token = CopyText(listed.next_page_token(), &text);
  return page;
}

mayday_alert_state ToCState(mayday::sdk::AlertState state) {
  switch (state) {
    case mayday::sdk::AlertState::kQueued:
      return MAYDAY_ALERT_QUEUED;
    case mayday::sdk::AlertState::kSending:
      return MAYDAY_ALERT_SENDING;
    case mayday::sdk::AlertState::kAcknowledged:
      return MAYDAY_ALERT_ACKNOWLEDGED;
    case mayday::sdk::AlertState::kFailed:
      return MAYDAY_ALERT_FAILED;
  }
  return MAYDAY_ALERT_QUEUED;
}

// Raises through Client::Raise and writes the request_id out.
mayday_status RaiseInBackground(mayday_client* client, mayday::sdk::Alert alert,
                                mayday::sdk::AlertCallback on_change, char* request_id,
                                size_t request_id_size) {
  auto raised = client->client->Raise(alert, std::move(on_change));
  if (!raised.ok()) return Fail(raised.status());
  return CopyOut((*raised)->request_id(), request_id, request_id_size);
}

absl::Duration Millis(int32_t ms, absl::Duration fallback) {
  return ms == 0 ? fallback : absl::Milliseconds(ms);
}

}  // namespace

extern "C" {

const char* mayday_version(void) { return MAYDAY_SDK_VERSION; }

const char* mayday_status_name(mayday_status status) {
  switch (status) {
    case MAYDAY_OK:
      return "OK";
    case MAYDAY_CANCELLED:
      return "CANCELLED";
    case MAYDAY_UNKNOWN:
      return "UNKNOWN";
    case MAYDAY_INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case MAYDAY_DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case MAYDAY_NOT_FOUND:
      return "NOT_FOUND";
    case MAYDAY_ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case MAYDAY_PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case MAYDAY_RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case MAYDAY_FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case MAYDAY_ABORTED:
      return "ABORTED";
    case MAYDAY_OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case MAYDAY_UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case MAYDAY_INTERNAL:
      return "INTERNAL";
    case MAYDAY_UNAVAILABLE:
      return "UNAVAILABLE";
    case MAYDAY_DATA_LOSS:
      return "DATA_LOSS";
    case MAYDAY_UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    case MAYDAY_BUFFER_TOO_SMALL:
      return "BUFFER_TOO_SMALL";
    case MAYDAY_UNTRUSTED_SERVER:
      return "UNTRUSTED_SERVER";
  }
  return "UNKNOWN";
}

const char* mayday_last_error_message(void) { return mayday::sdk::c_api::LastError().c_str(); }

void mayday_client_options_init(mayday_client_options* options) {
  if (options == nullptr) return;
  std::memset(options, 0, sizeof(*options));
  options->struct_size = sizeof(*options);
}

mayday_status mayday_client_create(const mayday_client_options* options, mayday_client** out) {
  if (options == nullptr || out == nullptr) {
    return Invalid("options and out are required");
  }
  *out = nullptr;
  // A caller built against an older, shorter struct gets defaults for the
  // fields it does not know.
  mayday_client_options known;
  mayday_client_options_init(&known);
  std::memcpy(&known, options, std::min(options->struct_size, sizeof(known)));
  if (options->struct_size < offsetof(mayday_client_options, data_dir)) {
    return Invalid("options.struct_size is too small");
  }
  if (known.server == nullptr || known.token == nullptr) {
    return Invalid("options.server and options.token are required");
  }
  if (known.call_timeout_ms < 0 || known.raise_deadline_ms < 0 || known.initial_backoff_ms < 0 ||
      known.max_backoff_ms < 0) {
    return Invalid("options durations must not be negative");
  }
  if (known.tls != 0 && known.tls != 1) {
    return Invalid("options.tls must be 0 or 1");
  }
  mayday::sdk::ClientOptions cpp;
  cpp.server = known.server;
  cpp.token = known.token;
  if (known.data_dir != nullptr) cpp.data_dir = known.data_dir;
  cpp.tls.enabled = known.tls == 1;
  cpp.tls.ca_pem = OrEmpty(known.tls_ca_pem);
  cpp.tls.ca_file = OrEmpty(known.tls_ca_file);
  cpp.tls.cert_pem = OrEmpty(known.tls_cert_pem);
  cpp.tls.cert_file = OrEmpty(known.tls_cert_file);
  cpp.tls.key_pem = OrEmpty(known.tls_key_pem);
  cpp.tls.key_file = OrEmpty(known.tls_key_file);
  cpp.tls.server_name = OrEmpty(known.tls_server_name);
  cpp.call_timeout = Millis(known.call_timeout_ms, cpp.call_timeout);
  cpp.raise_deadline = Millis(known.raise_deadline_ms, cpp.raise_deadline);
  cpp.initial_backoff = Millis(known.initial_backoff_ms, cpp.initial_backoff);
  cpp.max_backoff = Millis(known.max_backoff_ms, cpp.max_backoff);
  if (known.current_location != nullptr) {
    // Owned by every copy of the function (the client's and each watch's):
    // released when the last goes (or at once if the client is not made).
    std::shared_ptr<void> user(known.current_location_user,
                               [release = known.current_location_release](void* u) {
                                 if (release != nullptr) release(u);
                               });
    cpp.current_location = [where = known.current_location,
                            user = std::move(user)]() -> std::optional<mayday::v1::Location> {
      double latitude = 0, longitude = 0, accuracy = 0;
      int64_t fix_time_ms = 0;
      if (where(user.get(), &latitude, &longitude, &accuracy, &fix_time_ms) != 1) {
        return std::nullopt;
      }
      mayday::v1::Location fix;
      fix.set_latitude(latitude);
      fix.set_longitude(longitude);
      fix.set_horizontal_accuracy_meters(accuracy);
      if (fix_time_ms != 0) {
        *fix.mutable_fix_time() =
            google::protobuf::util::TimeUtil::MillisecondsToTimestamp(fix_time_ms);
      }
      return fix;
    };
  }
  auto client = mayday::sdk::Client::Create(cpp);
  if (!client.ok()) return Fail(client.status());
  *out = new mayday_client{std::move(*client)};
  return MAYDAY_OK;
}

void mayday_client_destroy(mayday_client* client) { delete client; }

mayday_status mayday_raise(mayday_client* client, mayday_kind kind, double latitude,
                           double longitude, double accuracy_meters, const char* note,
                           char* case_name, size_t case_name_size) {
  if (client == nullptr) return Invalid("client is required");
  auto opened =
      client->client->RaiseAlert(MakeAlert(kind, latitude, longitude, accuracy_meters, note));
  if (!opened.ok()) return Fail(opened.status());
  return CopyOut(opened->name(), case_name, case_name_size);
}

mayday_status mayday_raise_async(mayday_client* client, mayday_kind kind, double latitude,
                                 double longitude, double accuracy_meters, const char* note,
                                 mayday_raise_callback callback, void* user, char* request_id,
                                 size_t request_id_size) {
  if (client == nullptr) return Invalid("client is required");
  mayday::sdk::AlertCallback on_change;
  if (callback != nullptr) {
    on_change = [callback, user](const mayday::sdk::AlertProgress& progress) {
      if (progress.state == mayday::sdk::AlertState::kAcknowledged) {
        callback(MAYDAY_OK, progress.opened.name().c_str(), "", user);
      } else if (progress.state == mayday::sdk::AlertState::kFailed) {
        const std::string message(progress.error.message());
        callback(ToCStatus(progress.error), "", message.c_str(), user);
      }
    };
  }
  return RaiseInBackground(client, MakeAlert(kind, latitude, longitude, accuracy_meters, note),
                           std::move(on_change), request_id, request_id_size);
}

mayday_status mayday_raise_with_progress(mayday_client* client, mayday_kind kind, double latitude,
                                         double longitude, double accuracy_meters, const char* note,
                                         mayday_progress_callback progress, void* user,
                                         char* request_id, size_t request_id_size) {
  if (client == nullptr) return Invalid("client is required");
  mayday::sdk::AlertCallback on_change;
  if (progress != nullptr) {
    on_change = [progress, user](const mayday::sdk::AlertProgress& snapshot) {
      const std::string message(snapshot.error.message());
      mayday_alert_progress c_progress;
      std::memset(&c_progress, 0, sizeof(c_progress));
      c_progress.struct_size = sizeof(c_progress);
      c_progress.state = ToCState(snapshot.state);
      c_progress.request_id = snapshot.request_id.c_str();
      c_progress.attempts = snapshot.attempts;
      c_progress.error = snapshot.error.ok() ? MAYDAY_OK : ToCStatus(snapshot.error);
      c_progress.error_message = message.c_str();
      c_progress.case_name = snapshot.opened.name().c_str();
      c_progress.note_repaired = snapshot.note_repaired ? 1 : 0;
      c_progress.note_trimmed = snapshot.note_trimmed ? 1 : 0;
      progress(&c_progress, user);
    };
  }
  return RaiseInBackground(client, MakeAlert(kind, latitude, longitude, accuracy_meters, note),
                           std::move(on_change), request_id, request_id_size);
}

mayday_status mayday_watch_start(mayday_client* client, const char* case_name,
                                 int64_t after_sequence, mayday_event_callback on_event,
                                 mayday_end_callback on_end, void* user, mayday_watch** out) {
  if (client == nullptr || case_name == nullptr || out == nullptr) {
    return Invalid("client, case_name and out are required");
  }
  *out = nullptr;
  if (on_event == nullptr || on_end == nullptr) {
    return Invalid("both callbacks are required");
  }
  auto watch = client->client->WatchCase(
      case_name, after_sequence,
      [on_event, user](const mayday::v1::CaseEvent& event) {
        const std::string description = mayday::sdk::DescribeEvent(event);
        mayday_event c_event{};
        c_event.sequence = event.sequence();
        c_event.state = static_cast<mayday_case_state>(event.state());
        c_event.case_name = event.case_().c_str();
        c_event.actor = event.actor().c_str();
        c_event.description = description.c_str();
        c_event.event_time_unix_ms =
            google::protobuf::util::TimeUtil::TimestampToMilliseconds(event.event_time());
        FillChange(event, &c_event);
        on_event(&c_event, user);
      },
      [on_end, user](const absl::Status& status) {
        const std::string message(status.message());
        on_end(ToCStatus(status), message.c_str(), user);
      });
  if (!watch.ok()) return Fail(watch.status());
  *out = new mayday_watch{std::move(*watch)};
  return MAYDAY_OK;
}

void mayday_watch_cancel(mayday_watch* watch) {
  if (watch != nullptr) watch->watch->Cancel();
}

int mayday_watch_wait(mayday_watch* watch, int32_t timeout_ms) {
  if (watch == nullptr) return 1;
  return watch->watch->WaitDone(absl::Milliseconds(timeout_ms)) ? 1 : 0;
}

void mayday_watch_destroy(mayday_watch* watch) { delete watch; }

mayday_status mayday_cancel_case(mayday_client* client, const char* case_name, const char* reason) {
  if (client == nullptr || case_name == nullptr) {
    return Invalid("client and case_name are required");
  }
  auto cancelled = client->client->CancelCase(case_name, reason != nullptr ? reason : "");
  if (!cancelled.ok()) return Fail(cancelled.status());
  return MAYDAY_OK;
}

mayday_status mayday_feed_location(mayday_client* client, const char* case_name, double latitude,
                                   double longitude, double accuracy_meters) {
  if (client == nullptr || case_name == nullptr) {
    return Invalid("client and case_name are required");
  }
  mayday::v1::Location location;
  location.set_latitude(latitude);
  location.set_longitude(longitude);
  location.set_horizontal_accuracy_meters(accuracy_meters);
  absl::Status status = client->client->FeedLocation(case_name, location);
  if (!status.ok()) return Fail(status);
  return MAYDAY_OK;
}

int32_t mayday_alerts_queued_for_others(mayday_client* client, mayday_queued_alert* out,
                                        int32_t max) {
  if (client == nullptr) {
    (void)Invalid("client is required");
    return -1;
  }
  const std::vector<mayday::sdk::QueuedForAnotherMember> queued =
      client->client->AlertsQueuedForOtherMembers();
  for (int32_t i = 0; out != nullptr && i < max && i < static_cast<int32_t>(queued.size()); ++i) {
    mayday_queued_alert& entry = out[i];
    std::snprintf(entry.request_id, sizeof(entry.request_id), "%s", queued[i].request_id.c_str());
    entry.kind =
        queued[i].kind == mayday::v1::CASE_KIND_MEDICAL ? MAYDAY_KIND_MEDICAL : MAYDAY_KIND_ROAD;
    entry.raised_unix_seconds = absl::ToUnixSeconds(queued[i].raised);
  }
  return static_cast<int32_t>(queued.size());
}

int32_t mayday_resumed_alerts(mayday_client* client, mayday_resumed_alert* out, int32_t max) {
  if (client == nullptr) {
    (void)Invalid("client is required");
    return -1;
  }
  const std::vector<std::shared_ptr<mayday::sdk::PendingAlert>> resumed =
      client->client->ResumedAlerts();
  for (int32_t i = 0; out != nullptr && i < max && i < static_cast<int32_t>(resumed.size()); ++i) {
    const mayday::sdk::AlertProgress progress = resumed[i]->progress();
    mayday_resumed_alert& entry = out[i];
    std::snprintf(entry.request_id, sizeof(entry.request_id), "%s",
                  resumed[i]->request_id().c_str());
    entry.state = ToCState(progress.state);
    std::snprintf(entry.case_name, sizeof(entry.case_name), "%s",
                  progress.state == mayday::sdk::AlertState::kAcknowledged
                      ? progress.opened.name().c_str()
                      : "");
    entry.error = progress.error.ok() ? MAYDAY_OK : ToCStatus(progress.error);
  }
  return static_cast<int32_t>(resumed.size());
}

mayday_status mayday_get_case(mayday_client* client, const char* case_name, mayday_case** out) {
  if (client == nullptr || case_name == nullptr || out == nullptr) {
    return Invalid("client, case_name and out are required");
  }
  *out = nullptr;
  auto got = client->client->GetCase(case_name);
  if (!got.ok()) return Fail(got.status());
  *out = NewCase(*got);
  if (*out == nullptr) return Fail(absl::ResourceExhaustedError("out of memory for the case"));
  return MAYDAY_OK;
}

void mayday_case_free(mayday_case* c) { std::free(c); }

mayday_status mayday_list_cases(mayday_client* client, int32_t page_size, const char* page_token,
                                mayday_case_page** out) {
  if (client == nullptr || out == nullptr) return Invalid("client and out are required");
  if (page_size < 0) return Invalid("page_size must not be negative");
  *out = nullptr;
  auto listed = client->client->ListCases(page_size, OrEmpty(page_token));
  if (!listed.ok()) return Fail(listed.status());
  *out = NewCasePage(*listed);
  if (*out == nullptr) return Fail(absl::ResourceExhaustedError("out of memory for the page"));
  return MAYDAY_OK;
}

void mayday_case_page_free(mayday_case_page* page) { std::free(page); }

mayday_status mayday_post_message(mayday_client* client, const char* case_name, const char* text,
                                  int64_t* out_sequence) {
  if (client == nullptr || case_name == nullptr || text == nullptr) {
    return Invalid("client, case_name and text are required");
  }
  auto posted = client->client->PostMessage(case_name, text);
  if (!posted.ok()) return Fail(posted.status());
  if (out_sequence != nullptr) *out_sequence = posted->sequence();
  return MAYDAY_OK;
}

mayday_status mayday_rate_case(mayday_client* client, const char* case_name, int32_t stars,
                               const char* comment) {
  if (client == nullptr || case_name == nullptr) {
    return Invalid("client and case_name are required");
  }
  auto rated = client->client->RateCase(case_name, stars, OrEmpty(comment));
  if (!rated.ok()) return Fail(rated.status());
  return MAYDAY_OK;
}

}  // extern "C"
