// Runs the real maydayd binary as a child process for end-to-end tests.
#ifndef MAYDAY_TESTS_E2E_DAEMON_H_
#define MAYDAY_TESTS_E2E_DAEMON_H_

#include <sys/resource.h>
#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace mayday::testing {

// The open-file limits (RLIMIT_NOFILE) a daemon starts with, as `ulimit -Sn`
// and `ulimit -Hn` would set them in the shell that starts it.
struct DescriptorLimits {
  rlim_t soft = 0;
  rlim_t hard = 0;
};

// `maydayd --listen LISTEN --db DB [extra_args...]`, started in the
// constructor; the port is read from its "serving on port N" line. LISTEN is
// 127.0.0.1:0 (a port the kernel picks) unless given, e.g. to restart on the
// port clients already know. `limits`, if set, are the child's descriptor
// limits; by default it inherits the test's.
class Daemon {
 public:
  Daemon(const std::string& binary, const std::string& db,
         const std::vector<std::string>& extra_args = {}, const std::string& listen = "127.0.0.1:0",
         std::optional<DescriptorLimits> limits = std::nullopt);
  ~Daemon();  // SIGKILLs the child if still running

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string address() const;
  // The lines it logged up to and including "serving on port N".
  const std::vector<std::string>& startup_log() const { return startup_log_; }
  // Sends `signal` and waits for the child; returns its wait status.
  int Stop(int signal);

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::vector<std::string> startup_log_;
};

// `count` maydayd of `binary` serving the store `db` (replicas, on a
// PostgreSQL URI), each on a port the kernel picks.
std::vector<std::unique_ptr<Daemon>> StartReplicas(const std::string& binary, const std::string& db,
                                                   int count);
// Their "127.0.0.1:PORT" addresses, in order.
std::vector<std::string> Addresses(const std::vector<std::unique_ptr<Daemon>>& daemons);

// A fresh directory under the system's temp directory ("PREFIX-<random>"),
// removed with everything in it when this goes out of scope.
struct Scratch {
  explicit Scratch(const std::string& prefix = "mayday-e2e") {
    std::random_device random;
    dir = std::filesystem::temp_directory_path() /
          (prefix + "-" + std::to_string(random()) + std::to_string(random()));
    std::filesystem::create_directories(dir);
  }
  ~Scratch() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  std::filesystem::path dir;
};

// What a command run to its end printed, and how it ended.
struct Output {
  int exit_code = -1;              // -1: killed by a signal, or still running after 30 s
  std::vector<std::string> lines;  // stdout and stderr together
  std::string text() const;        // the lines joined with "\n"
  // The lines of maydayd's log (text format) without their time and level
  // ("maydayd: ..."); other lines as they are.
  std::vector<std::string> messages() const;
};

// `line` without the time and level maydayd's text log puts first
// ("2026-12-06T11:30:00.123Z INFO "); other lines as they are.
std::string LogMessage(const std::string& line);

// grpc.health.v1.Health/Check of `service` ("" for the whole server) on
// `address`, on a channel of its own, with a deadline of `timeout`: true if
// it answered SERVING. Debian ships no C++ stub for it: the request is
// field 1 (the name), SERVING is "\x08\x01".
bool HealthServing(const std::string& address, const std::string& service,
                   absl::Duration timeout = absl::Seconds(5));

// Runs argv to the end (at most 30 s) with stderr merged into stdout.
Output Run(const std::vector<std::string>& argv);

// Runs `binary token create --db DB --role ROLE --subject SUBJECT` and
// returns the printed token (throws on failure).
std::string CreateToken(const std::string& binary, const std::string& db, const std::string& role,
                        const std::string& subject);
// `maydayd token create --store STORE ... --count COUNT`: COUNT tokens, for
// SUBJECT-1 .. SUBJECT-COUNT (SUBJECT itself when COUNT is 1). Throws if the
// command fails or prints another number of tokens.
std::vector<std::string> CreateTokens(const std::string& binary, const std::string& store,
                                      const std::string& role, const std::string& subject,
                                      int count);

}  // namespace mayday::testing

#endif  // MAYDAY_TESTS_E2E_DAEMON_H_
