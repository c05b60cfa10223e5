// Resource names; see names.h.
#include "api/names.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace mayday::server {
namespace {

// Removes "{collection}/" from the front of `name`, which must have an id
// after it; false (and `name` unchanged) otherwise.
bool StripCollection(absl::string_view collection, absl::string_view& name) {
  if (!absl::StartsWith(name, collection) || name.size() <= collection.size() ||
      name[collection.size()] != '/') {
    return false;
  }
  name.remove_prefix(collection.size() + 1);
  return true;
}

bool IsLowerHex(absl::string_view id) {
  for (char c : id) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) || absl::ascii_isupper(c)) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string CaseName(absl::string_view case_id) { return absl::StrCat(kCases, "/", case_id); }

std::optional<absl::string_view> CaseIdOf(absl::string_view name) {
  if (!StripCollection(kCases, name) || name.empty() || absl::StrContains(name, '/')) {
    return std::nullopt;
  }
  return name;
}

std::string CaseIdFromName(absl::string_view name) {
  return std::string(CaseIdOf(name).value_or(name));
}

std::string TimerName(absl::string_view timer_id) { return absl::StrCat(kTimers, "/", timer_id); }

std::optional<absl::string_view> TimerIdOf(absl::string_view name) {
  if (!StripCollection(kTimers, name) || name.empty() || absl::StrContains(name, '/')) {
    return std::nullopt;
  }
  return name;
}

absl::StatusOr<std::string> ParseTimerName(absl::string_view field, absl::string_view name) {
  absl::string_view id = name;
  if (!StripCollection(kTimers, id) || id.size() != 46 || !IsLowerHex(id)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field,
        " must be a timer name like \"timers/00064a1b2c3d4e0123456789abcdef0123456789abcdef\" "
        "(46 lowercase hex digits); got \"",
        name.substr(0, 80), "\""));
  }
  return std::string(id);
}

absl::StatusOr<std::string> ParseCaseName(absl::string_view field, absl::string_view name) {
  const auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        field,
        " must be a case name like \"cases/00064a1b2c3d4e0123456789abcdef0123456789abcdef\" "
        "(46 lowercase hex digits); got \"",
        name.substr(0, 80), "\""));
  };
  absl::string_view id = name;
  if (!StripCollection(kCases, id)) return bad();
  // 46 digits (time prefix and 128 random bits), or 32 (random bits only)
  // for cases opened before ids had the time prefix.
  if ((id.size() != 46 && id.size() != 32) || !IsLowerHex(id)) return bad();
  return std::string(id);
}

std::string ResponderName(absl::string_view responder_id) {
  return absl::StrCat(kResponders, "/", responder_id);
}

std::string ResponderIdFromName(absl::string_view name) {
  if (!StripCollection(kResponders, name)) return "";
  return std::string(name);
}

std::string MemberName(absl::string_view member_id) {
  return absl::StrCat(kMembers, "/", member_id);
}

std::string OperatorName(absl::string_view operator_id) {
  return absl::StrCat(kOperators, "/", operator_id);
}

absl::StatusOr<std::string> ParseSubjectName(absl::string_view field, absl::string_view name,
                                             absl::string_view collection) {
  const auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be a name like \"", collection,
                     "/unit-7\" (1 to 64 letters, digits, '.', '_' or '-' after the slash); got \"",
                     name.substr(0, 80), "\""));
  };
  absl::string_view id = name;
  if (!StripCollection(collection, id) || id.empty() || id.size() > 64) return bad();
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return bad();
    }
  }
  return std::string(id);
}

absl::StatusOr<std::string> ParseTokenName(absl::string_view field, absl::string_view name) {
  const auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " must be a token name like \"tokens/0123456789abcdef\" (see ListTokens); got \"",
        name.substr(0, 80), "\""));
  };
  absl::string_view id = name;
  if (!StripCollection(kTokens, id) || id.size() != 16 || !IsLowerHex(id)) return bad();
  return std::string(id);
}

}  // namespace mayday::server
