// The fault-injecting SQLite VFS; see faulty_vfs.h. A shim file is SQLite's
// sqlite3_file for this VFS followed by the default VFS's own file object,
// to which every call is passed; the durability model lives in one FileState
// per path, shared by every connection that opens the path.
#include "faulty_vfs.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace mayday::server::testing {
namespace {

// One write or truncation not yet synced.
struct Change {
  bool truncate = false;
  int64_t offset = 0;  // a truncation: the new size
  std::string data;
};

// What a power cut would leave of one path.
struct FileState {
  std::string durable;           // the file's bytes as last synced
  bool durable_name = false;     // its directory entry survives a power cut
  bool exists = false;           // the file exists now (page cache view)
  bool main_db = false;          // a database file, with a -shm beside it
  std::vector<Change> unsynced;  // since the last sync, in order
};

void Apply(const Change& change, std::string& bytes) {
  if (change.truncate) {
    bytes.resize(static_cast<size_t>(change.offset));
    return;
  }
  const size_t end = static_cast<size_t>(change.offset) + change.data.size();
  if (bytes.size() < end) bytes.resize(end, '\0');
  std::copy(change.data.begin(), change.data.end(), bytes.begin() + change.offset);
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

void WriteWholeFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("FaultyVfs: cannot restore " + path);
}

struct ShimFile;

}  // namespace

struct FaultyVfs::Impl {
  sqlite3_vfs vfs{};  // what SQLite calls; pAppData points back here
  sqlite3_vfs* real = nullptr;
  std::string name;
  sqlite3_io_methods methods{};

  mutable std::mutex mu;
  std::map<std::string, FileState> files;  // by full path
  std::set<ShimFile*> open;
  int64_t operations = 0;
  int64_t crash_at = 0;
  bool power_cut = false;
  int64_t quota = -1;
  int fail_writes = 0;
  int fail_syncs = 0;
  bool read_only = false;
  int64_t refused_full = 0;
  int64_t failed_syncs = 0;

  // Counts a write or sync; true if it is the crash point (the power is
  // then cut). Requires mu.
  bool CountAndCrash() {
    ++operations;
    if (crash_at > 0 && operations == crash_at) power_cut = true;
    return power_cut;
  }
  int64_t UsedBytesLocked() const;
};

namespace {

struct ShimFile {
  sqlite3_file base;  // first: SQLite sees this
  FaultyVfs::Impl* vfs;
  FileState* state;       // null for an unnamed temporary file
  std::string directory;  // of the file; empty if unnamed
  bool sync_directory;    // the unix VFS would sync it on the first xSync
  sqlite3_file* real;     // the default VFS's file, right after this
};

constexpr size_t kRealOffset = (sizeof(ShimFile) + 15) / 16 * 16;

ShimFile* Shim(sqlite3_file* file) { return reinterpret_cast<ShimFile*>(file); }
FaultyVfs::Impl* VfsOf(sqlite3_vfs* vfs) { return static_cast<FaultyVfs::Impl*>(vfs->pAppData); }

int Close(sqlite3_file* file) {
  ShimFile* shim = Shim(file);
  {
    std::lock_guard<std::mutex> lock(shim->vfs->mu);
    shim->vfs->open.erase(shim);
  }
  int rc = shim->real->pMethods->xClose(shim->real);
  shim->directory.~basic_string();
  return rc;
}

int Read(sqlite3_file* file, void* buffer, int amount, sqlite3_int64 offset) {
  ShimFile* shim = Shim(file);
  return shim->real->pMethods->xRead(shim->real, buffer, amount, offset);
}

int Write(sqlite3_file* file, const void* buffer, int amount, sqlite3_int64 offset) {
  ShimFile* shim = Shim(file);
  FaultyVfs::Impl& vfs = *shim->vfs;
  std::lock_guard<std::mutex> lock(vfs.mu);
  if (vfs.power_cut) return SQLITE_IOERR_WRITE;
  if (shim->state != nullptr && vfs.CountAndCrash()) return SQLITE_IOERR_WRITE;
  if (vfs.fail_writes > 0) {
    --vfs.fail_writes;
    return SQLITE_IOERR_WRITE;
  }
  if (vfs.quota >= 0) {
    sqlite3_int64 size = 0;
    int rc = shim->real->pMethods->xFileSize(shim->real, &size);
    if (rc != SQLITE_OK) return rc;
    const int64_t growth = std::max<int64_t>(0, offset + amount - size);
    if (growth > 0 && vfs.UsedBytesLocked() + growth > vfs.quota) {
      ++vfs.refused_full;
      return SQLITE_FULL;
    }
  }
  int rc = shim->real->pMethods->xWrite(shim->real, buffer, amount, offset);
  if (rc == SQLITE_OK && shim->state != nullptr) {
    shim->state->unsynced.push_back(
        Change{false, offset, std::string(static_cast<const char*>(buffer), amount)});
  }
  return rc;
}

int Truncate(sqlite3_file* file, sqlite3_int64 size) {
  ShimFile* shim = Shim(file);
  std::lock_guard<std::mutex> lock(shim->vfs->mu);
  if (shim->vfs->power_cut) return SQLITE_IOERR_TRUNCATE;
  int rc = shim->real->pMethods->xTruncate(shim->real, size);
  if (rc == SQLITE_OK && shim->state != nullptr) {
    shim->state->unsynced.push_back(Change{true, size, {}});
  }
  return rc;
}

int Sync(sqlite3_file* file, int /*flags*/) {
  ShimFile* shim = Shim(file);
  FaultyVfs::Impl& vfs = *shim->vfs;
  std::lock_guard<std::mutex> lock(vfs.mu);
  if (shim->state == nullptr) return vfs.power_cut ? SQLITE_IOERR_FSYNC : SQLITE_OK;
  if (vfs.power_cut || vfs.CountAndCrash()) return SQLITE_IOERR_FSYNC;
  FileState& state = *shim->state;
  if (vfs.fail_syncs > 0) {
    // The kernel dropped the dirty pages it could not write and marked them
    // clean: they never become durable, though reads still see them.
    --vfs.fail_syncs;
    ++vfs.failed_syncs;
    state.unsynced.clear();
    return SQLITE_IOERR_FSYNC;
  }
  for (const Change& change : state.unsynced) Apply(change, state.durable);
  state.unsynced.clear();
  if (shim->sync_directory) {
    shim->sync_directory = false;
    // The directory as it is now becomes durable: new names and deletions.
    for (auto& [path, other] : vfs.files) {
      if (std::filesystem::path(path).parent_path() != shim->directory) continue;
      other.durable_name = other.exists;
      if (!other.exists) other.durable.clear();
    }
  }
  return SQLITE_OK;
}

int FileSize(sqlite3_file* file, sqlite3_int64* size) {
  ShimFile* shim = Shim(file);
  return shim->real->pMethods->xFileSize(shim->real, size);
}

int Lock(sqlite3_file* file, int level) {
  ShimFile* shim = Shim(file);
  return shim->real->pMethods->xLock(shim->real, level);
}

int Unlock(sqlite3_file* file, int level) {
  ShimFile* shim = Shim(file);
  return shim->real->pMethods->xUnlock(shim->real, level);
}

int CheckReservedLock(sqlite3_file* file, int* reserved) {
  ShimFile* shim = Shim(file);
  return shim->real->pMethods->xCheckReservedLock(shim->real, reserved);
}

int FileControl(sqlite3_file* file, int op, void* arg) {
  ShimFile* shim = Shim(file);
  return shim->real->pMethods->xFileControl(shim->real, op, arg);
}

int SectorSize(sqlite3_file* file) {
  ShimFile* shim = Shim(file);
  return shim->real->pMethods->xSectorSize(shim->real);
}

int DeviceCharacteristics(sqlite3_file* file) {
  ShimFile* shim = Shim(file);
  return shim->real->pMethods->xDeviceCharacteristics(shim->real);
}

int ShmMap(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  ShimFile* shim = Shim(file);
  return shim->real->pMethods->xShmMap(shim->real, region, size, extend, out);
}

int ShmLock(sqlite3_file* file, int offset, int n, int flags) {
  ShimFile* shim = Shim(file);
  return shim->real->pMethods->xShmLock(shim->real, offset, n, flags);
}

void ShmBarrier(sqlite3_file* file) {
  ShimFile* shim = Shim(file);
  shim->real->pMethods->xShmBarrier(shim->real);
}

int ShmUnmap(sqlite3_file* file, int delete_flag) {
  ShimFile* shim = Shim(file);
  return shim->real->pMethods->xShmUnmap(shim->real, delete_flag);
}

int Fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  ShimFile* shim = Shim(file);
  return shim->real->pMethods->xFetch(shim->real, offset, amount, out);
}

int Unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  ShimFile* shim = Shim(file);
  return shim->real->pMethods->xUnfetch(shim->real, offset, page);
}

int Open(sqlite3_vfs* vfs_base, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  FaultyVfs::Impl& vfs = *VfsOf(vfs_base);
  ShimFile* shim = Shim(file);
  shim->base.pMethods = nullptr;
  std::lock_guard<std::mutex> lock(vfs.mu);
  if (vfs.power_cut) return SQLITE_CANTOPEN;
  const bool existed = name != nullptr && ::access(name, F_OK) == 0;
  shim->vfs = &vfs;
  shim->state = nullptr;
  shim->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kRealOffset);
  shim->real->pMethods = nullptr;
  if (vfs.read_only && (flags & SQLITE_OPEN_MAIN_DB) != 0 && (flags & SQLITE_OPEN_READWRITE) != 0) {
    // As the unix VFS does when the file cannot be opened for writing.
    flags = (flags & ~(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_READONLY;
  }
  int rc = vfs.real->xOpen(vfs.real, name, shim->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    // SQLite does not close a file whose open failed.
    if (shim->real->pMethods != nullptr) shim->real->pMethods->xClose(shim->real);
    return rc;
  }
  new (&shim->directory) std::string();
  shim->base.pMethods = &vfs.methods;
  shim->sync_directory = false;
  vfs.open.insert(shim);
  if (name == nullptr) return rc;
  auto [it, first_seen] = vfs.files.try_emplace(name);
  FileState& state = it->second;
  if (first_seen && existed) {
    // There before this VFS saw it: take it as durable.
    state.durable = ReadWholeFile(name);
    state.durable_name = true;
  } else if (!existed) {
    // A new file, or one made again after a delete: starts empty.
    state.unsynced.push_back(Change{true, 0, {}});
  }
  state.exists = true;
  state.main_db = state.main_db || (flags & SQLITE_OPEN_MAIN_DB) != 0;
  shim->state = &state;
  shim->directory = std::filesystem::path(name).parent_path().string();
  shim->sync_directory =
      (flags & SQLITE_OPEN_CREATE) != 0 &&
      (flags & (SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_SUPER_JOURNAL)) != 0;
  return rc;
}

int Delete(sqlite3_vfs* vfs_base, const char* name, int sync_dir) {
  FaultyVfs::Impl& vfs = *VfsOf(vfs_base);
  std::lock_guard<std::mutex> lock(vfs.mu);
  if (vfs.power_cut) return SQLITE_IOERR_DELETE;
  int rc = vfs.real->xDelete(vfs.real, name, 0);
  auto it = vfs.files.find(name);
  if (rc == SQLITE_OK && it != vfs.files.end()) {
    FileState& state = it->second;
    state.exists = false;
    state.unsynced.clear();
    // Without a directory sync the old name, with its synced bytes, may
    // come back after a power cut.
    if (sync_dir != 0) {
      for (auto& [path, other] : vfs.files) {
        if (std::filesystem::path(path).parent_path() != std::filesystem::path(name).parent_path())
          continue;
        other.durable_name = other.exists;
        if (!other.exists) other.durable.clear();
      }
    }
  }
  return rc;
}

int Access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return VfsOf(vfs)->real->xAccess(VfsOf(vfs)->real, name, flags, out);
}

int FullPathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  return VfsOf(vfs)->real->xFullPathname(VfsOf(vfs)->real, name, size, out);
}

void* DlOpen(sqlite3_vfs* vfs, const char* name) {
  return VfsOf(vfs)->real->xDlOpen(VfsOf(vfs)->real, name);
}

void DlError(sqlite3_vfs* vfs, int size, char* out) {
  VfsOf(vfs)->real->xDlError(VfsOf(vfs)->real, size, out);
}

void (*DlSym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return VfsOf(vfs)->real->xDlSym(VfsOf(vfs)->real, handle, symbol);
}

void DlClose(sqlite3_vfs* vfs, void* handle) {
  VfsOf(vfs)->real->xDlClose(VfsOf(vfs)->real, handle);
}

int Randomness(sqlite3_vfs* vfs, int size, char* out) {
  return VfsOf(vfs)->real->xRandomness(VfsOf(vfs)->real, size, out);
}

int Sleep(sqlite3_vfs* vfs, int micros) {
  return VfsOf(vfs)->real->xSleep(VfsOf(vfs)->real, micros);
}

int CurrentTime(sqlite3_vfs* vfs, double* out) {
  return VfsOf(vfs)->real->xCurrentTime(VfsOf(vfs)->real, out);
}

int GetLastError(sqlite3_vfs* vfs, int size, char* out) {
  return VfsOf(vfs)->real->xGetLastError(VfsOf(vfs)->real, size, out);
}

int CurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return VfsOf(vfs)->real->xCurrentTimeInt64(VfsOf(vfs)->real, out);
}

}  // namespace

int64_t FaultyVfs::Impl::UsedBytesLocked() const {
  int64_t total = 0;
  std::set<const FileState*> counted;
  for (ShimFile* file : open) {
    if (file->state != nullptr && !counted.insert(file->state).second) continue;
    sqlite3_int64 size = 0;
    if (file->real->pMethods->xFileSize(file->real, &size) == SQLITE_OK) total += size;
  }
  return total;
}

FaultyVfs::FaultyVfs(const std::string& name) : impl_(std::make_unique<Impl>()) {
  Impl& impl = *impl_;
  impl.name = name;
  impl.real = sqlite3_vfs_find(nullptr);
  if (impl.real == nullptr) throw std::runtime_error("FaultyVfs: no default SQLite VFS");
  sqlite3_vfs& vfs = impl.vfs;
  vfs.iVersion = 2;
  vfs.szOsFile = static_cast<int>(kRealOffset) + impl.real->szOsFile;
  vfs.mxPathname = impl.real->mxPathname;
  vfs.zName = impl.name.c_str();
  vfs.pAppData = &impl;
  vfs.xOpen = Open;
  vfs.xDelete = Delete;
  vfs.xAccess = Access;
  vfs.xFullPathname = FullPathname;
  vfs.xDlOpen = DlOpen;
  vfs.xDlError = DlError;
  vfs.xDlSym = DlSym;
  vfs.xDlClose = DlClose;
  vfs.xRandomness = Randomness;
  vfs.xSleep = Sleep;
  vfs.xCurrentTime = CurrentTime;
  vfs.xGetLastError = GetLastError;
  vfs.xCurrentTimeInt64 = CurrentTimeInt64;

  sqlite3_io_methods& methods = impl.methods;
  methods.iVersion = 3;
  methods.xClose = Close;
  methods.xRead = Read;
  methods.xWrite = Write;
  methods.xTruncate = Truncate;
  methods.xSync = Sync;
  methods.xFileSize = FileSize;
  methods.xLock = Lock;
  methods.xUnlock = Unlock;
  methods.xCheckReservedLock = CheckReservedLock;
  methods.xFileControl = FileControl;
  methods.xSectorSize = SectorSize;
  methods.xDeviceCharacteristics = DeviceCharacteristics;
  methods.xShmMap = ShmMap;
  methods.xShmLock = ShmLock;
  methods.xShmBarrier = ShmBarrier;
  methods.xShmUnmap = ShmUnmap;
  methods.xFetch = Fetch;
  methods.xUnfetch = Unfetch;
  if (sqlite3_vfs_register(&vfs, /*makeDflt=*/0) != SQLITE_OK) {
    throw std::runtime_error("FaultyVfs: cannot register " + name);
  }
}

FaultyVfs::~FaultyVfs() { sqlite3_vfs_unregister(&impl_->vfs); }

const std::string& FaultyVfs::name() const { return impl_->name; }

void FaultyVfs::CrashAt(int64_t k) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->crash_at = k;
}

void FaultyVfs::CutPower() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->power_cut = true;
}

bool FaultyVfs::power_cut() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->power_cut;
}

int64_t FaultyVfs::operations() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->operations;
}

void FaultyVfs::RestoreDurable(uint32_t seed) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (!impl_->open.empty()) throw std::logic_error("FaultyVfs: files still open");
  std::mt19937 random(seed);
  for (auto& [path, state] : impl_->files) {
    if (seed != 0) {
      for (const Change& change : state.unsynced) {
        if (random() & 1) Apply(change, state.durable);
      }
    }
    if (state.durable_name) {
      WriteWholeFile(path, state.durable);
    } else {
      std::filesystem::remove(path);
    }
    if (state.main_db) std::filesystem::remove(path + "-shm");
  }
  impl_->files.clear();
  impl_->power_cut = false;
  impl_->crash_at = 0;
  impl_->fail_writes = 0;
  impl_->fail_syncs = 0;
}

void FaultyVfs::SetQuota(int64_t bytes) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->quota = bytes;
}

int64_t FaultyVfs::UsedBytes() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->UsedBytesLocked();
}

void FaultyVfs::SetReadOnly(bool read_only) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->read_only = read_only;
}

void FaultyVfs::FailWrites(int n) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->fail_writes = n;
}

void FaultyVfs::FailSyncs(int n) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->fail_syncs = n;
}

int64_t FaultyVfs::writes_refused_full() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->refused_full;
}

int64_t FaultyVfs::syncs_failed() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->failed_syncs;
}

}  // namespace mayday::server::testing
