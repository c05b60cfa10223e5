// TLS options to gRPC channel credentials; see credentials.h.
#include "credentials.h"

#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace mayday::sdk::internal {
namespace {

// The PEM of one item given as `pem` text or as a `file` path ("" if
// neither), checked to hold a "-----BEGIN ...`kind`-----" block.
absl::StatusOr<std::string> LoadPem(absl::string_view field, const std::string& pem,
                                    const std::string& file, absl::string_view kind) {
  if (!pem.empty() && !file.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ClientOptions.tls: set ", field, "_pem or ", field, "_file, not both"));
  }
  std::string text = pem;
  std::string where = absl::StrCat("ClientOptions.tls.", field, "_pem");
  if (!file.empty()) {
    where = absl::StrCat("ClientOptions.tls.", field, "_file ", file);
    std::ifstream in(file, std::ios::binary);
    std::ostringstream read;
    if (!(in && read << in.rdbuf())) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": cannot read it"));
    }
    text = read.str();
  }
  const bool given = !pem.empty() || !file.empty();
  if (given && (!absl::StrContains(text, "-----BEGIN ") ||
                !absl::StrContains(text, absl::StrCat(kind, "-----")))) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": holds no PEM ",
                                                   absl::AsciiStrToLower(kind), " (\"-----BEGIN ",
                                                   kind, "-----\")"));
  }
  return text;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeCredentials(const TlsOptions& tls) {
  if (!tls.enabled) return grpc::InsecureChannelCredentials();
  auto ca = LoadPem("ca", tls.ca_pem, tls.ca_file, "CERTIFICATE");
  if (!ca.ok()) return ca.status();
  auto cert = LoadPem("cert", tls.cert_pem, tls.cert_file, "CERTIFICATE");
  if (!cert.ok()) return cert.status();
  auto key = LoadPem("key", tls.key_pem, tls.key_file, "PRIVATE KEY");
  if (!key.ok()) return key.status();
  if (cert->empty() != key->empty()) {
    return absl::InvalidArgumentError(
        "ClientOptions.tls: a client certificate and its key go together: set both or neither");
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = *std::move(ca);  // empty: the system's roots
  ssl.pem_cert_chain = *std::move(cert);
  ssl.pem_private_key = *std::move(key);
  return grpc::SslCredentials(ssl);
}

}  // namespace mayday::sdk::internal
