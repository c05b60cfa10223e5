// RESP client and redis-server child process for dispatch_bench.
#include "resp_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mayday::bench {
namespace {

absl::Status Errno(const char* what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// A port nobody listens on now (the kernel's choice for port 0).
absl::StatusOr<int> FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Errno("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return Errno("bind");
  }
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

absl::StatusOr<std::unique_ptr<RespClient>> RespClient::Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Errno("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const absl::Status s = Errno("connect");
    close(fd);
    return s;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return std::unique_ptr<RespClient>(new RespClient(fd));
}

RespClient::~RespClient() { close(fd_); }

void RespClient::Append(const std::vector<std::string>& args) {
  absl::StrAppend(&out_, "*", args.size(), "\r\n");
  for (const std::string& a : args) absl::StrAppend(&out_, "$", a.size(), "\r\n", a, "\r\n");
}

absl::Status RespClient::Flush() {
  size_t sent = 0;
  while (sent < out_.size()) {
    const ssize_t n = send(fd_, out_.data() + sent, out_.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("send");
    }
    sent += static_cast<size_t>(n);
  }
  out_.clear();
  return absl::OkStatus();
}

absl::Status RespClient::Fill() {
  if (pos_ > 0 && pos_ == in_.size()) {
    in_.clear();
    pos_ = 0;
  }
  char buf[65536];
  for (;;) {
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      in_.append(buf, static_cast<size_t>(n));
      return absl::OkStatus();
    }
    if (n == 0) return absl::UnavailableError("redis closed the connection");
    if (errno != EINTR) return Errno("recv");
  }
}

absl::StatusOr<std::string> RespClient::ReadLine() {
  for (;;) {
    const size_t end = in_.find("\r\n", pos_);
    if (end != std::string::npos) {
      std::string line = in_.substr(pos_, end - pos_);
      pos_ = end + 2;
      return line;
    }
    if (absl::Status s = Fill(); !s.ok()) return s;
  }
}

absl::StatusOr<RespReply> RespClient::Read() {
  absl::StatusOr<std::string> line = ReadLine();
  if (!line.ok()) return line.status();
  if (line->empty()) return absl::DataLossError("empty RESP line");
  RespReply reply;
  const std::string rest = line->substr(1);
  long long n = 0;
  switch ((*line)[0]) {
    case '+':
      reply.type = RespReply::Type::kSimple;
      reply.text = rest;
      return reply;
    case '-':
      reply.type = RespReply::Type::kError;
      reply.text = rest;
      return reply;
    case ':':
      reply.type = RespReply::Type::kInteger;
      if (!absl::SimpleAtoi(rest, &reply.integer)) return absl::DataLossError("bad integer");
      return reply;
    case '$':
      reply.type = RespReply::Type::kBulk;
      if (!absl::SimpleAtoi(rest, &n)) return absl::DataLossError("bad bulk length");
      if (n < 0) {
        reply.nil = true;
        return reply;
      }
      while (in_.size() - pos_ < static_cast<size_t>(n) + 2) {
        if (absl::Status s = Fill(); !s.ok()) return s;
      }
      reply.text = in_.substr(pos_, static_cast<size_t>(n));
      pos_ += static_cast<size_t>(n) + 2;
      return reply;
    case '*':
      reply.type = RespReply::Type::kArray;
      if (!absl::SimpleAtoi(rest, &n)) return absl::DataLossError("bad array length");
      if (n < 0) {
        reply.nil = true;
        return reply;
      }
      for (long long i = 0; i < n; ++i) {
        absl::StatusOr<RespReply> element = Read();
        if (!element.ok()) return element.status();
        reply.elements.push_back(std::move(*element));
      }
      return reply;
    default:
      return absl::DataLossError(absl::StrCat("unknown RESP type in '", *line, "'"));
  }
}

absl::StatusOr<RespReply> RespClient::Call(const std::vector<std::string>& args) {
  Append(args);
  if (absl::Status s = Flush(); !s.ok()) return s;
  return Read();
}

absl::StatusOr<std::unique_ptr<RedisProcess>> RedisProcess::Start(const std::string& binary) {
  std::string dir_template =
      (std::filesystem::temp_directory_path() / "mayday-bench-redis-XXXXXX").string();
  if (mkdtemp(dir_template.data()) == nullptr) return Errno("mkdtemp");
  const std::string dir = dir_template;
  absl::StatusOr<int> port = FreePort();
  if (!port.ok()) return port.status();
  const std::string port_text = absl::StrCat(*port);
  const std::string log = dir + "/redis.log";
  const pid_t pid = fork();
  if (pid < 0) return Errno("fork");
  if (pid == 0) {
    execlp(binary.c_str(), binary.c_str(), "--port", port_text.c_str(), "--bind", "127.0.0.1",
           "--save", "", "--appendonly", "no", "--dir", dir.c_str(), "--logfile", log.c_str(),
           "--daemonize", "no", static_cast<char*>(nullptr));
    _exit(127);
  }
  auto process = std::unique_ptr<RedisProcess>(new RedisProcess(pid, *port, dir));
  for (int attempt = 0; attempt < 200; ++attempt) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      process->pid_ = -1;
      return absl::UnavailableError(absl::StrCat(binary, " exited early; see ", log));
    }
    if (auto client = RespClient::Connect(*port); client.ok()) {
      if (auto pong = (*client)->Call({"PING"}); pong.ok() && pong->text == "PONG") return process;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat(binary, " did not answer PING within 10 s"));
}

RedisProcess::~RedisProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

}  // namespace mayday::bench
