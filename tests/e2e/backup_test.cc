// `maydayd backup` while maydayd serves, and the two ways back from it
// (docs/operations.md): a copy served as it is, and a copy put back in place
// of a file that had gone further, which maydayd refuses until
// --accept-data-loss records what was lost.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "daemon.h"
#include "member_calls.h"

namespace mayday::testing {
namespace {

namespace fs = std::filesystem;

struct Folder {
  fs::path path;
  Folder() {
    std::random_device random;
    path = fs::temp_directory_path() /
           ("mayday-backup-" + std::to_string(random()) + std::to_string(random()));
    fs::create_directories(path);
  }
  ~Folder() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

// The member's cases on the maydayd at `address`.
std::vector<std::string> CasesOf(const std::string& address, const std::string& token) {
  std::vector<std::string> names;
  REQUIRE(ListOwnCases(address, token, &names).ok());
  return names;
}

TEST_CASE("maydayd backup copies a served database, and the copy restores") {
  Folder folder;
  const std::string db = (folder.path / "mayday.db").string();
  const std::string copy = (folder.path / "backup.db").string();
  std::vector<std::string> members;
  for (const char* name : {"before-1", "before-2", "after"}) {
    members.push_back(CreateToken(MAYDAYD_BINARY, db, "member", name));
  }
  std::vector<std::string> cases;
  {
    Daemon serving(MAYDAYD_BINARY, db);
    for (int i = 0; i < 2; ++i) {
      mayday::v1::Case raised;
      REQUIRE(Raise(serving.address(), members[i], "press-" + std::to_string(i), &raised).ok());
      cases.push_back(raised.name());
    }
    // Online: maydayd keeps serving, and committing, meanwhile.
    const Output backup = Run({MAYDAYD_BINARY, "backup", "--db", db, "--to", copy});
    INFO(backup.text());
    REQUIRE(backup.exit_code == 0);
    CHECK_THAT(backup.text(), Catch::StartsWith(copy + ": 2 cases, ") &&
                                  Catch::EndsWith("bytes, integrity check ok"));
    mayday::v1::Case later;
    REQUIRE(Raise(serving.address(), members[2], "press-later", &later).ok());

    // Never over an existing file; a missing database and PostgreSQL are
    // named.
    const Output again = Run({MAYDAYD_BINARY, "backup", "--db", db, "--to", copy});
    CHECK(again.exit_code == 2);
    CHECK(again.text() ==
          "maydayd: backup: " + copy + " exists; a backup never overwrites: " + "give a new file");
    const Output missing =
        Run({MAYDAYD_BINARY, "backup", "--db", db + ".nope", "--to", copy + ".2"});
    CHECK(missing.exit_code == 2);
    CHECK(missing.text() == "maydayd: backup: no database at " + db + ".nope");
    const Output postgres =
        Run({MAYDAYD_BINARY, "backup", "--store", "postgresql://x@/y", "--to", copy + ".3"});
    CHECK(postgres.exit_code == 2);
    CHECK_THAT(postgres.text(), Catch::Contains("pg_dump"));
    REQUIRE(WIFEXITED(serving.Stop(SIGTERM)));
  }

  SECTION("served as it is: the cases acknowledged before the backup, none after") {
    Daemon restored(MAYDAYD_BINARY, copy);
    CHECK(CasesOf(restored.address(), members[0]) == std::vector<std::string>{cases[0]});
    CHECK(CasesOf(restored.address(), members[1]) == std::vector<std::string>{cases[1]});
    CHECK(CasesOf(restored.address(), members[2]).empty());
  }
  SECTION("put back in place: refused until --accept-data-loss, then served") {
    for (const char* suffix : {"-wal", "-shm"}) fs::remove(db + suffix);
    fs::copy_file(copy, db, fs::copy_options::overwrite_existing);
    const Output refused = Run({MAYDAYD_BINARY, "--listen", "127.0.0.1:0", "--db", db});
    INFO(refused.text());
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.text(),
               Catch::Contains("DATA_LOSS") && Catch::Contains("--accept-data-loss"));
    Daemon accepted(MAYDAYD_BINARY, db, {"--accept-data-loss"});
    CHECK(CasesOf(accepted.address(), members[0]) == std::vector<std::string>{cases[0]});
    CHECK(CasesOf(accepted.address(), members[2]).empty());
  }
}

}  // namespace
}  // namespace mayday::testing
