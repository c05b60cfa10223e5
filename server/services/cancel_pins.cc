// Members' cancel PINs; see cancel_pins.h.
#include "services/cancel_pins.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "api/proto_time.h"
#include "auth/pin_hash.h"
#include "services/audit_trail.h"

namespace mayday::server {
namespace {

// A hash no PIN a member gives is checked against for real: what a member
// without a duress PIN is checked against, so that its check takes as long.
const std::string& StandInHash() {
  static const std::string* const hash = [] {
    absl::StatusOr<std::string> made = HashPin("0000");
    return new std::string(made.ok() ? *made : "");
  }();
  return *hash;
}

mayday::v1::CancelPinSettings Settings(const std::optional<MemberPins>& pins) {
  mayday::v1::CancelPinSettings settings;
  if (!pins.has_value()) return settings;
  settings.set_cancel_pin_set(!pins->cancel_hash.empty());
  settings.set_duress_pin_set(!pins->duress_hash.empty());
  *settings.mutable_update_time() = ToProtoTime(pins->update_time);
  return settings;
}

bool HasCancelPin(const std::optional<MemberPins>& pins) {
  return pins.has_value() && !pins->cancel_hash.empty();
}

}  // namespace

absl::StatusOr<PinVerdict> CheckCancelPin(Store& store, const std::string& member,
                                          absl::string_view pin) {
  absl::StatusOr<std::optional<MemberPins>> pins = store.GetPins(member);
  if (!pins.ok()) return pins.status();
  if (!HasCancelPin(*pins)) return PinVerdict::kNoPinSet;
  if (pin.empty()) {
    return absl::FailedPreconditionError(
        "this member has a cancel PIN: CancelCase needs it in `pin` (nothing was counted)");
  }
  const bool cancel = PinMatches(pin, (*pins)->cancel_hash);
  const std::string& duress_hash =
      (*pins)->duress_hash.empty() ? StandInHash() : (*pins)->duress_hash;
  const bool duress = PinMatches(pin, duress_hash) && !(*pins)->duress_hash.empty();
  if (cancel) return PinVerdict::kCancelPin;
  if (duress) return PinVerdict::kDuressPin;
  return PinVerdict::kWrongPin;
}

absl::StatusOr<mayday::v1::CancelPinSettings> SetCancelPins(
    Store& store, const base::Clock& clock, const Principal& member,
    const mayday::v1::SetCancelPinsRequest& request) {
  const bool clearing = request.cancel_pin().empty() && request.duress_pin().empty();
  if (!request.cancel_pin().empty()) {
    if (auto s = ValidatePin("cancel_pin", request.cancel_pin()); !s.ok()) return s;
  } else if (!request.duress_pin().empty()) {
    return absl::InvalidArgumentError(
        "a duress PIN needs a cancel PIN: set cancel_pin too (nothing was changed)");
  }
  if (!request.duress_pin().empty()) {
    if (auto s = ValidatePin("duress_pin", request.duress_pin()); !s.ok()) return s;
    if (request.duress_pin() == request.cancel_pin()) {
      return absl::InvalidArgumentError(
          "duress_pin must differ from cancel_pin: the duress PIN is the one that only seems to "
          "cancel (nothing was changed)");
    }
  }
  const std::string name = member.Name();
  absl::StatusOr<std::optional<MemberPins>> stored = store.GetPins(name);
  if (!stored.ok()) return stored.status();
  if (HasCancelPin(*stored)) {
    if (request.current_pin().empty()) {
      return absl::PermissionDeniedError(
          "a cancel PIN is set: give it in current_pin to change or clear the PINs");
    }
    if (!PinMatches(request.current_pin(), (*stored)->cancel_hash)) {
      return absl::PermissionDeniedError(
          "current_pin is not this member's cancel PIN (nothing was changed)");
    }
  } else if (!request.current_pin().empty()) {
    return absl::InvalidArgumentError(
        "no cancel PIN is set: leave current_pin empty (nothing was changed)");
  } else if (clearing) {
    return absl::InvalidArgumentError(
        "no cancel PIN is set and none was given: set cancel_pin (nothing was changed)");
  }

  MemberPins pins;
  pins.member = name;
  pins.update_time = clock.Now();
  if (!clearing) {
    absl::StatusOr<std::string> cancel = HashPin(request.cancel_pin());
    if (!cancel.ok()) return cancel.status();
    pins.cancel_hash = *std::move(cancel);
    if (!request.duress_pin().empty()) {
      absl::StatusOr<std::string> duress = HashPin(request.duress_pin());
      if (!duress.ok()) return duress.status();
      pins.duress_hash = *std::move(duress);
    }
  }
  const std::string checked_hash = HasCancelPin(*stored) ? (*stored)->cancel_hash : "";
  AuditEntry audit = AuditOf(member, clock, "member.pins.set", name,
                             clearing                   ? "cancel and duress PINs cleared"
                             : pins.duress_hash.empty() ? "cancel PIN set, no duress PIN"
                                                        : "cancel PIN and duress PIN set");
  absl::Status written = SubmitAndWait(store, [&](WriteTxn& txn) -> absl::Status {
    // The PIN checked above must still be the member's: two devices
    // changing the PINs at once do not both win.
    absl::StatusOr<std::optional<MemberPins>> now = txn.GetPins(name);
    if (!now.ok()) return now.status();
    if ((HasCancelPin(*now) ? (*now)->cancel_hash : "") != checked_hash) {
      return absl::AbortedError("the PINs changed meanwhile, from another device: try again");
    }
    if (auto s = txn.PutPins(pins); !s.ok()) return s;
    return txn.AppendAudit(audit);
  });
  if (!written.ok()) return written;
  return Settings(pins);
}

absl::StatusOr<mayday::v1::CancelPinSettings> GetCancelPins(Store& store,
                                                            const std::string& member) {
  absl::StatusOr<std::optional<MemberPins>> pins = store.GetPins(member);
  if (!pins.ok()) return pins.status();
  return Settings(*pins);
}

}  // namespace mayday::server
