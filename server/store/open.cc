// Store::Open: the engine its target names; see store.h.
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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
  if (absl::Status s = CheckDatabaseFolder(std::string(path)); !s.ok()) return s;
  return store_internal::SqliteStore::Open(std::string(path), options);
}

absl::Status CheckDatabaseFolder(const std::string& path) {
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (folder.empty()) folder = ".";
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(folder, error);
  if (std::filesystem::is_directory(status)) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("cannot open the database ", path, ": the folder ", folder.string(),
                   std::filesystem::exists(status) ? " is not a folder" : " does not exist",
                   "; create it, or give a file in a folder that exists"));
}

}  // namespace mayday::server
