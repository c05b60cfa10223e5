// Client::Create's checks of ClientOptions.tls: each inconsistent or
// PEM-less setting is INVALID_ARGUMENT naming the field; consistent ones
// make a client (the channel connects lazily, so no server is needed).
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "mayday/sdk/client.h"

namespace mayday::sdk {
namespace {

constexpr char kCertPem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
constexpr char kKeyPem[] = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

TEST_CASE("ClientOptions.tls: bad settings are refused by name, good ones accepted") {
  // Catch re-runs the test for each row; the rows keep the first run's path.
  static std::random_device random;
  static const std::filesystem::path ca_file =
      std::filesystem::temp_directory_path() /
      ("mayday-sdk-ca-" + std::to_string(random()) + ".pem");
  std::ofstream(ca_file) << kCertPem;
  const std::string missing = ca_file.string() + ".missing";

  struct Row {
    const char* what;
    TlsOptions tls;
    std::string error;  // "" means accepted
  };
  auto row = GENERATE_COPY(values<Row>({
      {"plaintext, TLS fields ignored", {.enabled = false, .ca_file = missing}, ""},
      {"system roots", {.enabled = true}, ""},
      {"CA as text", {.enabled = true, .ca_pem = kCertPem}, ""},
      {"CA as a file", {.enabled = true, .ca_file = ca_file.string()}, ""},
      {"CA, client certificate and key as text",
       {.enabled = true, .ca_pem = kCertPem, .cert_pem = kCertPem, .key_pem = kKeyPem},
       ""},
      {"CA as text and as a file",
       {.enabled = true, .ca_pem = kCertPem, .ca_file = ca_file.string()},
       "ClientOptions.tls: set ca_pem or ca_file, not both"},
      {"a CA file that does not exist",
       {.enabled = true, .ca_file = missing},
       "ClientOptions.tls.ca_file " + missing + ": cannot read it"},
      {"CA text that is not PEM",
       {.enabled = true, .ca_pem = "hello"},
       "ClientOptions.tls.ca_pem: holds no PEM certificate"},
      {"a key where the certificate goes",
       {.enabled = true, .cert_pem = kKeyPem, .key_pem = kKeyPem},
       "ClientOptions.tls.cert_pem: holds no PEM certificate"},
      {"a certificate without its key",
       {.enabled = true, .cert_pem = kCertPem},
       "a client certificate and its key go together"},
      {"a key without its certificate",
       {.enabled = true, .key_pem = kKeyPem},
       "a client certificate and its key go together"},
  }));
  INFO(row.what);
  ClientOptions options;
  options.server = "127.0.0.1:1";
  options.token = "member-token-1";
  options.tls = row.tls;
  auto client = Client::Create(options);
  INFO(client.status());
  if (row.error.empty()) {
    CHECK(client.ok());
  } else {
    CHECK(client.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(client.status().message()), Catch::Contains(row.error));
  }
  std::filesystem::remove(ca_file);
}

}  // namespace
}  // namespace mayday::sdk
