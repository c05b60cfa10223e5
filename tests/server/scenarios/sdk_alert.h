// The press a test's member makes through the SDK: an sdk::Alert of `kind`
// in Amsterdam (where the tests' crews go on duty), with an optional note.
#ifndef MAYDAY_TESTS_SERVER_SDK_ALERT_H_
#define MAYDAY_TESTS_SERVER_SDK_ALERT_H_

#include <string>

#include "mayday/sdk/client.h"

namespace mayday::testing {

inline sdk::Alert SdkAlert(mayday::v1::CaseKind kind, const std::string& note = "") {
  sdk::Alert alert;
  alert.kind = kind;
  alert.latitude = 52.3676;
  alert.longitude = 4.9041;
  alert.note = note;
  return alert;
}

}  // namespace mayday::testing

#endif  // MAYDAY_TESTS_SERVER_SDK_ALERT_H_
