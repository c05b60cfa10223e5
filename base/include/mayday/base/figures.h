// Distances and spans of time in the short words dispatch uses in what it
// tells care agents ("no position from r-2 for 2 min 10 s (3.4 km to go)").
#ifndef MAYDAY_BASE_FIGURES_H_
#define MAYDAY_BASE_FIGURES_H_

#include <string>

#include "absl/time/time.h"

namespace mayday::base {

// "850 m" below a kilometre, else "3.4 km" or "3.0 km" (to 100 m).
std::string MetersInWords(double meters);

// "45 s", "3 min", "2 min 10 s" (whole seconds, rounded down).
std::string SpanInWords(absl::Duration span);

}  // namespace mayday::base

#endif  // MAYDAY_BASE_FIGURES_H_
