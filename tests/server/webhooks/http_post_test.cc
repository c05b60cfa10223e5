// One POST with libcurl (server/webhooks/http_post.*) against a real
// receiver on loopback: what is sent, how each kind of answer (or none) is
// reported, the size and time caps, the scheme and address guards, and TLS
// with a throwaway CA.
#include "webhooks/http_post.h"

#include <stdlib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "http_receiver.h"
#include "test_certificates.h"
#include "webhooks/address_policy.h"
#include "webhooks/signature.h"

namespace mayday::server::webhooks {
namespace {

using mayday::testing::HttpReceiver;
using mayday::testing::ReceivedRequest;
using mayday::testing::ReceiverTls;
using mayday::testing::Reply;
using mayday::testing::TestCa;
using mayday::testing::WriteTextFile;
using Outcome = PostResult::Outcome;

std::unique_ptr<HttpReceiver> StartReceiver(HttpReceiver::Handler handler,
                                            std::optional<ReceiverTls> tls = {}) {
  absl::StatusOr<std::unique_ptr<HttpReceiver>> receiver =
      HttpReceiver::Start({.handler = std::move(handler), .tls = std::move(tls)});
  INFO(receiver.status().ToString());
  REQUIRE(receiver.ok());
  return *std::move(receiver);
}

// Limits for a receiver on 127.0.0.1 over plain HTTP.
PostLimits Loopback() {
  PostLimits limits;
  limits.allow_private = true;
  limits.allow_http = true;
  return limits;
}

PostRequest Request(const std::string& url, std::string body = R"({"case":"c1"})") {
  return PostRequest{.url = url, .headers = {}, .body = std::move(body)};
}

// A scratch directory, removed with what it holds.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "webhooks-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

TEST_CASE("A 2xx answer is delivered, with the body and headers as given") {
  auto receiver = StartReceiver([](const ReceivedRequest&) { return Reply{.status = 204}; });
  HttpPoster poster(Loopback());
  PostRequest request = Request(receiver->Url("/hook?x=1"));
  request.headers = {{"Mayday-Event", "case.opened"}, {"X-Empty", ""}};

  const PostResult result = poster.Post(request);
  CHECK(result.outcome == Outcome::kDelivered);
  CHECK(result.http_status == 204);
  CHECK(result.words == "HTTP 204");
  CHECK(result.took > absl::ZeroDuration());

  const std::vector<ReceivedRequest> got = receiver->requests();
  REQUIRE(got.size() == 1);
  CHECK(got[0].method == "POST");
  CHECK(got[0].path == "/hook?x=1");
  CHECK(got[0].body == request.body);
  CHECK(got[0].headers.Get("content-type") == "application/json");
  CHECK(got[0].headers.Get("User-Agent") == "maydayd-webhooks/1");
  CHECK(got[0].headers.Get("Mayday-Event") == "case.opened");
  CHECK(got[0].headers.Get("X-Empty") == "");
  CHECK_FALSE(got[0].headers.Get("Expect").has_value());
  CHECK_FALSE(got[0].headers.Get("Accept-Encoding").has_value());
}

TEST_CASE("The next POST to the same receiver reuses the connection") {
  auto receiver = StartReceiver(nullptr);
  HttpPoster poster(Loopback());
  for (int i = 0; i < 3; ++i) {
    CHECK(poster.Post(Request(receiver->Url("/hook"))).outcome == Outcome::kDelivered);
  }
  const std::vector<ReceivedRequest> got = receiver->requests();
  REQUIRE(got.size() == 3);
  CHECK(got[2].connection == got[0].connection);
  CHECK(receiver->connections_accepted() == 1);
}

TEST_CASE("A Content-Type given is sent instead of application/json") {
  auto receiver = StartReceiver(nullptr);
  HttpPoster poster(Loopback());
  PostRequest request = Request(receiver->Url("/hook"), "a=1");
  request.headers = {{"content-type", "application/x-www-form-urlencoded"}};
  CHECK(poster.Post(request).outcome == Outcome::kDelivered);
  const std::vector<ReceivedRequest> got = receiver->requests();
  REQUIRE(got.size() == 1);
  CHECK(got[0].headers.GetAll("Content-Type") ==
        std::vector<std::string>{"application/x-www-form-urlencoded"});
}

TEST_CASE("A signed delivery verifies at the receiver") {
  const std::string secret = "whsec_test";
  auto receiver = StartReceiver([&secret](const ReceivedRequest& request) {
    const absl::Status status = VerifySignature(
        secret, request.headers.Get(kSignatureHeader).value_or(""), request.body, absl::Now());
    return Reply{.status = status.ok() ? 200 : 401, .body = status.ToString()};
  });
  HttpPoster poster(Loopback());
  PostRequest request = Request(receiver->Url("/hook"));
  request.headers = {
      {std::string(kSignatureHeader), SignatureHeaderValue(secret, absl::Now(), request.body)}};
  CHECK(poster.Post(request).outcome == Outcome::kDelivered);

  request.headers = {{std::string(kSignatureHeader),
                      SignatureHeaderValue("another secret", absl::Now(), request.body)}};
  const PostResult forged = poster.Post(request);
  CHECK(forged.outcome == Outcome::kRejected);
  CHECK(forged.http_status == 401);
}

TEST_CASE("An answer outside 2xx is rejected with its status") {
  auto receiver = StartReceiver(
      [](const ReceivedRequest&) { return Reply{.status = 500, .body = "database down"}; });
  HttpPoster poster(Loopback());
  const PostResult result = poster.Post(Request(receiver->Url("/hook")));
  CHECK(result.outcome == Outcome::kRejected);
  CHECK(result.http_status == 500);
  CHECK(result.words == "HTTP 500");
}

TEST_CASE("A redirect is rejected and its Location not followed") {
  std::string elsewhere;
  auto receiver = StartReceiver([&elsewhere](const ReceivedRequest&) {
    return Reply{.status = 302, .headers = {{"Location", elsewhere}}};
  });
  elsewhere = receiver->Url("/elsewhere");
  HttpPoster poster(Loopback());
  const PostResult result = poster.Post(Request(receiver->Url("/hook")));
  CHECK(result.outcome == Outcome::kRejected);
  CHECK(result.http_status == 302);
  CHECK(result.words == "HTTP 302 (redirects are not followed)");
  const std::vector<ReceivedRequest> got = receiver->requests();
  REQUIRE(got.size() == 1);
  CHECK(got[0].path == "/hook");
}

TEST_CASE("A receiver slower than the timeout fails the POST in time") {
  auto receiver = StartReceiver(
      [](const ReceivedRequest&) { return Reply{.status = 200, .delay = absl::Seconds(3)}; });
  PostLimits limits = Loopback();
  limits.timeout = absl::Seconds(1);
  HttpPoster poster(limits);
  const PostResult result = poster.Post(Request(receiver->Url("/hook")));
  CHECK(result.outcome == Outcome::kFailed);
  CHECK(result.http_status == 0);
  CHECK_THAT(result.words, Catch::Contains("timed out after 1 s"));
  CHECK(result.took < absl::Milliseconds(2500));
}

TEST_CASE("A cancel cuts a POST in flight short, and stops the next one") {
  auto receiver = StartReceiver(
      [](const ReceivedRequest&) { return Reply{.status = 200, .delay = absl::Seconds(20)}; });
  std::atomic<bool> cancel{false};
  PostLimits limits = Loopback();
  limits.timeout = absl::Seconds(30);
  limits.cancel = &cancel;
  HttpPoster poster(limits);
  std::thread canceller([&cancel, &receiver] {
    while (receiver->requests().empty()) absl::SleepFor(absl::Milliseconds(10));
    cancel.store(true);
  });
  const PostResult result = poster.Post(Request(receiver->Url("/hook")));
  canceller.join();
  CHECK(result.outcome == Outcome::kFailed);
  CHECK(result.words == "cancelled before an answer came");

  const PostResult next = poster.Post(Request(receiver->Url("/hook")));
  CHECK(next.outcome == Outcome::kFailed);
  CHECK(next.words == "cancelled before it was sent");
  CHECK(receiver->requests().size() == 1);
}

TEST_CASE("A receiver that hangs up without answering fails the POST") {
  auto receiver =
      StartReceiver([](const ReceivedRequest&) { return Reply{.close_without_answer = true}; });
  HttpPoster poster(Loopback());
  const PostResult result = poster.Post(Request(receiver->Url("/hook")));
  CHECK(result.outcome == Outcome::kFailed);
  CHECK_THAT(result.words, Catch::Contains("without answering"));
}

TEST_CASE("Nobody listening is a refused connection") {
  std::string url;
  {
    auto receiver = StartReceiver(nullptr);
    url = receiver->Url("/hook");
  }  // stopped: the port is closed
  HttpPoster poster(Loopback());
  const PostResult result = poster.Post(Request(url));
  CHECK(result.outcome == Outcome::kFailed);
  CHECK(result.words == "connection refused");
}

TEST_CASE("A response over the cap aborts the POST") {
  PostLimits limits = Loopback();
  limits.max_response_bytes = 64 * 1024;
  bool close_delimited = false;
  size_t body_bytes = 0;
  SECTION("with a Content-Length over the cap") { body_bytes = 64 * 1024 + 1; }
  SECTION("ended by closing the connection, counted as it comes") {
    close_delimited = true;
    body_bytes = 200 * 1024;
  }
  auto receiver = StartReceiver([&](const ReceivedRequest&) {
    return Reply{.body = std::string(body_bytes, 'x'), .close_delimited = close_delimited};
  });
  HttpPoster poster(limits);
  const PostResult result = poster.Post(Request(receiver->Url("/hook")));
  CHECK(result.outcome == Outcome::kFailed);
  CHECK(result.words == "response over 64 KiB");
}

TEST_CASE("A response of exactly the cap is delivered") {
  PostLimits limits = Loopback();
  limits.max_response_bytes = 64 * 1024;
  auto receiver = StartReceiver(
      [](const ReceivedRequest&) { return Reply{.body = std::string(64 * 1024, 'x')}; });
  HttpPoster poster(limits);
  CHECK(poster.Post(Request(receiver->Url("/hook"))).outcome == Outcome::kDelivered);
}

TEST_CASE("Response headers over the cap abort the POST") {
  PostLimits limits = Loopback();
  limits.max_response_bytes = 16 * 1024;
  auto receiver = StartReceiver([](const ReceivedRequest&) {
    Reply reply;
    for (int i = 0; i < 40; ++i)
      reply.headers.emplace_back(absl::StrCat("X-Pad-", i), std::string(1000, 'p'));
    return reply;
  });
  HttpPoster poster(limits);
  const PostResult result = poster.Post(Request(receiver->Url("/hook")));
  CHECK(result.outcome == Outcome::kFailed);
  CHECK(result.words == "response headers over 16 KiB");
}

TEST_CASE("A request body over the cap is not sent") {
  auto receiver = StartReceiver(nullptr);
  PostLimits limits = Loopback();
  limits.max_request_bytes = 1024;
  HttpPoster poster(limits);
  const PostResult result = poster.Post(Request(receiver->Url("/hook"), std::string(1025, 'b')));
  CHECK(result.outcome == Outcome::kFailed);
  CHECK(result.words == "request body of 1025 bytes is over 1 KiB: not sent");
  CHECK(poster.Post(Request(receiver->Url("/hook"), std::string(1024, 'b'))).outcome ==
        Outcome::kDelivered);
  CHECK(receiver->requests().size() == 1);
}

TEST_CASE("A header with a line break is not sent") {
  auto receiver = StartReceiver(nullptr);
  HttpPoster poster(Loopback());
  PostRequest request = Request(receiver->Url("/hook"));
  request.headers = {{"X-Note", "a\r\nX-Injected: 1"}};
  const PostResult result = poster.Post(request);
  CHECK(result.outcome == Outcome::kFailed);
  CHECK_THAT(result.words, Catch::Contains("not sent"));
  CHECK(receiver->requests().empty());
}

TEST_CASE("Loopback is refused unless private addresses are allowed") {
  auto receiver = StartReceiver(nullptr);
  PostLimits limits = Loopback();
  limits.allow_private = false;
  const PostResult refused = HttpPoster(limits).Post(Request(receiver->Url("/hook")));
  CHECK(refused.outcome == Outcome::kForbidden);
  CHECK(refused.http_status == 0);
  CHECK(refused.words ==
        "127.0.0.1 is a loopback address (maydayd --webhook-allow-private allows it)");
  CHECK(receiver->requests().empty());
  CHECK(receiver->connections_accepted() == 0);

  limits.allow_private = true;
  CHECK(HttpPoster(limits).Post(Request(receiver->Url("/hook"))).outcome == Outcome::kDelivered);
}

TEST_CASE("A name that resolves to loopback is refused at connect time") {
  // "localhost" passes the URL check: only the address curl is about to
  // connect to shows where it leads.
  auto receiver = StartReceiver(nullptr);
  const std::string url = absl::StrReplaceAll(receiver->Url("/hook"), {{"127.0.0.1", "localhost"}});
  REQUIRE(CheckEndpointUrl(url, /*allow_http=*/true).ok());
  PostLimits limits = Loopback();
  limits.allow_private = false;
  const PostResult result = HttpPoster(limits).Post(Request(url));
  CHECK(result.outcome == Outcome::kForbidden);
  CHECK_THAT(result.words, Catch::Contains("is a loopback address"));
  CHECK_THAT(result.words, Catch::Contains("--webhook-allow-private"));
  CHECK(receiver->connections_accepted() == 0);
}

TEST_CASE("Plain http is refused unless allowed") {
  auto receiver = StartReceiver(nullptr);
  PostLimits limits = Loopback();
  limits.allow_http = false;
  const PostResult result = HttpPoster(limits).Post(Request(receiver->Url("/hook")));
  CHECK(result.outcome == Outcome::kForbidden);
  CHECK_THAT(result.words, Catch::Contains("--webhook-allow-http"));
  CHECK(receiver->connections_accepted() == 0);
}

TEST_CASE("A malformed URL fails without a connection") {
  HttpPoster poster(Loopback());
  const PostResult result = poster.Post(Request("https://user:pw@127.0.0.1:1/hook"));
  CHECK(result.outcome == Outcome::kFailed);
  CHECK_THAT(result.words, Catch::Contains("user name or password"));
}

TEST_CASE("HTTPS is delivered to a receiver whose CA is trusted, and only then") {
  const TestCa ca("webhooks test CA");
  const mayday::testing::Issued server = ca.IssueServer();
  auto receiver = StartReceiver(nullptr, ReceiverTls{server.cert_pem, server.key_pem});
  const TempDir dir;
  PostLimits limits;
  limits.allow_private = true;  // the receiver is on 127.0.0.1

  SECTION("with its CA in ca_file") {
    limits.ca_file = WriteTextFile(dir.path() / "ca.pem", ca.cert_pem());
    HttpPoster poster(limits);
    const PostResult result = poster.Post(Request(receiver->Url("/hook")));
    INFO(result.words);
    CHECK(result.outcome == Outcome::kDelivered);
    CHECK(receiver->requests().size() == 1);
  }
  SECTION("with the system's store") {
    const PostResult result = HttpPoster(limits).Post(Request(receiver->Url("/hook")));
    CHECK(result.outcome == Outcome::kFailed);
    CHECK_THAT(result.words, Catch::StartsWith("certificate not trusted: "));
    CHECK(receiver->requests().empty());
  }
  SECTION("with another CA in ca_file") {
    const TestCa other("another CA");
    limits.ca_file = WriteTextFile(dir.path() / "other.pem", other.cert_pem());
    const PostResult result = HttpPoster(limits).Post(Request(receiver->Url("/hook")));
    CHECK(result.outcome == Outcome::kFailed);
    CHECK_THAT(result.words, Catch::StartsWith("certificate not trusted: "));
  }
}

}  // namespace
}  // namespace mayday::server::webhooks
