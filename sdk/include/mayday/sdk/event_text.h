// Human-readable text for case events, for apps, mayday-panic and maydayctl:
// "#3 ASSIGNED     responders/r-2 accepted, ETA 4 min". English only; apps
// that localise should build their own text from the event fields.
#ifndef MAYDAY_SDK_EVENT_TEXT_H_
#define MAYDAY_SDK_EVENT_TEXT_H_

#include <cstdint>
#include <string>

#include "mayday/v1/resources.pb.h"

namespace mayday::sdk {

// Returns the state's name without its enum prefix ("ASSIGNED"), or
// "UNSPECIFIED" / the number for values this SDK does not know. Thread-safe.
std::string StateName(mayday::v1::CaseState state);

// Returns an estimated time of arrival in whole minutes, rounded up and at
// least 1 ("4 min" for 227 s): the one rounding every Mayday tool shows, so a
// member and a care agent read the same ETA. Thread-safe.
std::string FormatEtaMinutes(int32_t eta_seconds);

// Returns what the event changed, in words, without sequence or state
// ("responders/r-2 accepted, ETA 4 min"). Thread-safe.
std::string DescribeEvent(const mayday::v1::CaseEvent& event);

// Returns one line for the event: "#<sequence> <STATE padded> <description>",
// with no trailing newline. Thread-safe.
std::string FormatEventLine(const mayday::v1::CaseEvent& event);

}  // namespace mayday::sdk

#endif  // MAYDAY_SDK_EVENT_TEXT_H_
