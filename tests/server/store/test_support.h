// Shared fixtures of the store tests: a scratch directory removed at the end
// of the test, case and event builders, and raw SQLite access for checking
// what is actually in the file.
#ifndef MAYDAY_TESTS_STORE_TEST_SUPPORT_H_
#define MAYDAY_TESTS_STORE_TEST_SUPPORT_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "mayday/v1/resources.pb.h"
#include "store/sqlite_database.h"
#include "store/store.h"

namespace mayday::server::testing {

// A fresh, uniquely named directory under the system temp directory,
// removed with everything in it when destroyed.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  // The path of `name` inside the directory.
  std::string File(const std::string& name) const;

 private:
  std::filesystem::path path_;
};

// Opens the store at `path`, failing the test if it does not open.
std::unique_ptr<Store> OpenStore(const std::string& path);

// The store contract's engines. A test case that declares
// EACH_STORE_ENGINE(engine) runs once per engine (a Catch2 generator) and
// says which in its failures.
enum class Engine { kSqlite, kPostgres };
const char* EngineName(Engine engine);
#define EACH_STORE_ENGINE(engine)                                                                \
  const ::mayday::server::testing::Engine engine = GENERATE(                                     \
      ::mayday::server::testing::Engine::kSqlite, ::mayday::server::testing::Engine::kPostgres); \
  INFO("on " << ::mayday::server::testing::EngineName(engine))

// Where one test's store lives: a file in `dir` (SQLite) or a new database
// of the shared test cluster (PostgreSQL). Open opens it anew each time,
// so a reopened store finds what was stored. The checks read the database
// on a connection of their own, with SQL both engines take.
class StoreTarget {
 public:
  StoreTarget(Engine engine, const ScratchDir& dir, const std::string& file = "mayday.db");

  Engine engine() const { return engine_; }
  // What Store::Open takes: the file's path, or a PostgreSQL URI.
  const std::string& target() const { return target_; }
  std::unique_ptr<Store> Open(const StoreOptions& options = {}) const;

  // As the functions on a path below, on either engine.
  int64_t QueryInt(const std::string& sql) const;
  std::string QueryText(const std::string& sql) const;
  void Exec(const std::string& sql) const;
  // SQLite: CheckIntegrity; PostgreSQL keeps its own integrity: "ok".
  std::string CheckIntegrity() const;

 private:
  std::unique_ptr<store_internal::Database> Connect() const;
  // The first row's first column of `sql`, read by `read`; `none` if no row.
  template <typename T, typename Read>
  T FirstColumn(const std::string& sql, T none, Read read) const;

  Engine engine_;
  std::string target_;
};

// A DISPATCHING case "cases/{id}" at last_sequence 1, created at
// `create_time_us`.
mayday::v1::Case NewCase(const std::string& id, const std::string& member,
                         const std::string& request_id,
                         mayday::v1::CaseKind kind = mayday::v1::CASE_KIND_ROAD,
                         int64_t create_time_us = 1'700'000'000'000'000);

// The Raised event (sequence 1) of a new case.
mayday::v1::CaseEvent RaisedEvent(const mayday::v1::Case& snapshot);

// The next snapshot of `current` and the event that leads to it, with state
// `state` and sequence current.last_sequence() + 1.
std::pair<mayday::v1::Case, mayday::v1::CaseEvent> NextStep(const mayday::v1::Case& current,
                                                            mayday::v1::CaseState state);

// Runs `sql` on its own connection to `path` and returns the first column
// of the first row as an integer (0 if there is none) or text.
int64_t QueryInt(const std::string& path, const std::string& sql);
std::string QueryText(const std::string& path, const std::string& sql);
// Runs `sql` on its own connection; fails the test on error.
void Exec(const std::string& path, const std::string& sql);

// "ok" if PRAGMA integrity_check and foreign_key_check find nothing wrong,
// else what they found.
std::string CheckIntegrity(const std::string& path);

// Runs `job` through the group commit and returns its outcome.
absl::Status Write(Store& store, WriteJob job);

// Runs `sql` on a connection of its own; SQLite's result code.
int RawExec(const std::string& path, const std::string& sql);

// A file at schema `version` with no rows, as a Mayday of that version made
// it (its migrations and their backfills run, each recorded), left open for
// the test to add what that version stored.
std::unique_ptr<store_internal::SqliteDatabase> WriteSchemaFile(const std::string& path,
                                                                int version);

}  // namespace mayday::server::testing

#endif  // MAYDAY_TESTS_STORE_TEST_SUPPORT_H_
