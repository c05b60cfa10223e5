// Random request ids; see request_id.h.
#include "request_id.h"

#include <cstdint>
#include <random>

#include "absl/strings/str_cat.h"

namespace mayday::sdk::internal {

std::string NewRequestId() {
  // A local random_device keeps this thread-safe; one alert needs one id, so
  // the cost of opening the entropy source does not matter.
  std::random_device device;
  std::string id;
  id.reserve(32);
  for (int i = 0; i < 4; ++i) {
    absl::StrAppend(
        &id, absl::Hex(static_cast<uint32_t>(device()), absl::kZeroPad8));
  }
  return id;
}

}  // namespace mayday::sdk::internal
