// One webhook POST with libcurl; see http_post.h.
#include "webhooks/http_post.h"

#include <curl/curl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "webhooks/address_policy.h"

namespace mayday::server::webhooks {
namespace {

constexpr char kUserAgent[] = "maydayd-webhooks/1";
constexpr absl::string_view kPrivateHint = "maydayd --webhook-allow-private allows it";

// curl_global_init is not thread-safe and must come before any handle:
// done once per process, by whichever HttpPoster is made first.
CURLcode GlobalInit() {
  static std::once_flag once;
  static CURLcode code = CURLE_FAILED_INIT;
  std::call_once(once, [] { code = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return code;
}

// "10 s", "1.5 s", "500 ms".
std::string DurationWords(absl::Duration duration) {
  if (duration < absl::Seconds(1)) return absl::StrCat(absl::ToInt64Milliseconds(duration), " ms");
  if (duration == absl::Seconds(absl::ToInt64Seconds(duration))) {
    return absl::StrCat(absl::ToInt64Seconds(duration), " s");
  }
  return absl::StrFormat("%.1f s", absl::ToDoubleSeconds(duration));
}

// "64 KiB", "1 MiB", "1000 bytes".
std::string SizeWords(size_t bytes) {
  if (bytes > 0 && bytes % (1 << 20) == 0) return absl::StrCat(bytes >> 20, " MiB");
  if (bytes > 0 && bytes % 1024 == 0) return absl::StrCat(bytes >> 10, " KiB");
  return absl::StrCat(bytes, " bytes");
}

long Milliseconds(absl::Duration duration) {
  // 0 would mean "no limit" to curl.
  return static_cast<long>(std::max<int64_t>(1, absl::ToInt64Milliseconds(duration)));
}

// A header line curl can send as is: no line break to smuggle in another
// header, a name without ':' or spaces.
bool SafeHeader(absl::string_view name, absl::string_view value) {
  if (name.empty()) return false;
  for (char c : name) {
    if (c == ':' || static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return !absl::StrContains(value, '\r') && !absl::StrContains(value, '\n') &&
         !absl::StrContains(value, '\0');
}

// Appends `line` to `*list`; false, leaving `*list` as it was, when out
// of memory.
bool Append(curl_slist** list, const std::string& line) {
  curl_slist* grown = curl_slist_append(*list, line.c_str());
  if (grown == nullptr) return false;
  *list = grown;
  return true;
}

}  // namespace

// The handle and what its callbacks learn during one perform. The callbacks
// run on the calling thread, inside curl_easy_perform.
struct HttpPoster::Transfer {
  explicit Transfer(const PostLimits& limits) : limits(limits) {}
  ~Transfer() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }

  // Clears what the callbacks count, before each perform.
  void Reset() {
    response_bytes = 0;
    header_bytes = 0;
    response_over = false;
    headers_over = false;
    sockets_opened = 0;
    refusals.clear();
    error[0] = '\0';
  }

  // curl's words for the last error: its error buffer, else its code's name.
  std::string Detail(CURLcode code) const {
    return error[0] != '\0' ? std::string(error) : std::string(curl_easy_strerror(code));
  }

  static size_t CountBody(char*, size_t size, size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    const size_t bytes = size * count;
    if (transfer->response_bytes + bytes > transfer->limits.max_response_bytes) {
      transfer->response_over = true;
      return 0;  // anything but `bytes` aborts the transfer
    }
    transfer->response_bytes += bytes;
    return bytes;
  }

  static size_t CountHeader(char*, size_t size, size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    const size_t bytes = size * count;
    if (transfer->header_bytes + bytes > transfer->limits.max_response_bytes) {
      transfer->headers_over = true;
      return 0;
    }
    transfer->header_bytes += bytes;
    return bytes;
  }

  // Called by curl about once a second, and more often while data flows:
  // nonzero aborts the transfer (CURLE_ABORTED_BY_CALLBACK).
  static int CheckCancel(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    const auto* transfer = static_cast<const Transfer*>(user);
    return transfer->limits.cancel->load() ? 1 : 0;
  }

  // Called with each address curl resolved, just before it connects: the
  // one place where the address is known and nothing has been sent yet.
  static curl_socket_t OpenSocket(void* user, curlsocktype, curl_sockaddr* address) {
    auto* transfer = static_cast<Transfer*>(user);
    if (!transfer->limits.allow_private) {
      if (std::optional<std::string> why = WhyNotPublic(&address->addr)) {
        transfer->refusals.push_back(*std::move(why));
        return CURL_SOCKET_BAD;  // curl tries the next address, if any
      }
    }
    const curl_socket_t socket_fd =
        socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
    if (socket_fd != CURL_SOCKET_BAD) ++transfer->sockets_opened;
    return socket_fd;
  }

  const PostLimits& limits;
  CURL* curl = nullptr;
  size_t response_bytes = 0;
  size_t header_bytes = 0;
  bool response_over = false;
  bool headers_over = false;
  int sockets_opened = 0;
  std::vector<std::string> refusals;  // WhyNotPublic's words, one per address refused
  char error[CURL_ERROR_SIZE] = {};
};

const char* OutcomeName(PostResult::Outcome outcome) {
  switch (outcome) {
    case PostResult::Outcome::kDelivered:
      return "delivered";
    case PostResult::Outcome::kRejected:
      return "rejected";
    case PostResult::Outcome::kFailed:
      return "failed";
    case PostResult::Outcome::kForbidden:
      return "forbidden";
  }
  return "unknown";
}

HttpPoster::HttpPoster(PostLimits limits)
    : limits_(std::move(limits)), transfer_(std::make_unique<Transfer>(limits_)) {
  if (GlobalInit() != CURLE_OK) return;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return;
  transfer_->curl = curl;
  const char* protocols = limits_.allow_http ? "http,https" : "https";
  // Options that hold for every Post. Their return codes are not checked:
  // each exists in curl 7.85 and later, built with TLS, as Debian's is.
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM: threads
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, protocols);
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_PROXY, "");  // ignore http(s)_proxy in the environment
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!limits_.ca_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, limits_.ca_file.c_str());
    // Debian's curl also trusts /etc/ssl/certs by default: the bundle is to
    // replace the system's store, not add to it.
    curl_easy_setopt(curl, CURLOPT_CAPATH, nullptr);
  }
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, Milliseconds(limits_.connect_timeout));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, Milliseconds(limits_.timeout));
  curl_easy_setopt(curl, CURLOPT_USERAGENT, kUserAgent);
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  // No CURLOPT_ACCEPT_ENCODING: a compressed answer could inflate past any
  // cap before it is counted.
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(limits_.max_response_bytes));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Transfer::CountBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, transfer_.get());
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &Transfer::CountHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, transfer_.get());
  curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, &Transfer::OpenSocket);
  curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, transfer_.get());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, transfer_->error);
  if (limits_.cancel != nullptr) {
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &Transfer::CheckCancel);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, transfer_.get());
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  }
}

HttpPoster::~HttpPoster() = default;

PostResult HttpPoster::Post(const PostRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  PostResult result;
  const auto finish = [&](PostResult::Outcome outcome, std::string words) {
    result.outcome = outcome;
    result.words = std::move(words);
    result.took = absl::FromChrono(std::chrono::steady_clock::now() - start);
    return result;
  };
  using Outcome = PostResult::Outcome;

  if (transfer_->curl == nullptr) {
    return finish(Outcome::kFailed, "libcurl could not be initialized");
  }
  if (limits_.cancel != nullptr && limits_.cancel->load()) {
    return finish(Outcome::kFailed, "cancelled before it was sent");
  }
  // Checked at registration already; again here, since the flags may have
  // changed since (http:// no longer allowed) and the scheme is what keeps
  // curl from speaking anything but HTTP(S).
  if (absl::Status status = CheckEndpointUrl(request.url, limits_.allow_http); !status.ok()) {
    const bool only_scheme = CheckEndpointUrl(request.url, /*allow_http=*/true).ok();
    return finish(only_scheme ? Outcome::kForbidden : Outcome::kFailed,
                  std::string(status.message()));
  }
  if (request.body.size() > limits_.max_request_bytes) {
    return finish(Outcome::kFailed,
                  absl::StrCat("request body of ", request.body.size(), " bytes is over ",
                               SizeWords(limits_.max_request_bytes), ": not sent"));
  }

  curl_slist* headers = nullptr;
  bool has_content_type = false;
  bool appended = true;
  for (const auto& [name, value] : request.headers) {
    if (!SafeHeader(name, value)) {
      curl_slist_free_all(headers);
      return finish(Outcome::kFailed,
                    absl::StrCat("header \"", absl::CEscape(name),
                                 "\" has a bad name or a line break in its value: not sent"));
    }
    has_content_type |= absl::EqualsIgnoreCase(name, "Content-Type");
    // "Name:" would tell curl to drop the header; "Name;" sends it empty.
    appended &=
        Append(&headers, value.empty() ? absl::StrCat(name, ";") : absl::StrCat(name, ": ", value));
  }
  if (!has_content_type) appended &= Append(&headers, "Content-Type: application/json");
  // Without this curl sends "Expect: 100-continue" for bodies over 1 MiB
  // and waits up to a second for a 100 that many servers never send.
  appended &= Append(&headers, "Expect:");
  if (!appended) {
    curl_slist_free_all(headers);
    return finish(Outcome::kFailed, "out of memory for the headers: not sent");
  }

  CURL* curl = transfer_->curl;
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  transfer_->Reset();
  const CURLcode code = curl_easy_perform(curl);
  // The handle must not keep pointers into `request` or `headers`.
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, nullptr);
  curl_slist_free_all(headers);

  if (code == CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    result.http_status = static_cast<int>(status);
    if (status >= 200 && status < 300) {
      return finish(Outcome::kDelivered, absl::StrCat("HTTP ", status));
    }
    if (status >= 300 && status < 400) {
      return finish(Outcome::kRejected,
                    absl::StrCat("HTTP ", status, " (redirects are not followed)"));
    }
    return finish(Outcome::kRejected, absl::StrCat("HTTP ", status));
  }

  // The guard refused every address and curl connected nowhere.
  if (!transfer_->refusals.empty() && transfer_->sockets_opened == 0) {
    return finish(Outcome::kForbidden,
                  absl::StrCat(absl::StrJoin(transfer_->refusals, "; "), " (", kPrivateHint, ")"));
  }
  const std::string detail = transfer_->Detail(code);
  switch (code) {
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
      if (transfer_->headers_over) {
        return finish(Outcome::kFailed, absl::StrCat("response headers over ",
                                                     SizeWords(limits_.max_response_bytes)));
      }
      if (transfer_->response_over || code == CURLE_FILESIZE_EXCEEDED) {
        return finish(Outcome::kFailed,
                      absl::StrCat("response over ", SizeWords(limits_.max_response_bytes)));
      }
      break;
    case CURLE_OPERATION_TIMEDOUT: {
      // Which limit fired shows in how long it took: the connect timeout
      // ends the request before the whole-request one would.
      const absl::Duration took = absl::FromChrono(std::chrono::steady_clock::now() - start);
      if (limits_.connect_timeout < limits_.timeout && took < limits_.timeout) {
        return finish(Outcome::kFailed, absl::StrCat("could not connect: timed out after ",
                                                     DurationWords(limits_.connect_timeout)));
      }
      return finish(Outcome::kFailed,
                    absl::StrCat("timed out after ", DurationWords(limits_.timeout)));
    }
    case CURLE_COULDNT_RESOLVE_HOST:
      return finish(Outcome::kFailed, absl::StrCat("could not resolve the host: ", detail));
    case CURLE_COULDNT_CONNECT: {
      long os_errno = 0;
      curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
      if (os_errno == ECONNREFUSED) return finish(Outcome::kFailed, "connection refused");
      return finish(Outcome::kFailed, absl::StrCat("could not connect: ", detail));
    }
    case CURLE_PEER_FAILED_VERIFICATION:
      return finish(Outcome::kFailed, absl::StrCat("certificate not trusted: ", detail));
    case CURLE_SSL_CACERT_BADFILE:
      return finish(Outcome::kFailed,
                    absl::StrCat("could not read the CA file ", limits_.ca_file, ": ", detail));
    case CURLE_SSL_CONNECT_ERROR:
      return finish(Outcome::kFailed, absl::StrCat("TLS handshake failed: ", detail));
    case CURLE_ABORTED_BY_CALLBACK:
      return finish(Outcome::kFailed, "cancelled before an answer came");
    case CURLE_GOT_NOTHING:
      return finish(Outcome::kFailed, "the receiver closed the connection without answering");
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
      return finish(Outcome::kFailed, absl::StrCat("connection lost: ", detail));
    default:
      break;
  }
  return finish(Outcome::kFailed, detail);
}

}  // namespace mayday::server::webhooks
