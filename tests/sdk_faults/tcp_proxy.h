// A fault-injecting TCP proxy on loopback for tests: listens on
// 127.0.0.1:<kernel-chosen port> and forwards each connection to an upstream
// 127.0.0.1:<port>, on one thread of its own (poll). Between forwarding it can
// drop every connection, refuse new ones, stall all traffic (a network cut:
// bytes wait, as on a real link that comes back), or swallow the server's
// replies (the server acts, the client never hears).
#ifndef MAYDAY_TESTS_SDK_FAULTS_TCP_PROXY_H_
#define MAYDAY_TESTS_SDK_FAULTS_TCP_PROXY_H_

#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace mayday::testing {

class TcpProxy {
 public:
  enum class Mode {
    kPass,         // forward both ways
    kStall,        // accept, but move no bytes until the mode changes
    kRefuse,       // close new connections at once
    kDropReplies,  // forward client->server, discard server->client
  };

  // Starts listening and forwarding to 127.0.0.1:upstream_port. Throws
  // std::runtime_error if the socket cannot be set up.
  explicit TcpProxy(int upstream_port);
  // Stops the thread and closes every socket.
  ~TcpProxy();

  int port() const { return port_; }
  std::string address() const;

  void SetMode(Mode mode);
  // New connections go to 127.0.0.1:upstream_port.
  void SetUpstream(int upstream_port);
  // Closes every open connection, both sides (a reset on the client).
  void DropAll();
  // Connections accepted so far.
  int accepted() const;

 private:
  struct Link {
    int client = -1;
    int server = -1;
  };
  void Run();
  void CloseLink(Link* link);

  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool drop_all_ ABSL_GUARDED_BY(mu_) = false;
  Mode mode_ ABSL_GUARDED_BY(mu_) = Mode::kPass;
  int upstream_port_ ABSL_GUARDED_BY(mu_);
  int accepted_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Link> links_;  // proxy thread only
};

}  // namespace mayday::testing

#endif  // MAYDAY_TESTS_SDK_FAULTS_TCP_PROXY_H_
