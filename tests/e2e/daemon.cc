// Runs the real maydayd binary; see daemon.h.
#include "daemon.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../sdk_faults/child_process.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"

namespace mayday::testing {

std::string Output::text() const { return absl::StrJoin(lines, "\n"); }

std::string LogMessage(const std::string& line) {
  // "2026-12-06T11:30:00.123Z " then a level word and a space.
  constexpr size_t kTime = sizeof("2026-12-06T11:30:00.123Z") - 1;
  if (line.size() <= kTime + 1 || line[4] != '-' || line[10] != 'T' || line[kTime - 1] != 'Z' ||
      line[kTime] != ' ') {
    return line;
  }
  const size_t level_end = line.find(' ', kTime + 1);
  return level_end == std::string::npos ? line : line.substr(level_end + 1);
}

std::vector<std::string> Output::messages() const {
  std::vector<std::string> out;
  for (const std::string& line : lines) out.push_back(LogMessage(line));
  return out;
}

Output Run(const std::vector<std::string>& argv) {
  std::string command = "exec";
  for (const std::string& arg : argv) absl::StrAppend(&command, " '", arg, "'");
  absl::StrAppend(&command, " 2>&1");
  ChildProcess child({"/bin/sh", "-c", command});
  Output out;
  while (auto line = child.ReadLine(absl::Seconds(30))) out.lines.push_back(*line);
  std::optional<int> status = child.Wait(absl::Seconds(30));
  if (status.has_value() && WIFEXITED(*status)) out.exit_code = WEXITSTATUS(*status);
  return out;
}

bool HealthServing(const std::string& address, const std::string& service, absl::Duration timeout) {
  grpc::GenericStub stub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  const std::string bytes = std::string("\x0a") + static_cast<char>(service.size()) + service;
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status status) { done.set_value(status); });
  if (!done.get_future().get().ok()) return false;
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return false;
  std::string got;
  for (const grpc::Slice& part : slices) {
    got.append(reinterpret_cast<const char*>(part.begin()), part.size());
  }
  return got == "\x08\x01";
}

Daemon::Daemon(const std::string& binary, const std::string& db,
               const std::vector<std::string>& extra_args, const std::string& listen,
               std::optional<DescriptorLimits> limits) {
  // Built before fork: the child only calls async-signal-safe functions.
  std::vector<std::string> args = {binary, "--listen", listen, "--db", db};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    dup2(pipe_fds[1], STDERR_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    if (limits.has_value()) {
      // setrlimit is a plain system call, safe between fork and exec.
      const rlimit limit{.rlim_cur = limits->soft, .rlim_max = limits->hard};
      if (setrlimit(RLIMIT_NOFILE, &limit) != 0) _exit(126);
    }
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  FILE* log = fdopen(pipe_fds[0], "r");
  char line[512];
  // The first line says where it serves, or why it could not start.
  while (port_ == 0 && fgets(line, sizeof line, log) != nullptr) {
    std::string text = line;
    if (!text.empty() && text.back() == '\n') text.pop_back();
    startup_log_.push_back(text);
    std::sscanf(LogMessage(text).c_str(), "maydayd: serving on port %d", &port_);
  }
  // Keep draining the child's stderr so it never blocks on a full pipe.
  std::thread([log] {
    char rest[512];
    while (fgets(rest, sizeof rest, log) != nullptr) {
    }
    fclose(log);
  }).detach();
  if (port_ == 0) {
    Stop(SIGKILL);
    throw std::runtime_error("maydayd did not start");
  }
}

Daemon::~Daemon() {
  if (pid_ > 0) Stop(SIGKILL);
}

std::string Daemon::address() const { return "127.0.0.1:" + std::to_string(port_); }

int Daemon::Stop(int signal) {
  if (pid_ <= 0) return 0;
  kill(pid_, signal);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

std::string CreateToken(const std::string& binary, const std::string& db, const std::string& role,
                        const std::string& subject) {
  const std::string command =
      binary + " token create --db '" + db + "' --role " + role + " --subject " + subject;
  FILE* out = popen(command.c_str(), "r");
  if (out == nullptr) throw std::runtime_error("popen failed");
  char buffer[256] = {};
  std::string token;
  if (fgets(buffer, sizeof buffer, out) != nullptr) token = buffer;
  if (pclose(out) != 0 || token.empty()) throw std::runtime_error("token create failed");
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  return token;
}

std::vector<std::string> CreateTokens(const std::string& binary, const std::string& store,
                                      const std::string& role, const std::string& subject,
                                      int count) {
  const Output made = Run({binary, "token", "create", "--store", store, "--role", role, "--subject",
                           subject, "--count", std::to_string(count)});
  std::vector<std::string> tokens;
  for (const std::string& line : made.lines) {
    if (line.rfind("mdy_", 0) == 0) tokens.push_back(line);
  }
  if (made.exit_code != 0 || static_cast<int>(tokens.size()) != count) {
    throw std::runtime_error("token create failed: " + made.text());
  }
  return tokens;
}

std::vector<std::unique_ptr<Daemon>> StartReplicas(const std::string& binary, const std::string& db,
                                                   int count) {
  std::vector<std::unique_ptr<Daemon>> replicas;
  for (int i = 0; i < count; ++i) replicas.push_back(std::make_unique<Daemon>(binary, db));
  return replicas;
}

std::vector<std::string> Addresses(const std::vector<std::unique_ptr<Daemon>>& daemons) {
  std::vector<std::string> addresses;
  for (const auto& daemon : daemons) addresses.push_back(daemon->address());
  return addresses;
}

}  // namespace mayday::testing
