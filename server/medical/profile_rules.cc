// The limits of a medical profile; see profile_rules.h.
#include "medical/profile_rules.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "mayday/base/text.h"

namespace mayday::server {
namespace {

// Text of at most `max` bytes, not empty when `required`, without control
// characters; a one-line entry (`one_line`) without tabs or line breaks
// either (the note may have them). Text arrives as valid UTF-8: the server
// repairs it first.
absl::Status CheckText(const std::string& field, const std::string& text, size_t max, bool required,
                       bool one_line) {
  if (required && text.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is empty: remove it or fill it in"));
  }
  if (text.size() > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is ", text.size(), " bytes; at most ", max, " are accepted"));
  }
  if (base::CleanText(text, max).repaired ||
      (one_line && text.find_first_of("\t\n") != std::string::npos)) {
    return absl::InvalidArgumentError(absl::StrCat(field, " holds a control character",
                                                   one_line ? " or a line break" : "",
                                                   ": send plain text"));
  }
  return absl::OkStatus();
}

// A one-line entry of a list or a contact: at most kMaxProfileEntryBytes.
absl::Status CheckEntry(const std::string& field, const std::string& text, bool required) {
  return CheckText(field, text, kMaxProfileEntryBytes, required, /*one_line=*/true);
}

template <typename List>
absl::Status CheckCount(absl::string_view field, const List& list, int max) {
  if (list.size() > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " has ", list.size(), " entries; at most ", max, " are accepted"));
  }
  return absl::OkStatus();
}

bool IsE164(absl::string_view phone) {
  if (phone.size() < 9 || phone.size() > 16 || phone.front() != '+' || phone[1] == '0') {
    return false;
  }
  for (char c : phone.substr(1)) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::string MedicalProfileName(absl::string_view member) {
  return absl::StrCat(member, "/medicalProfile");
}

absl::Status ValidateMedicalProfile(const mayday::v1::MedicalProfile& p) {
  using mayday::v1::MedicalProfile;
  for (auto [field, list] :
       {std::pair{"allergies", &p.allergies()}, std::pair{"conditions", &p.conditions()}}) {
    if (auto s = CheckCount(field, *list, kMaxProfileEntries); !s.ok()) return s;
    for (int i = 0; i < list->size(); ++i) {
      if (auto s = CheckEntry(absl::StrCat(field, "[", i, "]"), list->Get(i), true); !s.ok()) {
        return s;
      }
    }
  }
  if (auto s = CheckCount("medications", p.medications(), kMaxProfileEntries); !s.ok()) return s;
  for (int i = 0; i < p.medications_size(); ++i) {
    const std::string at = absl::StrCat("medications[", i, "]");
    const auto& medication = p.medications(i);
    if (auto s = CheckEntry(at + ".name", medication.name(), true); !s.ok()) {
      return s;
    }
    if (auto s = CheckEntry(at + ".dose", medication.dose(), false); !s.ok()) {
      return s;
    }
  }
  if (!MedicalProfile::BloodGroup_IsValid(p.blood_group())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "blood_group ", static_cast<int>(p.blood_group()),
        " is not a blood group: use BLOOD_GROUP_O_NEGATIVE ... BLOOD_GROUP_AB_POSITIVE, or "
        "BLOOD_GROUP_UNSPECIFIED when unknown"));
  }
  if (auto s = CheckCount("emergency_contacts", p.emergency_contacts(), kMaxEmergencyContacts);
      !s.ok()) {
    return s;
  }
  for (int i = 0; i < p.emergency_contacts_size(); ++i) {
    const std::string at = absl::StrCat("emergency_contacts[", i, "]");
    const auto& contact = p.emergency_contacts(i);
    if (auto s = CheckEntry(at + ".name", contact.name(), true); !s.ok()) {
      return s;
    }
    if (auto s = CheckEntry(at + ".relationship", contact.relationship(), false); !s.ok()) {
      return s;
    }
    if (!IsE164(contact.phone())) {
      return absl::InvalidArgumentError(absl::StrCat(
          at,
          ".phone must be in E.164 form: \"+\", the country code, then the number, 8 to 15 "
          "digits in all, no spaces (\"+447700900123\")"));
    }
  }
  return CheckText("note", p.note(), kMaxProfileNoteBytes, /*required=*/false, /*one_line=*/false);
}

}  // namespace mayday::server
