// libFuzzer harness: the SDK outbox's decoding of the requests it stored
// (OutboxStore::LoadPending parses each row's bytes back into a
// RaiseAlertRequest, and the client resends what it returns). The payload
// is written raw as the `request` blob of one pending row, as a damaged or
// foreign file could hold it; byte 1 bit 7 first encodes a text-format
// payload as a real request would be stored. Checked: LoadPending returns
// at most that row, never one without a request_id, and what it returns
// survives Insert and LoadPending again unchanged.
#include <sqlite3.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "fuzz_input.h"
#include "outbox_store.h"

namespace {

namespace v1 = mayday::v1;
using mayday::sdk::internal::OutboxStore;
constexpr char kHarness[] = "sdk_outbox_fuzz";

struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<OutboxStore> store;
  sqlite3* raw = nullptr;  // a second connection, to write rows as bytes
};

Fixture& GetFixture() {
  static Fixture* fixture = [] {
    auto* f = new Fixture;
    f->dir = std::filesystem::temp_directory_path() /
             absl::StrCat("mayday-outbox-fuzz-", std::to_string(::getpid()));
    std::filesystem::create_directories(f->dir);
    std::filesystem::remove(f->dir / OutboxStore::kFileName);
    // Rows are written below as this member's ("fuzz"), as LoadPending
    // reads only its own member's.
    auto store = OutboxStore::Open(f->dir.string(), "fuzz");
    if (!store.ok()) mayday::fuzz::Fail(kHarness, store.status().ToString());
    f->store = std::move(*store);
    const std::string path = (f->dir / OutboxStore::kFileName).string();
    if (sqlite3_open(path.c_str(), &f->raw) != SQLITE_OK) {
      mayday::fuzz::Fail(kHarness, "cannot open the outbox file");
    }
    sqlite3_busy_timeout(f->raw, 5000);
    // The harness's own writes need no fsync; the store's keep theirs.
    sqlite3_exec(f->raw, "PRAGMA synchronous=OFF", nullptr, nullptr, nullptr);
    // Removed at exit (libFuzzer ends with exit()).
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(GetFixture().dir, ignored);
    });
    return f;
  }();
  return *fixture;
}

void Exec(sqlite3* db, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    mayday::fuzz::Fail(kHarness, absl::StrCat(sql, ": ", sqlite3_errmsg(db)));
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  mayday::fuzz::QuietLibraries();
  GetFixture();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto input = mayday::fuzz::SplitInput(data, size);
  if (!input.has_value()) return 0;
  std::string blob(input->payload);
  if (input->text) {
    v1::RaiseAlertRequest request;
    if (!mayday::fuzz::ParsePayload(*input, &request)) return 0;
    blob = request.SerializeAsString();
  }
  Fixture& fixture = GetFixture();
  Exec(fixture.raw, "DELETE FROM alerts");
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(fixture.raw,
                     "INSERT INTO alerts (member, request_id, request, state, created_at)"
                     " VALUES ('fuzz', 'row', ?, 0, 0)",
                     -1, &insert, nullptr);
  sqlite3_bind_blob(insert, 1, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
  if (sqlite3_step(insert) != SQLITE_DONE) mayday::fuzz::Fail(kHarness, "cannot write the row");
  sqlite3_finalize(insert);

  auto pending = fixture.store->LoadPending();
  if (!pending.ok()) mayday::fuzz::Fail(kHarness, pending.status().ToString());
  if (pending->size() > 1) mayday::fuzz::Fail(kHarness, "LoadPending made up rows");
  if (pending->empty()) return 0;
  const v1::RaiseAlertRequest& loaded = pending->front();
  if (loaded.request_id().empty()) {
    mayday::fuzz::Fail(kHarness, "LoadPending returned a request without request_id", &loaded);
  }
  // What was loaded is stored and loaded back the same (under its own id).
  Exec(fixture.raw, "DELETE FROM alerts");
  if (auto s = fixture.store->Insert(loaded); !s.ok()) mayday::fuzz::Fail(kHarness, s.ToString());
  auto again = fixture.store->LoadPending();
  // Compared as bytes: a NaN coordinate is not equal to itself.
  if (!again.ok() || again->size() != 1 ||
      again->front().SerializeAsString() != loaded.SerializeAsString()) {
    mayday::fuzz::Fail(kHarness, "a loaded request did not survive Insert and LoadPending",
                       &loaded);
  }
  return 0;
}
