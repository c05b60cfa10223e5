// Certificates made at test time for TLS tests: a throwaway certificate
// authority (EC P-256, valid from an hour ago for a day) that issues server
// certificates for localhost / 127.0.0.1 and client certificates for
// devices. Nothing is read from disk; WriteTextFile puts PEM where the
// binaries under test can read it.
#ifndef MAYDAY_TESTS_SERVER_TEST_CERTIFICATES_H_
#define MAYDAY_TESTS_SERVER_TEST_CERTIFICATES_H_

#include <filesystem>
#include <memory>
#include <string>

namespace mayday::testing {

// A certificate and its private key, both PEM.
struct Issued {
  std::string cert_pem;
  std::string key_pem;
};

// A self-signed CA. Throws std::runtime_error if OpenSSL fails.
class TestCa {
 public:
  // `name` is the CA's common name.
  explicit TestCa(const std::string& name);
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  // The CA's own certificate (what clients or the server trust).
  const std::string& cert_pem() const { return self_.cert_pem; }
  // A server certificate named `dns_name`, "localhost" and IP 127.0.0.1.
  Issued IssueServer(const std::string& dns_name = "maydayd.test") const;
  // A client certificate for the device `common_name`.
  Issued IssueClient(const std::string& common_name) const;
  // A certificate for one of several maydayd replicas, which serve with it
  // and present it to each other: as IssueServer, for both uses.
  Issued IssueReplica(const std::string& dns_name) const;

 private:
  struct Key;
  Issued Issue(const std::string& common_name, const std::string& alt_names,
               const std::string& usage) const;

  std::unique_ptr<Key> key_;
  Issued self_;
};

// Writes `text` to `path` (throws std::runtime_error on failure) and
// returns the path as a string.
std::string WriteTextFile(const std::filesystem::path& path, const std::string& text);

}  // namespace mayday::testing

#endif  // MAYDAY_TESTS_SERVER_TEST_CERTIFICATES_H_
