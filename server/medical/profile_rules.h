// What a medical profile may hold (AlertService.UpdateMedicalProfile): the
// limits the API documents, checked before anything is sealed or stored.
#ifndef MAYDAY_SERVER_MEDICAL_PROFILE_RULES_H_
#define MAYDAY_SERVER_MEDICAL_PROFILE_RULES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::server {

inline constexpr int kMaxProfileEntries = 50;  // allergies, conditions, medications
inline constexpr int kMaxEmergencyContacts = 10;
inline constexpr size_t kMaxProfileEntryBytes = 200;
inline constexpr size_t kMaxProfileNoteBytes = 2000;

// "members/{id}/medicalProfile" for `member` ("members/{id}").
std::string MedicalProfileName(absl::string_view member);

// OK if `profile` is within the limits: at most kMaxProfileEntries of each
// list, entries of 1 to kMaxProfileEntryBytes bytes without control
// characters, a known blood group, contacts with a name and an E.164 phone,
// a note of at most kMaxProfileNoteBytes. INVALID_ARGUMENT naming the field
// ("medications[2].name") otherwise; the message never repeats the text.
absl::Status ValidateMedicalProfile(const mayday::v1::MedicalProfile& profile);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_MEDICAL_PROFILE_RULES_H_
