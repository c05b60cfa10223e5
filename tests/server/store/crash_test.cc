// The life-safety promise: a case whose CreateCase returned OK is on disk,
// even if the process dies right after without closing anything. A child
// process writes cases and reports each acknowledged one through a pipe;
// then it exits abruptly or is killed mid-write, and the parent reopens the
// file and looks for every reported case.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "store/store.h"
#include "test_support.h"

namespace mayday::server {
namespace {

using ::mayday::v1::Case;
using testing::NewCase;
using testing::NextStep;
using testing::RaisedEvent;

// One acknowledged write, as the child reports it: the case id and the
// sequence it reached. Fixed size, so each write() to the pipe is atomic.
struct Ack {
  char id[24];
  int64_t sequence;
};

// The child: opens the store, creates cases (and appends to each) forever or
// `count` times, reporting each acknowledged write, then _exit()s without
// destroying the Store. Never returns.
[[noreturn]] void RunChild(const std::string& path, int fd, int count) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path);
  if (!store.ok()) _exit(2);
  for (int i = 0; count < 0 || i < count; ++i) {
    Ack ack{};
    std::snprintf(ack.id, sizeof(ack.id), "crash-%d", i);
    Case snapshot = NewCase(ack.id, "members/m1", ack.id);
    absl::StatusOr<CreatedCase> created = (*store)->CreateCase(snapshot, RaisedEvent(snapshot));
    if (!created.ok()) _exit(3);
    ack.sequence = 1;
    if (write(fd, &ack, sizeof(ack)) != sizeof(ack)) _exit(4);
    auto [next, event] = NextStep(snapshot, mayday::v1::CASE_STATE_ASSIGNED);
    if (!(*store)->AppendEvent(next, event).ok()) _exit(5);
    ack.sequence = 2;
    if (write(fd, &ack, sizeof(ack)) != sizeof(ack)) _exit(6);
  }
  store->release();  // leaked on purpose: no close, no checkpoint
  _exit(0);
}

// Forks the child; `kill_after` >= 0: SIGKILL it once that many acks
// arrived. Returns every ack the child sent and its wait status.
std::vector<Ack> RunAndCollect(const std::string& path, int count, int kill_after,
                               int* wait_status) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    RunChild(path, fds[1], count);
  }
  close(fds[1]);
  std::vector<Ack> acks;
  Ack ack;
  bool killed = false;
  while (read(fds[0], &ack, sizeof(ack)) == sizeof(ack)) {
    acks.push_back(ack);
    if (!killed && kill_after >= 0 && static_cast<int>(acks.size()) >= kill_after) {
      kill(pid, SIGKILL);
      killed = true;  // keep reading: acks written before death still count
    }
  }
  close(fds[0]);
  REQUIRE(waitpid(pid, wait_status, 0) == pid);
  return acks;
}

// Every acked write is in the reopened file.
void CheckAcked(const std::string& path, const std::vector<Ack>& acks) {
  std::unique_ptr<Store> store = testing::OpenStore(path);
  for (const Ack& ack : acks) {
    INFO("case " << ack.id << " at sequence " << ack.sequence);
    absl::StatusOr<Case> got = store->GetCase(ack.id);
    REQUIRE(got.ok());
    CHECK(got->last_sequence() >= ack.sequence);
    CHECK(static_cast<int64_t>(store->ListEvents(ack.id, 0, 10)->size()) == got->last_sequence());
  }
  CHECK(testing::CheckIntegrity(path) == "ok");
}

TEST_CASE("Cases acknowledged before an abrupt exit are found after it", "[store][crash]") {
  testing::ScratchDir dir;
  const std::string path = dir.File("mayday.db");
  int wait_status = 0;
  std::vector<Ack> acks = RunAndCollect(path, 20, -1, &wait_status);
  REQUIRE(WIFEXITED(wait_status));
  REQUIRE(WEXITSTATUS(wait_status) == 0);
  REQUIRE(acks.size() == 40);
  CheckAcked(path, acks);
}

TEST_CASE("Cases acknowledged before a SIGKILL mid-write are found after it", "[store][crash]") {
  testing::ScratchDir dir;
  const std::string path = dir.File("mayday.db");
  int wait_status = 0;
  std::vector<Ack> acks = RunAndCollect(path, -1, 31, &wait_status);
  REQUIRE(WIFSIGNALED(wait_status));
  REQUIRE(acks.size() >= 31);
  CheckAcked(path, acks);
}

}  // namespace
}  // namespace mayday::server
