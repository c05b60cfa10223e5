// The process's open-file limit (RLIMIT_NOFILE) and the connection cap
// maydayd derives from it.
//
// Every connection holds a descriptor, and so do the database files, the
// log, the listening sockets and gRPC's own event files. gRPC 1.51's own
// listener stopped accepting for good on the first EMFILE, so maydayd
// (1) raises its soft limit to the hard one at start: shells and many
// service managers start daemons with a soft limit of 1,024 under a much
// higher hard one; and (2) takes at most the limit less kReservedDescriptors
// connections at once, refusing more at once (listener/listener.h), so that
// connections never take the descriptors the rest of the server needs.
#ifndef MAYDAY_SERVER_LISTENER_DESCRIPTOR_LIMIT_H_
#define MAYDAY_SERVER_LISTENER_DESCRIPTOR_LIMIT_H_

#include <cstdint>

#include "absl/status/statusor.h"

namespace mayday::server {

// Descriptors kept out of the connection cap for everything else maydayd
// opens: 21 when idle (stdio, the store's three SQLite connections with
// their -wal, -shm and -mark files, the -lock file, gRPC's epoll and
// event files, the listener's socket, eventfd and spare), a few more at
// times (the probe's socket, audit verify's connection, SQLite's temporary
// files), with room for what a later version adds.
inline constexpr int64_t kReservedDescriptors = 64;
// The fewest connections worth serving: a limit that leaves fewer is a
// configuration error, said at start rather than found under load.
inline constexpr int64_t kMinConnections = 16;

struct DescriptorLimit {
  int64_t soft_before = 0;  // the soft limit the process started with
  int64_t soft = 0;         // the soft limit now
  int64_t hard = 0;         // the hard limit (a soft limit can go no higher)
};

// Raises the soft open-file limit to the hard one, or to the kernel's
// ceiling (fs.nr_open) when the hard limit is unlimited. Returns the limits
// before and after; INTERNAL if the limit cannot be read or set. Call once
// at start, before other threads open files; any thread.
absl::StatusOr<DescriptorLimit> RaiseDescriptorLimit();

// The soft open-file limit now (INT64_MAX if unlimited).
int64_t SoftDescriptorLimit();

// The connection cap for a soft limit: `soft_limit` less
// kReservedDescriptors. `requested`, if positive, is an operator's lower cap
// (maydayd --max-connections). INVALID_ARGUMENT if `requested` is above the
// limit's cap, FAILED_PRECONDITION if the limit leaves fewer than
// kMinConnections; both messages say what to change.
absl::StatusOr<int64_t> ConnectionCap(int64_t soft_limit, int64_t requested = 0);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_LISTENER_DESCRIPTOR_LIMIT_H_
