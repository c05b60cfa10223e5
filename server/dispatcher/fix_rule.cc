// When dispatch asks for a fresher fix; see fix_rule.h.
#include "dispatcher/fix_rule.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/proto_time.h"
#include "cases/case_rules.h"
#include "mayday/base/figures.h"

namespace mayday::server {
namespace {

using base::MetersInWords;
using base::SpanInWords;

}  // namespace

absl::Status FixLimits::Validate() const {
  const std::pair<bool, const char*> checks[] = {
      {max_accuracy_meters > 0, "max accuracy"},
      {max_age > absl::ZeroDuration(), "max age"},
      {max_requests > 0, "max requests"},
      {min_interval > absl::ZeroDuration(), "min interval"},
  };
  for (const auto& [ok, name] : checks) {
    if (!ok)
      return absl::InvalidArgumentError(absl::StrCat("fix request ", name, " must be positive"));
  }
  return absl::OkStatus();
}

std::optional<mayday::v1::FixRequest> FixRequestFor(const mayday::v1::Location& location,
                                                    absl::Time received, const FixLimits& limits) {
  using mayday::v1::FixRequest;
  const double accuracy = location.horizontal_accuracy_meters();
  const absl::Duration age =
      location.has_fix_time() && !location.has_device_fix_time()
          ? std::max(absl::ZeroDuration(), received - FromProtoTime(location.fix_time()))
          : absl::ZeroDuration();
  FixRequest request;
  request.set_accuracy_meters(accuracy);
  request.set_age_seconds(static_cast<int32_t>(absl::ToInt64Seconds(age)));
  if (accuracy > limits.max_accuracy_meters) {
    request.set_reason(FixRequest::REASON_INACCURATE);
    request.set_words(absl::StrCat("the fix is ", MetersInWords(accuracy), " uncertain (more than ",
                                   MetersInWords(limits.max_accuracy_meters), ")"));
    return request;
  }
  if (age > limits.max_age) {
    request.set_reason(FixRequest::REASON_STALE);
    request.set_words(absl::StrCat("the fix was ", SpanInWords(age),
                                   " old when it arrived (more than ", SpanInWords(limits.max_age),
                                   ")"));
    return request;
  }
  return std::nullopt;
}

absl::Status MayRequestFix(const mayday::v1::Case& c, absl::Time now, const FixLimits& limits) {
  if (IsTerminal(c.state()) || c.state() == mayday::v1::CASE_STATE_ON_SCENE) {
    return absl::FailedPreconditionError(
        absl::StrCat(c.name(), " is ", StateName(c.state()), ": no fix is asked for"));
  }
  if (!c.has_fix_request()) return absl::OkStatus();
  if (c.fix_request().count() >= limits.max_requests) {
    return absl::FailedPreconditionError(absl::StrCat(
        "a fix was asked for ", c.fix_request().count(), " times on ", c.name(), " already"));
  }
  if (now - FromProtoTime(c.fix_request().time()) < limits.min_interval) {
    return absl::ResourceExhaustedError(absl::StrCat("a fix was asked for on ", c.name(),
                                                     " less than ",
                                                     SpanInWords(limits.min_interval), " ago"));
  }
  return absl::OkStatus();
}

}  // namespace mayday::server
