// One webhook delivery attempt over the wire: an HTTP POST with libcurl,
// bounded in time and size, to a URL an admin registered. What to send,
// when to retry and how to sign is the delivery engine's business; this
// file only carries a request and says, in a PostResult, what became of it.
//
// Guards, because the URL comes from outside and the daemon sits inside a
// network: HTTPS only (unless allowed), certificates checked, no redirects,
// no proxy from the environment, no compressed responses (nothing to
// inflate), and every address curl is about to connect to must be public
// (WhyNotPublic), judged on the resolved address itself so that a name
// resolving to 127.0.0.1 or 169.254.169.254, now or after a DNS change, is
// refused.
#ifndef MAYDAY_SERVER_WEBHOOKS_HTTP_POST_H_
#define MAYDAY_SERVER_WEBHOOKS_HTTP_POST_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace mayday::server::webhooks {

// Bounds and permissions of an HttpPoster, fixed for its lifetime.
struct PostLimits {
  // To set up the connection (TCP and TLS), and for the whole request.
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration timeout = absl::Seconds(10);
  // A request body over this is not sent (kFailed, the words say why).
  size_t max_request_bytes = 1 << 20;
  // A response body over this aborts the request (kFailed); so do response
  // headers over this, counted apart from the body.
  size_t max_response_bytes = 64 * 1024;
  // Deliver to loopback, private and other non-public addresses too
  // (maydayd --webhook-allow-private; for tests and closed networks).
  bool allow_private = false;
  // Accept plain http:// URLs (maydayd --webhook-allow-http).
  bool allow_http = false;
  // A PEM bundle of the CAs to trust instead of the system's store; empty:
  // the system's store.
  std::string ca_file;
  // If given, a Post in flight gives up (kFailed, "cancelled ...") within
  // about a second of it turning true, and none starts while it is true:
  // how a stopping daemon cuts short a slow receiver. Not owned; must
  // outlive the HttpPoster.
  const std::atomic<bool>* cancel = nullptr;
};

struct PostRequest {
  std::string url;
  // Extra headers, name and value, sent in this order. The body goes as
  // application/json unless one of them is a Content-Type.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// What became of one Post.
struct PostResult {
  enum class Outcome {
    // The receiver answered 2xx.
    kDelivered,
    // The receiver answered with another status, 3xx included: redirects
    // are never followed.
    kRejected,
    // No HTTP answer: DNS, connect, TLS, a timeout, a size cap, a bad URL,
    // a cancel.
    kFailed,
    // maydayd's own policy refused to send: the URL's scheme is not allowed
    // (http:// without allow_http), or the address guard refused every
    // address the host resolved to. Retrying will not help until the URL or
    // maydayd's flags change.
    kForbidden,
  };
  Outcome outcome = Outcome::kFailed;
  // The answer's status; 0 without an answer.
  int http_status = 0;
  // For people: "HTTP 503", "HTTP 302 (redirects are not followed)",
  // "timed out after 10 s", "connection refused", "certificate not trusted:
  // ...", "127.0.0.1 is a loopback address (maydayd --webhook-allow-private
  // allows it)", "response over 64 KiB".
  std::string words;
  // Real time from the call to its return.
  absl::Duration took;
};

// The name of an outcome, as in logs: "delivered", "rejected", "failed",
// "forbidden".
const char* OutcomeName(PostResult::Outcome outcome);

// Sends POSTs with libcurl. Not thread-safe: one per delivering thread. It
// keeps one curl handle, so that a keep-alive connection to a receiver is
// reused by the next Post to it. Any number may exist at once; curl's
// global state is set up once per process, on the first construction.
class HttpPoster {
 public:
  explicit HttpPoster(PostLimits limits);
  ~HttpPoster();
  HttpPoster(const HttpPoster&) = delete;
  HttpPoster& operator=(const HttpPoster&) = delete;

  // POSTs `request` and waits, at most the limits' timeout, for the answer.
  // Never throws; every failure is in the result. A URL that fails
  // CheckEndpointUrl is not tried.
  PostResult Post(const PostRequest& request);

 private:
  struct Transfer;  // the curl handle and what its callbacks count

  const PostLimits limits_;
  std::unique_ptr<Transfer> transfer_;
};

}  // namespace mayday::server::webhooks

#endif  // MAYDAY_SERVER_WEBHOOKS_HTTP_POST_H_
