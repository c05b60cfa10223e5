// Human-readable text for case events: the one wording of what happened,
// shared by the member's phone (apps, the C ABI, mayday-panic) and the care
// desk (maydayctl), so that both say the same thing about the same event:
// "#3 ASSIGNED    responders/r-2 accepted (1.2 km, ETA 4 min)". The desk
// reads the same sentence with care agents named and where the crew was
// added (EventReader). English only; apps that localise should build their
// own text from the event fields.
#ifndef MAYDAY_SDK_EVENT_TEXT_H_
#define MAYDAY_SDK_EVENT_TEXT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::sdk {

// Who reads an event's text. Both read the same sentence; only what a member
// is not shown differs.
enum class EventReader {
  // The member (the phone): care agents are "a care agent", never named.
  kMember,
  // Care agents (the desk): care agents by name ("operators/desk-1"), and
  // where the crew was when it accepted or reported progress (", from
  // 52.36600, 4.88500", ", at ...").
  kStaff,
};

// Returns the state's name without its enum prefix ("ASSIGNED"), or
// "STATE_<n>" for a number this SDK does not know. Thread-safe.
std::string StateName(mayday::v1::CaseState state);

// Returns "road" or "medical"; "-" when unspecified, "kind_<n>" for a
// number this SDK does not know. Thread-safe.
std::string KindName(mayday::v1::CaseKind kind);

// Returns an estimated time of arrival in whole minutes, rounded up and at
// least 1 ("4 min" for 227 s): the one rounding every Mayday tool shows, so a
// member and a care agent read the same ETA. Thread-safe.
std::string FormatEtaMinutes(int32_t eta_seconds);

// Returns a distance for people: "850 m" below a kilometre, "1.2 km" below
// 100 km, "123 km" beyond; "-" when negative or not finite. Thread-safe.
std::string FormatDistance(double meters);

// Returns "52.37000, 4.89000" (five decimals, about a metre), plus
// " (±15 m)" when the accuracy is known. Thread-safe.
std::string FormatLocation(const mayday::v1::Location& location);

// Returns `text` with control characters (which could move a terminal's
// cursor or break a line on a screen) made blanks: for text from members
// and servers. Other bytes, UTF-8 included, are kept. Thread-safe.
std::string PrintableText(absl::string_view text);

// Returns "rated 4/5", or "rated 4/5 \"quick and kind\"" with a comment.
// Thread-safe.
std::string DescribeRating(const mayday::v1::Rating& rating);

// Returns what the event changed, in words, without sequence or state, on
// one line: "offered to responders/r-2 (1.2 km, ETA 4 min)",
// "assigned to responders/r-2 by a care agent (1.2 km, ETA 4 min)" (kStaff:
// "by operators/desk-1", then ", from <where the crew was>"), "message from
// members/m-1: \"flat tyre\"", "(unknown change)" when no change is set.
// Names the event does not carry print as "-". Thread-safe.
std::string DescribeEvent(const mayday::v1::CaseEvent& event,
                          EventReader reader = EventReader::kMember);

// Returns one line for where the crew coming is (WatchCrew):
// "crew 2.4 km away, ETA 3 min, at 52.37000, 4.89000", with no trailing
// newline. Thread-safe.
std::string FormatCrewLine(const mayday::v1::CrewPosition& position);

// Returns one line for the event: "#<sequence> <STATE padded> <description>",
// with no trailing newline. Thread-safe.
std::string FormatEventLine(const mayday::v1::CaseEvent& event,
                            EventReader reader = EventReader::kMember);

}  // namespace mayday::sdk

#endif  // MAYDAY_SDK_EVENT_TEXT_H_
