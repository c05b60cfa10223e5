// Fix times as devices send them, bounded by the server's clock. A phone's or
// a crew terminal's clock can be wrong by years (a dead RTC battery, a user
// who set it by hand, a time zone applied twice); the server's clock is the
// one that orders and ages positions. A fix time is kept if it lies between
// `max_age` before the server's now and kMaxFixAhead after it (taken as now
// if after); outside that window the device's clock is off, and the fix is
// taken as of the moment the server received it.
#ifndef MAYDAY_SERVER_API_DEVICE_TIME_H_
#define MAYDAY_SERVER_API_DEVICE_TIME_H_

#include <optional>

#include "absl/time/time.h"
#include "api/proto_time.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::server {

// How far ahead of the server's clock a device's fix time may be: phones
// keep time to within a second or two of GNSS or NTP; more than a minute is
// a clock that is wrong.
inline constexpr absl::Duration kMaxFixAhead = absl::Seconds(60);
// The oldest fix time kept for a member's location: a phone may report the
// last fix it had, minutes old, which responders should see as such; an
// hour-old one is a wrong clock (or a fix too old to tell).
inline constexpr absl::Duration kMaxMemberFixAge = absl::Hours(1);

struct BoundedFix {
  absl::Time time;  // when the fix is taken to be
  // Set when the device's clock is off: its fix time minus the server's now
  // (positive: the device is ahead).
  std::optional<absl::Duration> device_clock_offset;
};

// The fix time of `location` (received at `now`) as the server takes it.
// Unset: `now`.
inline BoundedFix BoundFixTime(const mayday::v1::Location& location, absl::Time now,
                               absl::Duration max_age) {
  if (!location.has_fix_time()) return {now, std::nullopt};
  const absl::Time sent = FromProtoTime(location.fix_time());
  if (sent > now + kMaxFixAhead || sent < now - max_age) return {now, sent - now};
  return {sent < now ? sent : now, std::nullopt};
}

// A member's location as stored: its fix time bounded (BoundFixTime with
// kMaxMemberFixAge), and set if missing. When the device's time was
// replaced, device_fix_time keeps what it sent, so the app and the desk can
// see that its clock is off.
inline void BoundMemberFixTime(mayday::v1::Location& location, absl::Time now) {
  location.clear_device_fix_time();  // output only: what a client set is not kept
  const BoundedFix bounded = BoundFixTime(location, now, kMaxMemberFixAge);
  if (bounded.device_clock_offset.has_value()) {
    *location.mutable_device_fix_time() = location.fix_time();
  }
  *location.mutable_fix_time() = ToProtoTime(bounded.time);
}

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_API_DEVICE_TIME_H_
