// The connections the listener handed to gRPC that are still open, for its
// cap. gRPC 1.51 says nothing when it closes a connection, so each one is
// remembered by its descriptor and the socket's identity (device and inode,
// from fstat): a descriptor that is closed, or whose number the kernel gave
// to another file, is a connection gone. Counting them again costs one
// fstat per connection, so the listener does it only at its cap.
#ifndef MAYDAY_SERVER_LISTENER_OPEN_CONNECTIONS_H_
#define MAYDAY_SERVER_LISTENER_OPEN_CONNECTIONS_H_

#include <sys/types.h>

#include <cstddef>

#include "absl/container/flat_hash_map.h"

namespace mayday::server {

// Not thread-safe: the listener's accept thread owns it.
class OpenConnections {
 public:
  // Remembers `fd`, a connected socket about to be handed over (before the
  // hand-over: then its identity is surely this socket's). An earlier entry
  // with the same number is replaced: the kernel reuses only closed numbers.
  // Returns false, remembering nothing, if `fd` is not open.
  bool Add(int fd);
  // Forgets every connection closed since it was added; returns how many
  // are left.
  size_t Recount();
  // How many were open at the last Add or Recount (more may have closed).
  size_t size() const { return open_.size(); }

 private:
  struct Identity {
    dev_t device = 0;
    ino_t inode = 0;
    bool operator==(const Identity&) const = default;
  };
  absl::flat_hash_map<int, Identity> open_;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_LISTENER_OPEN_CONNECTIONS_H_
