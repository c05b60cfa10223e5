// A member's cancel and duress PINs (AlertService.SetCancelPins and
// GetCancelPins), and the check CancelCase makes with them. The PINs are
// hashed on the calling thread (about 150 ms each: auth/pin_hash.h),
// never on the store's writer.
#ifndef MAYDAY_SERVER_SERVICES_CANCEL_PINS_H_
#define MAYDAY_SERVER_SERVICES_CANCEL_PINS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "auth/token.h"
#include "mayday/base/clock.h"
#include "mayday/v1/alert_service.pb.h"
#include "store/store.h"

namespace mayday::server {

// What a PIN given to CancelCase is.
enum class PinVerdict {
  kNoPinSet,   // the member has no cancel PIN: the cancel needs none
  kCancelPin,  // the member's cancel PIN
  kDuressPin,  // the member's duress PIN
  kWrongPin,   // neither
};

// What `pin` (validated, or empty) is for `member`'s PINs. With a cancel
// PIN set, an empty `pin` is FAILED_PRECONDITION (nothing is counted). Both
// hashes are computed every time, a member without a duress PIN against a
// stand-in, so that the time an answer takes tells nothing of which PIN
// matched or whether there is a duress PIN. UNAVAILABLE if the store
// cannot be read.
absl::StatusOr<PinVerdict> CheckCancelPin(Store& store, const std::string& member,
                                          absl::string_view pin);

// SetCancelPins for `member`: validates, checks current_pin, hashes and
// stores the new PINs with an audit row ("member.pins.set"), durably.
absl::StatusOr<mayday::v1::CancelPinSettings> SetCancelPins(
    Store& store, const base::Clock& clock, const Principal& member,
    const mayday::v1::SetCancelPinsRequest& request);

// GetCancelPins for `member`.
absl::StatusOr<mayday::v1::CancelPinSettings> GetCancelPins(Store& store,
                                                            const std::string& member);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_SERVICES_CANCEL_PINS_H_
