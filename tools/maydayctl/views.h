// The multi-line views of maydayctl: the tables of `cases list` and
// `responders list`, and the parts of `cases show` (fields, timeline,
// internal notes). Pure functions of their arguments (the current time and
// time zone are passed in), so the tests pin every string. Text that came
// from members or servers is made printable (no control characters).
#ifndef MAYDAY_TOOLS_MAYDAYCTL_VIEWS_H_
#define MAYDAY_TOOLS_MAYDAYCTL_VIEWS_H_

#include <string>

#include "absl/time/time.h"
#include "mayday/v1/alert_service.pb.h"
#include "mayday/v1/operator_service.pb.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::tools {

// The timeline of `cases show`, one aligned line per event:
// "#3  2024-05-01 12:00:05  DISPATCHING  dispatch  offered to ...".
std::string FormatTimeline(const mayday::v1::ListCaseEventsResponse& events, absl::TimeZone zone);

// The internal notes of `cases show`, oldest first, one aligned line each:
// "2024-05-01 12:03:00  operators/desk  called the member back"; "(none)"
// when there are none.
std::string FormatNotes(const mayday::v1::ListCaseNotesResponse& notes, absl::TimeZone zone);

// The crew's track in `cases show`: "(none)", or how many positions over
// which span and where the crew was last: "12 positions of responders/r-2,
// 2024-05-01 12:03:00 to 12:14:00; last 52.37000, 4.89000".
std::string FormatTrack(const mayday::v1::ListCaseTrackResponse& track, absl::TimeZone zone);

// The table of `cases list`: NAME, KIND, STATE, MEMBER, RESPONDER, AGE.
std::string FormatCaseTable(const mayday::v1::ListCasesResponse& cases, absl::Time now);

// The table of `responders list`: NAME, STATUS, CAPABILITIES, POSITION,
// POSITION AGE, CASE.
// `members medical-profile`: one line per part, "-" for what is not
// given: "blood group  AB-", "allergies  penicillin; bee stings",
// "medications  insulin (20 units at night)", "contacts  Ruth (sister)
// +447700900123", then the note.
std::string FormatMedicalProfile(const mayday::v1::MedicalProfile& profile, absl::TimeZone zone);

// `timers list`: one row per safety timer; a duress end is marked and
// shows what the member was shown.
std::string FormatTimerTable(const mayday::v1::ListSafetyTimersResponse& timers, absl::Time now);

std::string FormatResponderTable(const mayday::v1::ListRespondersResponse& responders,
                                 absl::Time now);

// The fields of one case as "key:  value" lines (`cases show` and the
// commands that change a case). The note, ETA, operator, cancel reason and
// rating appear only when set.
std::string FormatCaseDetails(const mayday::v1::Case& the_case, absl::Time now,
                              absl::TimeZone zone);

}  // namespace mayday::tools

#endif  // MAYDAY_TOOLS_MAYDAYCTL_VIEWS_H_
