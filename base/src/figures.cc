// Distances and spans in words; see figures.h.
#include "mayday/base/figures.h"

#include <cmath>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace mayday::base {

std::string MetersInWords(double meters) {
  if (meters < 1000) return absl::StrCat(static_cast<int64_t>(std::lround(meters)), " m");
  return absl::StrFormat("%.1f km", std::lround(meters / 100) / 10.0);
}

std::string SpanInWords(absl::Duration span) {
  const int64_t s = absl::ToInt64Seconds(span);
  if (s < 60) return absl::StrCat(s, " s");
  if (s % 60 == 0) return absl::StrCat(s / 60, " min");
  return absl::StrCat(s / 60, " min ", s % 60, " s");
}

}  // namespace mayday::base
