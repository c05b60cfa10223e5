// Open-file limits; see descriptor_limit.h.
#include "listener/descriptor_limit.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>

#include "absl/strings/str_cat.h"

namespace mayday::server {
namespace {

int64_t AsLimit(rlim_t value) {
  if (value == RLIM_INFINITY || value > static_cast<rlim_t>(std::numeric_limits<int64_t>::max())) {
    return std::numeric_limits<int64_t>::max();
  }
  return static_cast<int64_t>(value);
}

// The most descriptors the kernel lets one process have (fs.nr_open);
// 1,048,576 (its default) if it cannot be read.
rlim_t KernelCeiling() {
  std::ifstream file("/proc/sys/fs/nr_open");
  unsigned long long ceiling = 0;
  if (file >> ceiling && ceiling > 0) return static_cast<rlim_t>(ceiling);
  return 1 << 20;
}

}  // namespace

absl::StatusOr<DescriptorLimit> RaiseDescriptorLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot read the open-file limit: ", std::strerror(errno)));
  }
  DescriptorLimit out{.soft_before = AsLimit(limit.rlim_cur),
                      .soft = AsLimit(limit.rlim_cur),
                      .hard = AsLimit(limit.rlim_max)};
  if (limit.rlim_cur == limit.rlim_max) return out;
  // An unlimited hard limit cannot be a soft one: the kernel refuses more
  // than fs.nr_open descriptors.
  rlimit raised = limit;
  raised.rlim_cur = limit.rlim_max == RLIM_INFINITY ? KernelCeiling() : limit.rlim_max;
  if (raised.rlim_cur <= limit.rlim_cur) return out;
  if (setrlimit(RLIMIT_NOFILE, &raised) != 0) {
    return absl::InternalError(absl::StrCat("cannot raise the open-file limit from ",
                                            limit.rlim_cur, " to ", raised.rlim_cur, ": ",
                                            std::strerror(errno)));
  }
  out.soft = AsLimit(raised.rlim_cur);
  return out;
}

int64_t SoftDescriptorLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::numeric_limits<int64_t>::max();
  return AsLimit(limit.rlim_cur);
}

absl::StatusOr<int64_t> ConnectionCap(int64_t soft_limit, int64_t requested) {
  const int64_t cap = soft_limit - kReservedDescriptors;
  if (cap < kMinConnections) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the open-file limit (", soft_limit, ") leaves no room for connections: maydayd keeps ",
        kReservedDescriptors, " descriptors for itself and needs at least ", kMinConnections,
        " for connections; raise the limit to ", kReservedDescriptors + kMinConnections,
        " or more (ulimit -n, LimitNOFILE= in its systemd unit)"));
  }
  if (requested > cap) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max-connections ", requested, " is more than the open-file limit (", soft_limit,
        ") allows: at most ", cap, " (the limit less ", kReservedDescriptors,
        " for the database, the log and the listener); raise the limit or lower the cap"));
  }
  return requested > 0 ? requested : cap;
}

}  // namespace mayday::server
