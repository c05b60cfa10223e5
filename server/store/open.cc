// Store::Open: the engine its target names; see store.h.
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "store/pg_store.h"
#include "store/sqlite_store.h"

namespace mayday::server {

bool IsPostgresTarget(absl::string_view target) {
  return absl::StartsWith(target, "postgresql://") || absl::StartsWith(target, "postgres://");
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& target,
                                                   const StoreOptions& options) {
  if (IsPostgresTarget(target)) return store_internal::PgStore::Open(target, options);
  absl::string_view path = target;
  absl::ConsumePrefix(&path, "sqlite:");
  return store_internal::SqliteStore::Open(std::string(path), options);
}

}  // namespace mayday::server
