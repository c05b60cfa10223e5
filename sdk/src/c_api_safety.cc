// The C ABI's cancel PINs and safety timers (mayday/mayday.h) over
// mayday::sdk::Client, as c_api.cc does the rest.
#include <string>
#include <utility>

#include "c_api_internal.h"
#include "mayday/mayday.h"
#include "mayday/sdk/client.h"

using mayday::sdk::c_api::CopyOut;
using mayday::sdk::c_api::Fail;
using mayday::sdk::c_api::Invalid;
using mayday::sdk::c_api::OrEmpty;

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

}  // extern "C"
