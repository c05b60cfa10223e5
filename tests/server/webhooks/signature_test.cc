// The Mayday-Signature header (server/webhooks/signature.*): a known vector,
// and what a receiver's check accepts and refuses.
#include "webhooks/signature.h"

#include <catch2/catch.hpp>
#include <string>

#include "absl/strings/str_cat.h"

namespace mayday::server::webhooks {
namespace {

constexpr char kSecret[] = "secret";
constexpr char kBody[] = R"({"a":1})";
const absl::Time kSent = absl::FromUnixSeconds(1700000000);
// printf '%s' '1700000000.{"a":1}' | openssl dgst -sha256 -hmac 'secret'
constexpr char kVector[] = "49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686";

TEST_CASE("SignatureHeaderValue matches a vector computed with openssl") {
  CHECK(SignatureHeaderValue(kSecret, kSent, kBody) == absl::StrCat("t=1700000000,v1=", kVector));
  // The fraction of a second is not part of t.
  CHECK(SignatureHeaderValue(kSecret, kSent + absl::Milliseconds(999), kBody) ==
        absl::StrCat("t=1700000000,v1=", kVector));
}

TEST_CASE("VerifySignature accepts what was signed, within the tolerance") {
  const std::string header = SignatureHeaderValue(kSecret, kSent, kBody);
  CHECK(VerifySignature(kSecret, header, kBody, kSent).ok());
  CHECK(VerifySignature(kSecret, header, kBody, kSent + absl::Minutes(5)).ok());
  CHECK(VerifySignature(kSecret, header, kBody, kSent - absl::Minutes(5)).ok());
  // Spaces after the commas, as a hand-written header might have.
  CHECK(VerifySignature(kSecret, absl::StrCat("t=1700000000, v1=", kVector), kBody, kSent).ok());
  // An empty secret signs too (not that maydayd makes one).
  CHECK(VerifySignature("", SignatureHeaderValue("", kSent, ""), "", kSent).ok());
}

TEST_CASE("VerifySignature accepts any matching v1 during a secret rotation") {
  const std::string old_value = SignatureHeaderValue("old secret", kSent, kBody);
  const std::string header =
      absl::StrCat("t=1700000000,v1=", std::string(64, '0'), ",v1=", kVector, ",v2=future");
  CHECK(VerifySignature(kSecret, header, kBody, kSent).ok());
  const std::string both = absl::StrCat(old_value, ",v1=", kVector);
  CHECK(VerifySignature(kSecret, both, kBody, kSent).ok());
  CHECK(VerifySignature("old secret", both, kBody, kSent).ok());
  CHECK(VerifySignature("other secret", both, kBody, kSent).code() ==
        absl::StatusCode::kPermissionDenied);
}

TEST_CASE("VerifySignature refuses a tampered body, another secret and a replay") {
  const std::string header = SignatureHeaderValue(kSecret, kSent, kBody);
  struct Row {
    const char* what;
    std::string secret;
    std::string body;
    absl::Time now;
    const char* words;
  };
  const Row rows[] = {
      {"tampered body", kSecret, R"({"a":2})", kSent, "the body was changed"},
      {"wrong secret", "secreT", kBody, kSent, "signed with another secret"},
      {"stale by 6 minutes", kSecret, kBody, kSent + absl::Minutes(6),
       "is 360 s from now, more than the 300 s allowed"},
      {"6 minutes in the future", kSecret, kBody, kSent - absl::Minutes(6), "360 s from now"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.what);
    const absl::Status status = VerifySignature(row.secret, header, row.body, row.now);
    CHECK(status.code() == absl::StatusCode::kPermissionDenied);
    CHECK_THAT(std::string(status.message()), Catch::Contains(row.words));
  }
  // The tolerance is the caller's.
  CHECK(VerifySignature(kSecret, header, kBody, kSent + absl::Minutes(6), absl::Minutes(10)).ok());
}

TEST_CASE("VerifySignature refuses a malformed header as invalid") {
  auto [header, words] = GENERATE(table<std::string, std::string>({
      {"", "no t="},
      {"v1=49f24e53", "no t="},
      {"t=1700000000", "no v1="},
      {"t=1700000000,v0=abc", "no v1="},
      {"t=abc,v1=00", "exactly one t="},
      {"t=-5,v1=00", "exactly one t="},
      {"t=,v1=00", "exactly one t="},
      {"t=1700000000,t=1700000001,v1=00", "exactly one t="},
      {"t=99999999999999999999999,v1=00", "exactly one t="},
  }));
  CAPTURE(header);
  const absl::Status status = VerifySignature(kSecret, header, kBody, kSent);
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(status.message()), Catch::Contains(words));
}

}  // namespace
}  // namespace mayday::server::webhooks
