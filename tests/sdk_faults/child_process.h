// Child processes for tests: spawn a program with its stdout on a pipe, read
// its lines with a timeout, wait for it with a timeout. POSIX (posix_spawn),
// so nothing is forked from the threaded test process but an exec.
#ifndef MAYDAY_TESTS_SDK_FAULTS_CHILD_PROCESS_H_
#define MAYDAY_TESTS_SDK_FAULTS_CHILD_PROCESS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace mayday::testing {

class ChildProcess {
 public:
  // Starts argv[0] with arguments argv[1..]; throws std::runtime_error if it
  // cannot be started.
  explicit ChildProcess(const std::vector<std::string>& argv);
  // Kills (SIGKILL) and reaps the child if it is still running.
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  // The next line of its stdout without the newline, or nullopt on EOF or
  // after `timeout`.
  std::optional<std::string> ReadLine(absl::Duration timeout);
  // Sends SIGKILL.
  void Kill();
  // Waits at most `timeout` for it to end; returns its wait status.
  std::optional<int> Wait(absl::Duration timeout);

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  bool reaped_ = false;
  std::string buffered_;
};

}  // namespace mayday::testing

#endif  // MAYDAY_TESTS_SDK_FAULTS_CHILD_PROCESS_H_
