// The C ABI's cancel PINs, safety timers, medical profile and crew watch
// (mayday/mayday.h) over mayday::sdk::Client, as c_api.cc does the rest.
#include <string>
#include <utility>

#include "c_api_internal.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "mayday/mayday.h"
#include "mayday/sdk/client.h"

using mayday::sdk::c_api::CopyOut;
using mayday::sdk::c_api::Fail;
using mayday::sdk::c_api::Invalid;
using mayday::sdk::c_api::OrEmpty;
using mayday::sdk::c_api::ToCStatus;

extern "C" {

mayday_status mayday_cancel_case_with_pin(mayday_client* client, const char* case_name,
                                          const char* reason, const char* pin) {
  if (client == nullptr || case_name == nullptr) {
    return Invalid("client and case_name are required");
  }
  auto cancelled = client->client->CancelCaseWithPin(case_name, OrEmpty(reason), OrEmpty(pin));
  if (!cancelled.ok()) return Fail(cancelled.status());
  return MAYDAY_OK;
}

mayday_status mayday_set_cancel_pins(mayday_client* client, const char* current_pin,
                                     const char* cancel_pin, const char* duress_pin) {
  if (client == nullptr) return Invalid("client is required");
  auto set =
      client->client->SetCancelPins(OrEmpty(current_pin), OrEmpty(cancel_pin), OrEmpty(duress_pin));
  if (!set.ok()) return Fail(set.status());
  return MAYDAY_OK;
}

mayday_status mayday_get_cancel_pins(mayday_client* client, int* cancel_pin_set,
                                     int* duress_pin_set) {
  if (client == nullptr) return Invalid("client is required");
  auto settings = client->client->GetCancelPins();
  if (!settings.ok()) return Fail(settings.status());
  if (cancel_pin_set != nullptr) *cancel_pin_set = settings->cancel_pin_set() ? 1 : 0;
  if (duress_pin_set != nullptr) *duress_pin_set = settings->duress_pin_set() ? 1 : 0;
  return MAYDAY_OK;
}

mayday_status mayday_start_safety_timer(mayday_client* client, mayday_kind kind, double latitude,
                                        double longitude, double accuracy_meters, const char* note,
                                        int64_t deadline_unix_seconds, const char* request_id,
                                        char* timer_name, size_t timer_name_size) {
  if (client == nullptr) return Invalid("client is required");
  mayday::v1::StartSafetyTimerRequest request;
  request.set_request_id(OrEmpty(request_id));
  request.set_kind(static_cast<mayday::v1::CaseKind>(kind));
  request.mutable_location()->set_latitude(latitude);
  request.mutable_location()->set_longitude(longitude);
  request.mutable_location()->set_horizontal_accuracy_meters(accuracy_meters);
  request.set_note(OrEmpty(note));
  request.mutable_deadline()->set_seconds(deadline_unix_seconds);
  auto started = client->client->StartSafetyTimer(std::move(request));
  if (!started.ok()) return Fail(started.status());
  return CopyOut(started->name(), timer_name, timer_name_size);
}

mayday_status mayday_update_safety_timer(mayday_client* client, const char* timer_name,
                                         double latitude, double longitude, double accuracy_meters,
                                         int64_t deadline_unix_seconds) {
  if (client == nullptr || timer_name == nullptr) {
    return Invalid("client and timer_name are required");
  }
  mayday::v1::UpdateSafetyTimerRequest request;
  request.set_name(timer_name);
  request.mutable_location()->set_latitude(latitude);
  request.mutable_location()->set_longitude(longitude);
  request.mutable_location()->set_horizontal_accuracy_meters(accuracy_meters);
  if (deadline_unix_seconds > 0) request.mutable_deadline()->set_seconds(deadline_unix_seconds);
  auto updated = client->client->UpdateSafetyTimer(request);
  if (!updated.ok()) return Fail(updated.status());
  return MAYDAY_OK;
}

mayday_status mayday_end_safety_timer(mayday_client* client, const char* timer_name,
                                      const char* pin) {
  if (client == nullptr || timer_name == nullptr) {
    return Invalid("client and timer_name are required");
  }
  auto ended = client->client->EndSafetyTimer(timer_name, OrEmpty(pin));
  if (!ended.ok()) return Fail(ended.status());
  return MAYDAY_OK;
}

mayday_status mayday_update_medical_profile(mayday_client* client, const char* json) {
  if (client == nullptr || json == nullptr) return Invalid("client and json are required");
  mayday::v1::MedicalProfile profile;
  const auto parsed = google::protobuf::util::JsonStringToMessage(json, &profile);
  if (!parsed.ok()) {
    return Fail(absl::InvalidArgumentError(std::string("json is not a mayday.v1.MedicalProfile: ") +
                                           std::string(parsed.message())));
  }
  auto stored = client->client->UpdateMedicalProfile(profile);
  if (!stored.ok()) return Fail(stored.status());
  return MAYDAY_OK;
}

mayday_status mayday_get_medical_profile(mayday_client* client, char* json, size_t json_size) {
  if (client == nullptr || json == nullptr) return Invalid("client and json are required");
  auto profile = client->client->GetMedicalProfile();
  if (!profile.ok()) return Fail(profile.status());
  std::string text;
  const auto printed = google::protobuf::util::MessageToJsonString(*profile, &text);
  if (!printed.ok()) return Fail(absl::InternalError(std::string(printed.message())));
  return CopyOut(text, json, json_size);
}

mayday_status mayday_delete_medical_profile(mayday_client* client) {
  if (client == nullptr) return Invalid("client is required");
  const absl::Status deleted = client->client->DeleteMedicalProfile();
  if (!deleted.ok()) return Fail(deleted);
  return MAYDAY_OK;
}

mayday_status mayday_watch_crew_start(mayday_client* client, const char* case_name,
                                      mayday_crew_callback on_position, mayday_end_callback on_end,
                                      void* user, mayday_watch** out) {
  if (client == nullptr || case_name == nullptr || out == nullptr) {
    return Invalid("client, case_name and out are required");
  }
  *out = nullptr;
  if (on_position == nullptr || on_end == nullptr) return Invalid("both callbacks are required");
  auto watch = client->client->WatchCrew(
      case_name,
      [on_position, user](const mayday::v1::CrewPosition& position) {
        mayday_crew_position c{};
        c.struct_size = sizeof(c);
        c.case_name = position.case_().c_str();
        c.state = static_cast<mayday_case_state>(position.state());
        c.latitude = position.location().latitude();
        c.longitude = position.location().longitude();
        c.accuracy_meters = position.location().horizontal_accuracy_meters();
        c.distance_meters = position.distance_meters();
        c.eta_seconds = position.eta_seconds();
        c.report_time_unix_ms =
            google::protobuf::util::TimeUtil::TimestampToMilliseconds(position.report_time());
        on_position(&c, user);
      },
      [on_end, user](const absl::Status& status) {
        const std::string message(status.message());
        on_end(ToCStatus(status), message.c_str(), user);
      });
  if (!watch.ok()) return Fail(watch.status());
  *out = new mayday_watch{std::move(*watch)};
  return MAYDAY_OK;
}

}  // extern "C"
