// A webhook receiver for tests: a real HTTP/1.1 server on 127.0.0.1 (a
// port the kernel picks), plain or TLS, that records every request and
// answers as the test's handler says: any status, headers and body, after a
// delay, or not at all. Enough HTTP for what curl sends a webhook (requests
// with a Content-Length body, keep-alive), nothing more: no chunked request
// bodies, no pipelining guarantees, no HTTP/2.
//
// Shared by the transport's tests and the delivery engine's integration
// tests. Each connection is served by its own thread, up to a bound; the
// handler runs on those threads.
#ifndef MAYDAY_TESTS_SERVER_WEBHOOKS_HTTP_RECEIVER_H_
#define MAYDAY_TESTS_SERVER_WEBHOOKS_HTTP_RECEIVER_H_

#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace mayday::testing {

// A request's header fields in the order received; names compared without
// regard to case.
class HttpHeaders {
 public:
  void Add(std::string name, std::string value);
  // The value of the first field named `name` (any case); nullopt if none.
  std::optional<std::string> Get(absl::string_view name) const;
  // The values of every field named `name`, in order.
  std::vector<std::string> GetAll(absl::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// One request as the receiver read it.
struct ReceivedRequest {
  std::string method;  // "POST"
  std::string path;    // the request target as sent: "/hooks/a?x=1"
  HttpHeaders headers;
  std::string body;
  // Which connection brought it: 1 for the first accepted, and so on. Two
  // requests with the same number came over one keep-alive connection.
  int connection = 0;
};

// What the receiver answers to a request.
struct Reply {
  int status = 200;
  // Sent after the status line; Content-Length is added unless
  // close_delimited.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Wait this long before answering (or closing). Stop cuts it short.
  absl::Duration delay = absl::ZeroDuration();
  // Close the connection without a byte of answer.
  bool close_without_answer = false;
  // Send no Content-Length and end the body by closing the connection.
  bool close_delimited = false;
};

// A server certificate and its private key, both PEM, for HTTPS.
struct ReceiverTls {
  std::string cert_pem;
  std::string key_pem;
};

class HttpReceiver {
 public:
  // Called once per complete request, on that connection's thread: several
  // may run at once. Without one, every request gets Reply{} (200, empty).
  using Handler = std::function<Reply(const ReceivedRequest&)>;

  struct Options {
    Handler handler;
    // HTTPS with this certificate; nullopt: plain HTTP.
    std::optional<ReceiverTls> tls;
    // Connections served at once; one more is closed as soon as accepted.
    size_t max_connections = 32;
    // A request whose head or body is larger is answered 413 and closed.
    size_t max_head_bytes = 64 * 1024;
    size_t max_body_bytes = 16 << 20;
  };

  // Listens on 127.0.0.1:0 and serves until Stop. INTERNAL if the socket or
  // the TLS context cannot be set up (a bad certificate or key).
  // SIGPIPE is ignored from then on, process-wide: a client that hangs up
  // mid-answer must not end the test binary.
  static absl::StatusOr<std::unique_ptr<HttpReceiver>> Start(Options options);

  // Stops, as Stop.
  ~HttpReceiver();
  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;

  // The port it listens on.
  int port() const { return port_; }
  // "http://127.0.0.1:<port>" (https:// with TLS) followed by `path`.
  std::string Url(absl::string_view path = "/") const;

  // Every request received so far, in the order they were complete (before
  // their handler ran). Any thread.
  std::vector<ReceivedRequest> requests() const ABSL_LOCKS_EXCLUDED(mu_);
  // Connections accepted so far, including refused ones. Any thread.
  int connections_accepted() const ABSL_LOCKS_EXCLUDED(mu_);

  // Stops listening, cuts every connection and delay short, and joins every
  // thread; handlers running are waited for. Idempotent. From the thread that
  // owns the receiver, not from a handler.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Connection {
    std::thread thread;
    int fd = -1;  // -1 once the thread closed it
    bool done = false;
  };

  HttpReceiver(Options options, SSL_CTX* tls, int listen_fd, int port);
  void AcceptLoop() ABSL_LOCKS_EXCLUDED(mu_);
  void Serve(Connection* connection, int number) ABSL_LOCKS_EXCLUDED(mu_);
  // Joins and forgets connections whose thread has ended.
  void ReapLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits `delay`, or until Stop; false if stopping.
  bool Sleep(absl::Duration delay) ABSL_LOCKS_EXCLUDED(mu_);

  const Options options_;
  SSL_CTX* const tls_;  // owned; nullptr without TLS
  const int listen_fd_;
  const int port_;
  std::thread accept_thread_;
  bool stopped_ = false;  // only the owner's thread reads or writes it

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int accepted_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<ReceivedRequest> requests_ ABSL_GUARDED_BY(mu_);
  // A list: each thread holds a pointer to its own entry.
  std::list<Connection> connections_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mayday::testing

#endif  // MAYDAY_TESTS_SERVER_WEBHOOKS_HTTP_RECEIVER_H_
