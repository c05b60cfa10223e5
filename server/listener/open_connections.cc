// Counting handed-over connections; see open_connections.h.
#include "listener/open_connections.h"

#include <sys/stat.h>

#include "absl/container/flat_hash_map.h"

namespace mayday::server {

bool OpenConnections::Add(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return false;
  open_[fd] = Identity{.device = st.st_dev, .inode = st.st_ino};
  return true;
}

size_t OpenConnections::Recount() {
  absl::erase_if(open_, [](const auto& entry) {
    struct stat st {};
    return fstat(entry.first, &st) != 0 ||
           !(Identity{.device = st.st_dev, .inode = st.st_ino} == entry.second);
  });
  return open_.size();
}

}  // namespace mayday::server
