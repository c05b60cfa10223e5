// FaultyVfs: a SQLite VFS for fault-injection tests. It passes every call
// through to SQLite's default VFS (unix) and on the way plays a disk that
// fails, in three ways:
//
//  - Power loss. It keeps, per file, the bytes a power cut would leave. As
//    in the OS page cache, a write reaches the real file at once (every read
//    sees it) but is durable only once an xSync of that file returned OK; a
//    new file's name, or a deleted file's absence, is durable only once its
//    directory was synced (SQLite's unix VFS syncs the directory on the first
//    sync of a journal or WAL it creates, or when it deletes one with
//    syncDir). Until then a deleted file may come back with its synced
//    bytes. CutPower() stops the machine: every later write, truncate,
//    sync and delete fails and changes nothing. With every connection
//    closed, RestoreDurable() then leaves each file as the power cut would:
//    its synced bytes, optionally plus a random subset of its unsynced
//    writes (a disk may have written some of them, in any order), files
//    whose name was never made durable gone, and the -shm index (memory
//    mapped, never synced; SQLite rebuilds it) deleted.
//  - Crash points: CrashAt(k) cuts the power at the k-th write or sync.
//  - A full disk and I/O errors: past a quota on the total size of the
//    files, a write that would grow them fails with SQLITE_FULL and writes
//    nothing; FailWrites(n) / FailSyncs(n) make the next n writes or syncs
//    fail with SQLITE_IOERR_WRITE / SQLITE_IOERR_FSYNC. A failed sync loses
//    the writes it was to make durable, as Linux does after a failed fsync
//    (it marks the pages clean: "fsyncgate"), while reads still see them.
//
// Syncs are not passed on to the real disk: durability is modelled, so
// thousands of simulated crashes run in seconds. Temporary files SQLite
// opens without a name are passed through untouched. Thread-safe.
#ifndef MAYDAY_TESTS_STORE_FAULTY_VFS_H_
#define MAYDAY_TESTS_STORE_FAULTY_VFS_H_

#include <cstdint>
#include <memory>
#include <string>

namespace mayday::server::testing {

class FaultyVfs {
 public:
  // Registers the VFS with SQLite as `name` (not as the default VFS); open a
  // database through it with StoreOptions::vfs = name. At most one FaultyVfs
  // per name at a time.
  explicit FaultyVfs(const std::string& name);
  // Unregisters it. Every connection opened through it must be closed.
  ~FaultyVfs();
  FaultyVfs(const FaultyVfs&) = delete;
  FaultyVfs& operator=(const FaultyVfs&) = delete;

  const std::string& name() const;

  // Cuts the power at the `k`-th write or sync (counting from 1 since the
  // VFS was made; that call fails and does nothing). 0: never. To crash `n`
  // calls from now: CrashAt(operations() + n).
  void CrashAt(int64_t k);
  // Cuts the power now.
  void CutPower();
  bool power_cut() const;
  // Writes and syncs of named files so far: the crash points passed.
  int64_t operations() const;

  // Once the power is cut and every connection through the VFS is closed:
  // rewrites each file it saw as the power cut leaves it (see above). `seed`
  // 0: every unsynced write is lost; otherwise each one survives with
  // probability 1/2, drawn from `seed`. Then the power is back on: no crash
  // point, no fault pending, and files opened from now on are taken as
  // durable as they are found.
  void RestoreDurable(uint32_t seed);

  // Caps the total size of the files open through the VFS at `bytes`;
  // -1: no cap.
  void SetQuota(int64_t bytes);
  // The total size of the files open through the VFS now.
  int64_t UsedBytes() const;
  // Database files opened from now on open read-only, as SQLite opens a
  // file the process may not write (permissions, an immutable file, a
  // read-only file system), without an error.
  void SetReadOnly(bool read_only);
  // The next `n` writes / syncs fail with an I/O error.
  void FailWrites(int n);
  void FailSyncs(int n);
  // How many writes the quota refused and how many syncs FailSyncs made
  // fail so far.
  int64_t writes_refused_full() const;
  int64_t syncs_failed() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mayday::server::testing

#endif  // MAYDAY_TESTS_STORE_FAULTY_VFS_H_
