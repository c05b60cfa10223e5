// A tiny RESP (Redis protocol) client over a plain TCP socket, and a
// redis-server child process on loopback: just enough for dispatch_bench to
// compare the engine with Redis GEOSEARCH. Blocking, single-threaded.
#ifndef MAYDAY_DISPATCH_BENCH_RESP_CLIENT_H_
#define MAYDAY_DISPATCH_BENCH_RESP_CLIENT_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mayday::bench {

// A RESP reply: simple string, error, integer, bulk string (nil when
// `nil`), or array of replies.
struct RespReply {
  enum class Type { kSimple, kError, kInteger, kBulk, kArray };
  Type type = Type::kSimple;
  bool nil = false;
  std::string text;  // simple, error, bulk
  long long integer = 0;
  std::vector<RespReply> elements;  // array
};

class RespClient {
 public:
  // Connects to 127.0.0.1:`port`. UNAVAILABLE if nobody listens.
  static absl::StatusOr<std::unique_ptr<RespClient>> Connect(int port);
  ~RespClient();
  RespClient(const RespClient&) = delete;
  RespClient& operator=(const RespClient&) = delete;

  // Queues a command (sent by Flush or Call).
  void Append(const std::vector<std::string>& args);
  // Sends what is queued.
  absl::Status Flush();
  // Reads one reply.
  absl::StatusOr<RespReply> Read();
  // Append + Flush + Read.
  absl::StatusOr<RespReply> Call(const std::vector<std::string>& args);

 private:
  explicit RespClient(int fd) : fd_(fd) {}
  absl::StatusOr<std::string> ReadLine();
  absl::Status Fill();
  int fd_;
  std::string out_;
  std::string in_;
  size_t pos_ = 0;
};

// redis-server on 127.0.0.1, a free port and a temporary directory, with
// persistence off; stopped (and its directory removed) on destruction.
class RedisProcess {
 public:
  // Starts it and waits until it answers PING (up to 10 s).
  static absl::StatusOr<std::unique_ptr<RedisProcess>> Start(const std::string& binary);
  ~RedisProcess();
  int port() const { return port_; }

 private:
  RedisProcess(pid_t pid, int port, std::string dir)
      : pid_(pid), port_(port), dir_(std::move(dir)) {}
  pid_t pid_;
  int port_;
  std::string dir_;
};

}  // namespace mayday::bench

#endif  // MAYDAY_DISPATCH_BENCH_RESP_CLIENT_H_
