// TLS on the real binaries, with certificates made by the test: maydayd's
// TLS flag errors (exit 2, one line naming the flag and the file, before it
// opens the database), and maydayctl and mayday-sim reaching a mutual-TLS
// maydayd with --tls-ca and a device certificate, and refused without one.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "../sdk_faults/child_process.h"
#include "../server/scenarios/test_certificates.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "daemon.h"

namespace mayday::testing {
namespace {

// The PEM files of one deployment: a CA, the server's certificate, a
// device certificate it signed and one signed by another CA.
struct Files {
  Scratch scratch{"mayday-tls"};
  std::string ca, server_cert, server_key, device_cert, device_key, foreign_cert, foreign_key;
  Files() {
    TestCa ca_maker("Mayday e2e CA");
    TestCa other("Some other CA");
    const Issued server = ca_maker.IssueServer("maydayd.test");
    const Issued device = ca_maker.IssueClient("desk-1");
    const Issued foreign = other.IssueClient("desk-1");
    const auto& d = scratch.dir;
    ca = WriteTextFile(d / "ca.pem", ca_maker.cert_pem());
    server_cert = WriteTextFile(d / "server.pem", server.cert_pem);
    server_key = WriteTextFile(d / "server.key", server.key_pem);
    device_cert = WriteTextFile(d / "device.pem", device.cert_pem);
    device_key = WriteTextFile(d / "device.key", device.key_pem);
    foreign_cert = WriteTextFile(d / "foreign.pem", foreign.cert_pem);
    foreign_key = WriteTextFile(d / "foreign.key", foreign.key_pem);
  }
};

TEST_CASE("maydayd exits 2 with one clear line for bad TLS flags, before opening the database") {
  Files files;
  const std::string dir = files.scratch.dir.string() + "/";
  const std::string db = dir + "mayday.db";
  // File names are relative to the scratch directory (a fresh one on each
  // of Catch's runs of this test); "@" in the message stands for it.
  struct Row {
    std::vector<std::string> flags;
    std::string message;
  };
  auto row = GENERATE(values<Row>({
      {{"--tls-cert", "server.pem"}, "--tls-cert and --tls-key go together"},
      {{"--tls-client-ca", "ca.pem"}, "--tls-client-ca needs --tls-cert and --tls-key"},
      {{"--tls-cert", "missing.pem", "--tls-key", "server.key"},
       "--tls-cert @missing.pem: cannot read it: No such file or directory"},
      {{"--tls-cert", "server.key", "--tls-key", "server.key"},
       "--tls-cert @server.key: holds no PEM certificate"},
      {{"--tls-cert", "server.pem", "--tls-key", "server.pem"},
       "--tls-key @server.pem: holds no unencrypted PEM private key"},
      {{"--tls-cert", "server.pem", "--tls-key", "device.key"},
       "--tls-key @device.key is not the key of the certificate in --tls-cert @server.pem"},
      {{"--tls-cert", "server.pem", "--tls-key", "server.key", "--tls-client-ca", "server.key"},
       "--tls-client-ca @server.key: holds no PEM certificate"},
  }));
  std::vector<std::string> argv = {MAYDAYD_BINARY, "--listen", "127.0.0.1:0", "--db", db};
  for (size_t i = 0; i < row.flags.size(); ++i) {
    argv.push_back(i % 2 == 0 ? row.flags[i] : dir + row.flags[i]);
  }
  std::string message = row.message;
  for (size_t at; (at = message.find('@')) != std::string::npos;) message.replace(at, 1, dir);
  INFO(absl::StrJoin(argv, " "));
  const Output out = Run(argv);
  INFO(out.text());
  CHECK(out.exit_code == 2);
  REQUIRE(out.lines.size() == 1);
  CHECK(out.messages()[0].rfind("maydayd: ", 0) == 0);
  CHECK_THAT(out.lines[0], Catch::Contains(message));
  CHECK_FALSE(std::filesystem::exists(db));
}

TEST_CASE("maydayctl and mayday-sim reach a mutual-TLS maydayd with --tls-ca and a device cert") {
  Files files;
  const std::string db = (files.scratch.dir / "mayday.db").string();
  Daemon daemon(MAYDAYD_BINARY, db,
                {"--tls-cert", files.server_cert, "--tls-key", files.server_key, "--tls-client-ca",
                 files.ca});
  const std::string agent = CreateToken(MAYDAYD_BINARY, db, "operator", "desk-1");
  const std::vector<std::string> ctl = {MAYDAYCTL_BINARY, "--server", daemon.address(), "--token",
                                        agent};
  auto with = [&](std::vector<std::string> flags) {
    std::vector<std::string> argv = ctl;
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), {"responders", "list", "-o", "json"});
    return argv;
  };

  SECTION("with the CA and the device's certificate") {
    const Output out = Run(with(
        {"--tls-ca", files.ca, "--tls-cert", files.device_cert, "--tls-key", files.device_key}));
    INFO(out.text());
    CHECK(out.exit_code == 0);
  }
  SECTION("with the CA and the name in the server's certificate") {
    const Output out = Run(with({"--tls-ca", files.ca, "--tls-server-name", "maydayd.test",
                                 "--tls-cert", files.device_cert, "--tls-key", files.device_key}));
    INFO(out.text());
    CHECK(out.exit_code == 0);
  }
  SECTION("with the CA but no device certificate: refused, saying what is missing") {
    const Output out = Run(with({"--tls-ca", files.ca}));
    INFO(out.text());
    CHECK(out.exit_code == 1);
    CHECK_THAT(out.text(), Catch::Contains("UNAUTHENTICATED") &&
                               Catch::Contains("client certificate signed by the CA"));
  }
  SECTION("with a device certificate from another CA: the handshake is refused") {
    const Output out = Run(with(
        {"--tls-ca", files.ca, "--tls-cert", files.foreign_cert, "--tls-key", files.foreign_key}));
    INFO(out.text());
    CHECK(out.exit_code == 1);
    CHECK_THAT(out.text(), Catch::Contains("UNAVAILABLE"));
  }
  SECTION("in plaintext: no answer") {
    const Output out = Run(with({}));
    INFO(out.text());
    CHECK(out.exit_code == 1);
    CHECK_THAT(out.text(), Catch::Contains("UNAVAILABLE"));
  }
  SECTION("mayday-sim's crews go on duty over mutual TLS, and not without a device cert") {
    const std::string tokens =
        WriteTextFile(files.scratch.dir / "crew.tokens",
                      CreateToken(MAYDAYD_BINARY, db, "responder", "unit-1") + "\n");
    const std::vector<std::string> sim = {
        MAYDAY_SIM_BINARY, "responders",     "--server", daemon.address(), "--token-file", tokens,
        "--center",        "52.3676,4.9041", "--fleet",  "tow:1",          "--duration-s", "1",
        "--tls-ca",        files.ca};
    std::vector<std::string> with_cert = sim;
    with_cert.insert(with_cert.end(),
                     {"--tls-cert", files.device_cert, "--tls-key", files.device_key});
    const Output out = Run(with_cert);
    INFO(out.text());
    CHECK(out.exit_code == 0);
    CHECK_THAT(out.text(), Catch::Contains("unit-1: on duty (tow)"));
    const Output refused = Run(sim);
    INFO(refused.text());
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.text(), Catch::Contains("client certificate signed by the CA"));
  }
}

}  // namespace
}  // namespace mayday::testing
