// maydayd as an operator configures and reads it: every flag also from a
// MAYDAY_ variable and from a --config file (a flag wins over the file,
// which wins over the environment), bad values refused with exit 2,
// and its log timestamped and levelled, in text or in JSON. Each run is
// maydayd started on 127.0.0.1:0 and stopped with SIGINT after a moment.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "daemon.h"
#include "grpcpp/grpcpp.h"
#include "mayday/v1/alert_service.grpc.pb.h"
#include "mayday/v1/responder_service.grpc.pb.h"

namespace mayday::testing {
namespace {

namespace fs = std::filesystem;

// A fresh folder under the temp directory, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string name = (fs::temp_directory_path() / "mayday-config-XXXXXX").string();
    REQUIRE(::mkdtemp(name.data()) != nullptr);
    path_ = name;
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// maydayd with `args`, run for 2 s then sent SIGINT; `env` ("NAME=VALUE")
// set for it alone.
Output ServeBriefly(const std::vector<std::string>& env, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"env"};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.insert(argv.end(), {"timeout", "-s", "INT", "2", MAYDAYD_BINARY});
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv);
}

bool Says(const Output& out, const std::string& words) {
  return out.text().find(words) != std::string::npos;
}

TEST_CASE("maydayd logs a timestamped, levelled line per event, in text or in JSON") {
  TempDir dir;
  const Output text =
      ServeBriefly({}, {"--listen", "127.0.0.1:0", "--db", (dir.path() / "text.db").string()});
  INFO(text.text());
  const std::regex line(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO|WARN|ERROR) maydayd: .+)");
  REQUIRE(text.lines.size() >= 4);
  for (const std::string& l : text.lines) {
    INFO(l);
    CHECK(std::regex_match(l, line));
  }
  CHECK(Says(text, "INFO maydayd: serving on port "));
  CHECK(Says(text, "schema migrated from version 0"));
  CHECK(Says(text, "INFO maydayd: SIGINT received, shutting down"));
  CHECK(Says(text, "INFO maydayd: stopped"));

  const Output json = ServeBriefly({}, {"--listen", "127.0.0.1:0", "--db",
                                        (dir.path() / "json.db").string(), "--log-format", "json"});
  INFO(json.text());
  const std::regex object(
      R"re(\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z","level":"(info|warning|error)",)re"
      R"re("event":"[a-z_]+","message":"([^"\\]|\\.)*"\})re");
  REQUIRE(json.lines.size() >= 4);
  for (const std::string& l : json.lines) {
    INFO(l);
    CHECK(std::regex_match(l, object));
  }
  CHECK(Says(json, R"("event":"start","message":"serving on port )"));
  CHECK(Says(json, R"("event":"migration")"));
  CHECK(Says(json, R"("event":"stop","message":"stopped")"));

  const Output bad =
      Run({MAYDAYD_BINARY, "--db", (dir.path() / "x.db").string(), "--log-format", "xml"});
  CHECK(bad.exit_code == 2);
  CHECK(Says(bad, "--log-format: xml not in {text,json}"));
}

TEST_CASE("maydayd takes its flags from MAYDAY_ variables and a --config file") {
  TempDir dir;
  const auto db = [&](const char* name) { return (dir.path() / name).string(); };

  SECTION("from the environment") {
    const Output out = ServeBriefly(
        {"MAYDAY_LISTEN=127.0.0.1:0", "MAYDAY_DB=" + db("env.db"), "MAYDAY_LOG_FORMAT=json"}, {});
    INFO(out.text());
    CHECK(Says(out, R"("event":"start","message":"serving on port )"));
    CHECK(fs::exists(db("env.db")));
  }
  SECTION("a flag wins over the environment") {
    const Output out = ServeBriefly({"MAYDAY_LISTEN=127.0.0.1:0", "MAYDAY_DB=" + db("env.db")},
                                    {"--db", db("flag.db")});
    INFO(out.text());
    CHECK(Says(out, "serving on port"));
    CHECK(fs::exists(db("flag.db")));
    CHECK_FALSE(fs::exists(db("env.db")));
  }
  SECTION("from a config file, a flag winning over it and it over the environment") {
    const std::string config = (dir.path() / "maydayd.conf").string();
    std::ofstream(config) << "# maydayd's settings\n"
                          << "listen = \"127.0.0.1:0\"\n"
                          << "db = \"" << db("file.db") << "\"\n"
                          << "offer-timeout = 20\n"
                          << "log-format = \"json\"\n";
    const Output from_file = ServeBriefly({}, {"--config", config});
    INFO(from_file.text());
    CHECK(Says(from_file, R"("event":"start","message":"serving on port )"));
    CHECK(fs::exists(db("file.db")));
    const Output flagged = ServeBriefly({}, {"--config", config, "--log-format", "text"});
    INFO(flagged.text());
    CHECK(Says(flagged, "INFO maydayd: serving on port "));
    const Output env_under = ServeBriefly({"MAYDAY_LOG_FORMAT=text"}, {"--config", config});
    INFO(env_under.text());
    CHECK(Says(env_under, R"("event":"start","message":"serving on port )"));
  }
  SECTION("bad values and a missing file are refused with exit 2, naming them") {
    const Output bad_env = ServeBriefly({"MAYDAY_OFFER_TIMEOUT=-5"}, {"--db", db("bad.db")});
    INFO(bad_env.text());
    CHECK(bad_env.exit_code == 2);
    CHECK(Says(bad_env, "--offer-timeout"));
    CHECK_FALSE(fs::exists(db("bad.db")));
    const Output missing = Run({MAYDAYD_BINARY, "--config", db("nowhere.conf")});
    INFO(missing.text());
    CHECK(missing.exit_code == 2);
    CHECK(Says(missing, db("nowhere.conf")));
  }
}

TEST_CASE("maydayd --speed sets the speed a capability's ETAs assume") {
  TempDir dir;
  const std::string db = (dir.path() / "speed.db").string();
  for (const char* bad : {"warp=50", "ambulance=0", "ambulance=fast", "ambulance", "tow=301"}) {
    const Output refused = Run({MAYDAYD_BINARY, "--db", db, "--speed", bad});
    INFO(bad << ": " << refused.text());
    CHECK(refused.exit_code == 2);
    CHECK(Says(refused, "--speed"));
  }
  // 108 km/h is 30 m/s: an ambulance 3 km away is offered with an ETA of
  // 100 s (the default 54 km/h would say 200).
  const std::string member = CreateToken(MAYDAYD_BINARY, db, "member", "alice");
  const std::string crew_token = CreateToken(MAYDAYD_BINARY, db, "responder", "amb-1");
  Daemon daemon(MAYDAYD_BINARY, db, {"--speed", "ambulance=108"});
  auto channel = grpc::CreateChannel(daemon.address(), grpc::InsecureChannelCredentials());
  auto crew = mayday::v1::ResponderService::NewStub(channel);
  auto as = [](const std::string& token) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization", "Bearer " + token);
    context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    return context;
  };
  mayday::v1::SetDutyRequest duty;
  duty.set_on_duty(true);
  duty.add_capabilities(mayday::v1::CAPABILITY_AMBULANCE);
  mayday::v1::Responder responder;
  REQUIRE(crew->SetDuty(as(crew_token).get(), duty, &responder).ok());
  {
    auto context = as(crew_token);
    mayday::v1::ReportLocationResponse response;
    auto writer = crew->ReportLocation(context.get(), &response);
    mayday::v1::ReportLocationRequest report;
    report.mutable_location()->set_latitude(52.0 + 3000 / 111'250.0);
    report.mutable_location()->set_longitude(4.9);
    REQUIRE(writer->Write(report));
    writer->WritesDone();
    REQUIRE(writer->Finish().ok());
  }
  auto subscribe = as(crew_token);
  auto updates = crew->Subscribe(subscribe.get(), mayday::v1::SubscribeRequest());
  updates->WaitForInitialMetadata();
  mayday::v1::RaiseAlertRequest alert;
  alert.set_request_id("speed-1");
  alert.set_kind(mayday::v1::CASE_KIND_MEDICAL);
  alert.mutable_location()->set_latitude(52.0);
  alert.mutable_location()->set_longitude(4.9);
  mayday::v1::Case opened;
  REQUIRE(mayday::v1::AlertService::NewStub(channel)
              ->RaiseAlert(as(member).get(), alert, &opened)
              .ok());
  mayday::v1::ResponderUpdate update;
  bool offered = false;
  while (!offered && updates->Read(&update)) offered = update.has_offer();
  REQUIRE(offered);
  CHECK(update.offer().eta_seconds() == Approx(100).margin(2));
  subscribe->TryCancel();
  while (updates->Read(&update)) {
  }
  updates->Finish();
}

}  // namespace
}  // namespace mayday::testing
