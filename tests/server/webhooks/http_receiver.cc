// The test HTTP(S) server; see http_receiver.h.
#include "http_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mayday::testing {
namespace {

// One accepted socket, plain or TLS, read and written whole.
class Stream {
 public:
  Stream(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  ~Stream() {
    if (ssl_ != nullptr) SSL_free(ssl_);
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Bytes read (appended to `buffer`); 0 at the end or on any error.
  size_t ReadSome(std::string& buffer) {
    char chunk[16 * 1024];
    const int got = ssl_ != nullptr ? SSL_read(ssl_, chunk, sizeof chunk)
                                    : static_cast<int>(recv(fd_, chunk, sizeof chunk, 0));
    if (got <= 0) return 0;
    buffer.append(chunk, got);
    return got;
  }

  // False if the peer went away first.
  bool WriteAll(absl::string_view data) {
    while (!data.empty()) {
      const int wrote = ssl_ != nullptr
                            ? SSL_write(ssl_, data.data(), static_cast<int>(data.size()))
                            : static_cast<int>(send(fd_, data.data(), data.size(), MSG_NOSIGNAL));
      if (wrote <= 0) return false;
      data.remove_prefix(wrote);
    }
    return true;
  }

  // Sends TLS's close_notify, so that a close-delimited body ends cleanly.
  void Finish() {
    if (ssl_ != nullptr) SSL_shutdown(ssl_);
  }

 private:
  const int fd_;
  SSL* const ssl_;
};

std::string Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 413:
      return "Content Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

// An answer of `status` alone, for requests the receiver cannot read.
Reply Bare(int status) {
  Reply reply;
  reply.status = status;
  return reply;
}

std::string Answer(const Reply& reply, bool close) {
  std::string text = absl::StrCat("HTTP/1.1 ", reply.status, " ", Reason(reply.status), "\r\n");
  for (const auto& [name, value] : reply.headers) absl::StrAppend(&text, name, ": ", value, "\r\n");
  if (!reply.close_delimited) absl::StrAppend(&text, "Content-Length: ", reply.body.size(), "\r\n");
  if (close) absl::StrAppend(&text, "Connection: close\r\n");
  absl::StrAppend(&text, "\r\n", reply.body);
  return text;
}

// Parses a request's head (request line and fields, without the blank
// line). False if it is no HTTP/1.x request.
bool ParseHead(absl::string_view head, ReceivedRequest& request, bool& http10) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  std::vector<absl::string_view> start = absl::StrSplit(lines[0], ' ');
  if (start.size() != 3 || !absl::StartsWith(start[2], "HTTP/1.")) return false;
  request.method = std::string(start[0]);
  request.path = std::string(start[1]);
  http10 = start[2] == "HTTP/1.0";
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos || colon == 0) return false;
    request.headers.Add(std::string(lines[i].substr(0, colon)),
                        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1))));
  }
  return true;
}

absl::Status OpenSslError(absl::string_view what) {
  char text[256] = "";
  ERR_error_string_n(ERR_get_error(), text, sizeof text);
  return absl::InternalError(absl::StrCat("test receiver: ", what, ": ", text));
}

absl::StatusOr<SSL_CTX*> NewTlsContext(const ReceiverTls& tls) {
  SSL_CTX* context = SSL_CTX_new(TLS_server_method());
  if (context == nullptr) return OpenSslError("SSL_CTX_new");
  const auto fail = [context](absl::string_view what) {
    absl::Status status = OpenSslError(what);
    SSL_CTX_free(context);
    return status;
  };
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  BIO* cert_bio = BIO_new_mem_buf(tls.cert_pem.data(), static_cast<int>(tls.cert_pem.size()));
  X509* cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
  BIO_free(cert_bio);
  const bool cert_ok = cert != nullptr && SSL_CTX_use_certificate(context, cert) == 1;
  X509_free(cert);
  if (!cert_ok) return fail("the certificate");
  BIO* key_bio = BIO_new_mem_buf(tls.key_pem.data(), static_cast<int>(tls.key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  BIO_free(key_bio);
  const bool key_ok = key != nullptr && SSL_CTX_use_PrivateKey(context, key) == 1 &&
                      SSL_CTX_check_private_key(context) == 1;
  EVP_PKEY_free(key);
  if (!key_ok) return fail("the private key");
  return context;
}

}  // namespace

void HttpHeaders::Add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string> HttpHeaders::Get(absl::string_view name) const {
  for (const auto& [field, value] : fields_) {
    if (absl::EqualsIgnoreCase(field, name)) return value;
  }
  return std::nullopt;
}

std::vector<std::string> HttpHeaders::GetAll(absl::string_view name) const {
  std::vector<std::string> values;
  for (const auto& [field, value] : fields_) {
    if (absl::EqualsIgnoreCase(field, name)) values.push_back(value);
  }
  return values;
}

absl::StatusOr<std::unique_ptr<HttpReceiver>> HttpReceiver::Start(Options options) {
  std::signal(SIGPIPE, SIG_IGN);
  SSL_CTX* tls = nullptr;
  if (options.tls.has_value()) {
    absl::StatusOr<SSL_CTX*> context = NewTlsContext(*options.tls);
    if (!context.ok()) return context.status();
    tls = *context;
  }
  const auto fail = [tls](absl::string_view what, int fd) {
    const int error = errno;
    if (fd >= 0) close(fd);
    if (tls != nullptr) SSL_CTX_free(tls);
    return absl::InternalError(absl::StrCat("test receiver: ", what, ": ", strerror(error)));
  };
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail("socket", fd);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    return fail("bind 127.0.0.1:0", fd);
  }
  if (listen(fd, 64) != 0) return fail("listen", fd);
  socklen_t size = sizeof address;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    return fail("getsockname", fd);
  }
  std::unique_ptr<HttpReceiver> receiver(
      new HttpReceiver(std::move(options), tls, fd, ntohs(address.sin_port)));
  receiver->accept_thread_ = std::thread([r = receiver.get()] { r->AcceptLoop(); });
  return receiver;
}

HttpReceiver::HttpReceiver(Options options, SSL_CTX* tls, int listen_fd, int port)
    : options_(std::move(options)), tls_(tls), listen_fd_(listen_fd), port_(port) {}

HttpReceiver::~HttpReceiver() {
  Stop();
  close(listen_fd_);
  if (tls_ != nullptr) SSL_CTX_free(tls_);
}

std::string HttpReceiver::Url(absl::string_view path) const {
  return absl::StrCat(tls_ != nullptr ? "https" : "http", "://127.0.0.1:", port_, path);
}

std::vector<ReceivedRequest> HttpReceiver::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

int HttpReceiver::connections_accepted() const {
  absl::MutexLock lock(&mu_);
  return accepted_;
}

void HttpReceiver::Stop() {
  if (stopped_) return;
  stopped_ = true;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;  // ends the delays
  }
  // Wakes accept() (Linux returns EINVAL once the socket is shut down).
  shutdown(listen_fd_, SHUT_RDWR);
  accept_thread_.join();
  std::list<Connection> connections;
  {
    absl::MutexLock lock(&mu_);
    // Wakes each connection's blocked read; the fds stay open until their
    // own thread closes them, so no number is reused under us.
    for (Connection& connection : connections_) {
      if (connection.fd >= 0) shutdown(connection.fd, SHUT_RDWR);
    }
    connections.splice(connections.end(), connections_);
  }
  for (Connection& connection : connections) connection.thread.join();
}

void HttpReceiver::AcceptLoop() {
  int number = 0;
  while (true) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // shut down by Stop (or broken: then nothing more is served)
    }
    absl::MutexLock lock(&mu_);
    ++accepted_;
    ReapLocked();
    if (stopping_ || connections_.size() >= options_.max_connections) {
      close(fd);
      if (stopping_) return;
      continue;
    }
    Connection& connection = connections_.emplace_back();
    connection.fd = fd;
    connection.thread = std::thread([this, c = &connection, n = ++number] { Serve(c, n); });
  }
}

void HttpReceiver::ReapLocked() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (!it->done) {
      ++it;
      continue;
    }
    it->thread.join();  // its last act was to set done
    it = connections_.erase(it);
  }
}

bool HttpReceiver::Sleep(absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopping_), delay);
  return !stopping_;
}

void HttpReceiver::Serve(Connection* connection, int number) {
  int fd;
  {
    absl::MutexLock lock(&mu_);
    fd = connection->fd;
  }
  SSL* ssl = nullptr;
  bool handshaken = true;
  if (tls_ != nullptr) {
    ssl = SSL_new(tls_);
    handshaken = ssl != nullptr && SSL_set_fd(ssl, fd) == 1 && SSL_accept(ssl) == 1;
  }
  {
    Stream stream(fd, ssl);
    std::string buffer;
    bool open = handshaken;
    while (open) {
      // The head, up to its blank line.
      size_t head_end;
      while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
        if (buffer.size() > options_.max_head_bytes || stream.ReadSome(buffer) == 0) {
          head_end = std::string::npos;
          break;
        }
      }
      if (head_end == std::string::npos) {
        if (buffer.size() > options_.max_head_bytes) {
          stream.WriteAll(Answer(Bare(413), /*close=*/true));
        }
        break;
      }
      ReceivedRequest request;
      request.connection = number;
      bool http10 = false;
      if (!ParseHead(absl::string_view(buffer).substr(0, head_end), request, http10)) {
        stream.WriteAll(Answer(Bare(400), /*close=*/true));
        break;
      }
      if (request.headers.Get("Transfer-Encoding").has_value()) {
        stream.WriteAll(Answer(Bare(501), /*close=*/true));
        break;
      }
      size_t length = 0;
      if (std::optional<std::string> text = request.headers.Get("Content-Length")) {
        if (!absl::SimpleAtoi(*text, &length)) {
          stream.WriteAll(Answer(Bare(400), /*close=*/true));
          break;
        }
      }
      if (length > options_.max_body_bytes) {
        stream.WriteAll(Answer(Bare(413), /*close=*/true));
        break;
      }
      const size_t body_start = head_end + 4;
      while (buffer.size() < body_start + length && stream.ReadSome(buffer) > 0) {
      }
      if (buffer.size() < body_start + length) break;
      request.body = buffer.substr(body_start, length);
      buffer.erase(0, body_start + length);

      const std::optional<std::string> connection_field = request.headers.Get("Connection");
      const bool client_closes =
          http10 || (connection_field && absl::EqualsIgnoreCase(*connection_field, "close"));
      {
        absl::MutexLock lock(&mu_);
        requests_.push_back(request);
      }
      const Reply reply = options_.handler ? options_.handler(request) : Reply{};
      if (reply.delay > absl::ZeroDuration() && !Sleep(reply.delay)) break;
      if (reply.close_without_answer) break;
      const bool close = client_closes || reply.close_delimited;
      open = stream.WriteAll(Answer(reply, close)) && !close;
      if (close) stream.Finish();
    }
  }  // frees the TLS state before the socket goes
  absl::MutexLock lock(&mu_);
  close(fd);
  connection->fd = -1;
  connection->done = true;
}

}  // namespace mayday::testing
