// Members' medical profiles through the public API of a real maydayd: who
// reads one and when (the member; the crew of the member's medical case
// while it is assigned to it, not with the offer, not after; care agents),
// the audit row of every read, the profile nowhere in clear in the database
// file, deletion that leaves the file, key rotation, and bad profiles.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "crew.h"
#include "google/protobuf/util/message_differencer.h"
#include "mayday/exports/cap.h"
#include "mayday/exports/eido.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;
using Code = grpc::StatusCode;

// Words that must never be found in clear in the database.
constexpr char kAllergy[] = "penicillin-zq7";
constexpr char kCondition[] = "type 1 diabetes-zq7";
constexpr char kMedication[] = "insulin glargine-zq7";
constexpr char kContact[] = "Ruth Example-zq7";
constexpr char kPhone[] = "+447700900123";
constexpr char kNote[] = "pacemaker fitted 2019-zq7";

v1::MedicalProfile Profile() {
  v1::MedicalProfile p;
  p.add_allergies(kAllergy);
  p.add_conditions(kCondition);
  auto* medication = p.add_medications();
  medication->set_name(kMedication);
  medication->set_dose("20 units at night");
  p.set_blood_group(v1::MedicalProfile::BLOOD_GROUP_AB_NEGATIVE);
  auto* contact = p.add_emergency_contacts();
  contact->set_name(kContact);
  contact->set_relationship("sister");
  contact->set_phone(kPhone);
  p.set_note(kNote);
  return p;
}

grpc::Status Store(TestServer& server, const std::string& token, const v1::MedicalProfile& profile,
                   v1::MedicalProfile* out = nullptr) {
  v1::UpdateMedicalProfileRequest request;
  *request.mutable_profile() = profile;
  v1::MedicalProfile ignored;
  return server.Alerts()->UpdateMedicalProfile(Call(token).get(), request, out ? out : &ignored);
}

grpc::Status Own(TestServer& server, const std::string& token, v1::MedicalProfile* out) {
  return server.Alerts()->GetMedicalProfile(Call(token).get(), v1::GetMedicalProfileRequest(), out);
}

grpc::Status ForCrew(Crew& crew, const std::string& case_name, v1::MedicalProfile* out) {
  v1::GetCaseMedicalProfileRequest request;
  request.set_case_(case_name);
  return crew.stub().GetCaseMedicalProfile(Call(crew.token()).get(), request, out);
}

grpc::Status ForDesk(TestServer& server, const std::string& token, const std::string& name,
                     v1::MedicalProfile* out) {
  v1::GetMemberMedicalProfileRequest request;
  request.set_name(name);
  return server.Operators()->GetMedicalProfile(Call(token).get(), request, out);
}

// The profile as its reader gets it, less name and update_time.
bool SameContents(v1::MedicalProfile got, const v1::MedicalProfile& want) {
  got.clear_name();
  got.clear_update_time();
  return google::protobuf::util::MessageDifferencer::Equals(got, want);
}

std::string FileBytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

std::vector<v1::AuditEntry> Audit(TestServer& server) {
  v1::ListAuditEntriesRequest request;
  request.set_page_size(1000);
  v1::ListAuditEntriesResponse rows;
  const grpc::Status listed = server.Operators()->ListAuditEntries(
      Call(server.Token("admin", "root")).get(), request, &rows);
  REQUIRE(listed.ok());
  return {rows.entries().begin(), rows.entries().end()};
}

TEST_CASE("A medical profile is read by its member, its case's crew while assigned, and the desk") {
  TestServer server;
  const std::string alice = server.Token("member", "alice");
  const std::string bob = server.Token("member", "bob");
  const std::string agent = server.Token("operator", "olga");
  const std::string admin = server.Token("admin", "ada");
  const std::string name = "members/alice/medicalProfile";

  v1::MedicalProfile stored;
  const grpc::Status put = Store(server, alice, Profile(), &stored);
  INFO(put.error_message());
  REQUIRE(put.ok());
  CHECK(stored.name() == name);
  CHECK(stored.has_update_time());
  CHECK(SameContents(stored, Profile()));

  v1::MedicalProfile read;
  REQUIRE(Own(server, alice, &read).ok());
  CHECK(SameContents(read, Profile()));
  CHECK(read.name() == name);
  // Another member has no way to name alice's profile: its own is absent,
  // and the crew's and the desk's calls are not a member's.
  CHECK(Own(server, bob, &read).error_code() == Code::NOT_FOUND);
  CHECK(ForDesk(server, bob, name, &read).error_code() == Code::PERMISSION_DENIED);

  // Two ambulances: the nearer is offered alice's medical case first.
  Crew near(server, "amb-near");
  Crew far(server, "amb-far");
  REQUIRE(near.GoOnDuty(v1::CAPABILITY_AMBULANCE, 52.3700, 4.8950).ok());
  REQUIRE(far.GoOnDuty(v1::CAPABILITY_AMBULANCE, 52.4000, 4.9500).ok());
  near.Subscribe();
  far.Subscribe();
  v1::Case opened;
  REQUIRE(server.Alerts()
              ->RaiseAlert(Call(alice).get(), Alert("medical-1", v1::CASE_KIND_MEDICAL), &opened)
              .ok());
  const std::optional<v1::Offer> offer = near.NextOffer();
  REQUIRE(offer.has_value());
  REQUIRE(offer->case_() == opened.name());
  CHECK(offer->DebugString().find(kAllergy) == std::string::npos);
  CHECK(ForCrew(near, opened.name(), &read).error_code() == Code::NOT_FOUND);
  CHECK(ForCrew(far, opened.name(), &read).error_code() == Code::NOT_FOUND);
  Crew member_as_crew(server, "alice");  // a responder token, not alice's member one
  CHECK(ForCrew(member_as_crew, opened.name(), &read).error_code() == Code::NOT_FOUND);
  v1::GetCaseMedicalProfileRequest as_member;
  as_member.set_case_(opened.name());
  CHECK(near.stub().GetCaseMedicalProfile(Call(alice).get(), as_member, &read).error_code() ==
        Code::PERMISSION_DENIED);

  REQUIRE(near.Accept(opened.name()).ok());
  int crew_reads = 0;
  for (v1::CaseState step :
       {v1::CASE_STATE_ASSIGNED, v1::CASE_STATE_EN_ROUTE, v1::CASE_STATE_ON_SCENE}) {
    INFO(v1::CaseState_Name(step));
    if (step != v1::CASE_STATE_ASSIGNED) REQUIRE(near.Progress(opened.name(), step).ok());
    read.Clear();
    const grpc::Status got = ForCrew(near, opened.name(), &read);
    INFO(got.error_message());
    REQUIRE(got.ok());
    ++crew_reads;
    CHECK(SameContents(read, Profile()));
    CHECK(read.name() == name);
    CHECK(ForCrew(far, opened.name(), &read).error_code() == Code::NOT_FOUND);
  }
  REQUIRE(near.Progress(opened.name(), v1::CASE_STATE_RESOLVED).ok());
  const grpc::Status after = ForCrew(near, opened.name(), &read);
  CHECK(after.error_code() == Code::PERMISSION_DENIED);
  CHECK(after.error_message().find("closed") != std::string::npos);

  // The desk: operator and admin, each read audited.
  for (const std::string& token : {agent, admin}) {
    read.Clear();
    REQUIRE(ForDesk(server, token, name, &read).ok());
    CHECK(SameContents(read, Profile()));
  }
  CHECK(ForDesk(server, agent, "members/bob/medicalProfile", &read).error_code() ==
        Code::NOT_FOUND);
  CHECK(ForDesk(server, agent, "members/alice", &read).error_code() == Code::INVALID_ARGUMENT);

  // A road case of alice's carries no profile, even to its own crew.
  Crew tow(server, "tow-1");
  REQUIRE(tow.GoOnDuty(v1::CAPABILITY_TOW, 52.3700, 4.8950).ok());
  tow.Subscribe();
  v1::Case road;
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("road-1"), &road).ok());
  const std::optional<v1::Offer> road_offer = tow.NextOffer();
  REQUIRE(road_offer.has_value());
  REQUIRE(tow.Accept(road.name()).ok());
  CHECK(ForCrew(tow, road.name(), &read).error_code() == Code::PERMISSION_DENIED);

  // One audit row per read by someone else, naming the profile, never its
  // contents; one for the member's replace; none for the member's reads.
  int reads = 0, replaces = 0;
  for (const v1::AuditEntry& row : Audit(server)) {
    const std::string text = row.DebugString();
    for (const char* secret : {kAllergy, kCondition, kMedication, kContact, kPhone, kNote}) {
      INFO(text);
      CHECK(text.find(secret) == std::string::npos);
    }
    if (row.action() == "medical_profile.read") {
      ++reads;
      CHECK(row.target() == name);
    }
    if (row.action() == "member.medical_profile.replace") ++replaces;
  }
  CHECK(reads == crew_reads + 2);
  CHECK(replaces == 1);

  // Not in any case event.
  v1::ListCaseEventsRequest events;
  events.set_parent(opened.name());
  v1::ListCaseEventsResponse timeline;
  REQUIRE(server.Operators()->ListCaseEvents(Call(agent).get(), events, &timeline).ok());
  CHECK(timeline.events_size() >= 5);
  CHECK(timeline.DebugString().find(kAllergy) == std::string::npos);

  // Nowhere in the database's files in clear.
  server.server().Shutdown(absl::Seconds(1));
  std::string bytes;
  for (const std::string& path : {server.db_path(), server.db_path() + "-wal"}) {
    bytes += FileBytes(path);
  }
  REQUIRE(bytes.size() > 4096);
  REQUIRE(bytes.find("members/alice") != std::string::npos);  // the grep does see the file
  for (const char* secret : {kAllergy, kCondition, kMedication, kContact, kPhone, kNote}) {
    INFO(secret);
    CHECK(bytes.find(secret) == std::string::npos);
  }
}

TEST_CASE("A deleted medical profile is gone, from the API and from the database file") {
  TestServer server;
  const std::string alice = server.Token("member", "alice");
  REQUIRE(Store(server, alice, Profile()).ok());
  auto sealed = server.server().store().GetProfile("members/alice");
  REQUIRE(sealed.ok());
  REQUIRE(sealed->has_value());
  // 48 bytes from the middle of the ciphertext: what must leave the file.
  const std::string stored = (*sealed)->sealed.substr(20, 48);
  REQUIRE(stored.size() == 48);
  server.Restart();  // the last connection's close checkpoints the log
  REQUIRE(FileBytes(server.db_path()).find(stored) != std::string::npos);

  google::protobuf::Empty empty;
  REQUIRE(server.Alerts()
              ->DeleteMedicalProfile(Call(alice).get(), v1::DeleteMedicalProfileRequest(), &empty)
              .ok());
  // Deleting what is not there is OK (a retry of the delete).
  REQUIRE(server.Alerts()
              ->DeleteMedicalProfile(Call(alice).get(), v1::DeleteMedicalProfileRequest(), &empty)
              .ok());
  v1::MedicalProfile read;
  CHECK(Own(server, alice, &read).error_code() == Code::NOT_FOUND);
  CHECK(ForDesk(server, server.Token("operator", "olga"), "members/alice/medicalProfile", &read)
            .error_code() == Code::NOT_FOUND);
  int deletes = 0;
  for (const v1::AuditEntry& row : Audit(server)) {
    deletes += row.action() == "member.medical_profile.delete";
  }
  CHECK(deletes == 1);
  server.Restart();
  CHECK(FileBytes(server.db_path()).find(stored) == std::string::npos);
}

TEST_CASE("Medical key rotation: older profiles are re-sealed with the new key and still read") {
  constexpr char kNewKey[] = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
  TestServer server;
  const std::string alice = server.Token("member", "alice");
  const std::string bob = server.Token("member", "bob");
  REQUIRE(Store(server, alice, Profile()).ok());
  REQUIRE(Store(server, bob, Profile()).ok());
  auto key_of = [&](const std::string& member) {
    auto row = server.server().store().GetProfile(member);
    REQUIRE(row.ok());
    REQUIRE(row->has_value());
    return (*row)->key_id;
  };
  CHECK(key_of("members/alice") == "test-1");

  // Step 1 (every replica): the new key listed second, opening only.
  server.Restart([&] {
    WriteMedicalKeyFile(server.medical_key_path(),
                        {{"test-1", kTestMedicalKey}, {"test-2", kNewKey}});
  });
  CHECK(key_of("members/alice") == "test-1");
  // Step 2: the new key first; the start re-seals every profile with it.
  server.Restart([&] {
    WriteMedicalKeyFile(server.medical_key_path(),
                        {{"test-2", kNewKey}, {"test-1", kTestMedicalKey}});
  });
  CHECK(key_of("members/alice") == "test-2");
  CHECK(key_of("members/bob") == "test-2");
  // Step 3: the old key dropped; everything still reads.
  server.Restart([&] { WriteMedicalKeyFile(server.medical_key_path(), {{"test-2", kNewKey}}); });
  for (const std::string& token : {alice, bob}) {
    v1::MedicalProfile read;
    const grpc::Status got = Own(server, token, &read);
    INFO(got.error_message());
    REQUIRE(got.ok());
    CHECK(SameContents(read, Profile()));
  }
  // A server given the wrong key file still serves, and says which key a
  // profile needs.
  server.Restart([&] {
    WriteMedicalKeyFile(server.medical_key_path(), {{"test-1", kTestMedicalKey}});
  });
  v1::MedicalProfile read;
  const grpc::Status wrong = Own(server, alice, &read);
  CHECK(wrong.error_code() == Code::FAILED_PRECONDITION);
  CHECK(wrong.error_message().find("\"test-2\"") != std::string::npos);
  v1::Case opened;
  CHECK(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("still-serving"), &opened).ok());
}

TEST_CASE("maydayd refuses a medical key file that is unsafe or malformed") {
  TempDir dir;
  const std::string path = (dir.path() / "keys").string();
  struct KeyFileCase {
    const char* what;
    std::string text;
    std::filesystem::perms perms;
    absl::StatusCode code;
    const char* says;
  };
  const auto owner = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;
  const std::string good = absl::StrCat("k1 ", kTestMedicalKey, "\n");
  const std::vector<KeyFileCase> cases = {
      {"readable by others", good, owner | std::filesystem::perms::others_read,
       absl::StatusCode::kInvalidArgument, "chmod 600"},
      {"readable by the group", good, owner | std::filesystem::perms::group_read,
       absl::StatusCode::kInvalidArgument, "chmod 600"},
      {"no key", "# nothing yet\n", owner, absl::StatusCode::kInvalidArgument, "lists no key"},
      {"missing", "", std::filesystem::perms::none, absl::StatusCode::kInvalidArgument,
       "cannot open"},
      {"short key", "k1 0011\n", owner, absl::StatusCode::kInvalidArgument, "64 hex digits"},
      {"not hex", absl::StrCat("k1 ", std::string(64, 'g'), "\n"), owner,
       absl::StatusCode::kInvalidArgument, "64 hex digits"},
      {"bad id", absl::StrCat("k/1 ", kTestMedicalKey, "\n"), owner,
       absl::StatusCode::kInvalidArgument, "line 1"},
      {"id twice", good + good, owner, absl::StatusCode::kInvalidArgument, "listed twice"},
      {"three words", absl::StrCat("k1 ", kTestMedicalKey, " extra\n"), owner,
       absl::StatusCode::kInvalidArgument, "ID HEX"},
  };
  for (const KeyFileCase& c : cases) {
    DYNAMIC_SECTION(c.what) {
      std::filesystem::remove(path);
      if (c.perms != std::filesystem::perms::none) {
        {
          std::ofstream out(path, std::ios::trunc);
          out << c.text;
        }
        std::filesystem::permissions(path, c.perms);
      }
      server::ServerOptions options;
      options.listen_address = "127.0.0.1:0";
      options.db_path = (dir.path() / "mayday.db").string();
      options.medical_key_file = path;
      auto started = server::Server::Start(options);
      REQUIRE_FALSE(started.ok());
      CHECK(started.status().code() == c.code);
      INFO(started.status().message());
      CHECK(std::string(started.status().message()).find(c.says) != std::string::npos);
    }
  }
}

TEST_CASE("A bad medical profile is refused, naming the field, and changes nothing") {
  TestServer server;
  const std::string alice = server.Token("member", "alice");
  REQUIRE(Store(server, alice, Profile()).ok());
  using Edit = std::function<void(v1::MedicalProfile&)>;
  struct Row {
    const char* what;
    Edit edit;
    const char* field;
  };
  const std::vector<Row> rows = {
      {"an empty allergy", [](v1::MedicalProfile& p) { p.add_allergies(""); }, "allergies[1]"},
      {"51 conditions",
       [](v1::MedicalProfile& p) {
         for (int i = 0; i < 50; ++i) p.add_conditions("c");
       },
       "conditions"},
      {"a 201-byte allergy", [](v1::MedicalProfile& p) { p.add_allergies(std::string(201, 'a')); },
       "allergies[1]"},
      {"a control character", [](v1::MedicalProfile& p) { p.add_conditions("asthma\x1b[2J"); },
       "conditions[1]"},
      {"a line break in an entry", [](v1::MedicalProfile& p) { p.add_allergies("nuts\neggs"); },
       "allergies[1]"},
      {"a medication without a name",
       [](v1::MedicalProfile& p) { p.add_medications()->set_dose("5 mg"); }, "medications[1].name"},
      {"an unknown blood group",
       [](v1::MedicalProfile& p) {
         p.set_blood_group(static_cast<v1::MedicalProfile::BloodGroup>(42));
       },
       "blood_group"},
      {"a phone without +",
       [](v1::MedicalProfile& p) { p.mutable_emergency_contacts(0)->set_phone("07700900123"); },
       "emergency_contacts[0].phone"},
      {"a phone with spaces",
       [](v1::MedicalProfile& p) { p.mutable_emergency_contacts(0)->set_phone("+44 7700 900123"); },
       "emergency_contacts[0].phone"},
      {"a contact without a name",
       [](v1::MedicalProfile& p) { p.add_emergency_contacts()->set_phone("+31612345678"); },
       "emergency_contacts[1].name"},
      {"11 contacts",
       [](v1::MedicalProfile& p) {
         for (int i = 0; i < 10; ++i) {
           auto* c = p.add_emergency_contacts();
           c->set_name("n");
           c->set_phone("+31612345678");
         }
       },
       "emergency_contacts"},
      {"a 2001-byte note", [](v1::MedicalProfile& p) { p.set_note(std::string(2001, 'n')); },
       "note"},
  };
  for (const Row& row : rows) {
    DYNAMIC_SECTION(row.what) {
      v1::MedicalProfile bad = Profile();
      row.edit(bad);
      const grpc::Status refused = Store(server, alice, bad);
      INFO(refused.error_message());
      CHECK(refused.error_code() == Code::INVALID_ARGUMENT);
      CHECK(refused.error_message().rfind(row.field, 0) == 0);
      CHECK(refused.error_message().find(kAllergy) == std::string::npos);
      v1::MedicalProfile kept;
      REQUIRE(Own(server, alice, &kept).ok());
      CHECK(SameContents(kept, Profile()));
    }
  }
  SECTION("no profile at all") {
    v1::UpdateMedicalProfileRequest empty;
    v1::MedicalProfile out;
    CHECK(server.Alerts()->UpdateMedicalProfile(Call(alice).get(), empty, &out).error_code() ==
          Code::INVALID_ARGUMENT);
  }
}

TEST_CASE("Without a medical key file the medical profile calls say why they cannot serve") {
  TestServer server([](server::ServerOptions& options) { options.medical_key_file.clear(); });
  const std::string alice = server.Token("member", "alice");
  v1::MedicalProfile out;
  const grpc::Status put = Store(server, alice, Profile(), &out);
  CHECK(put.error_code() == Code::FAILED_PRECONDITION);
  CHECK(put.error_message().find("--medical-key-file") != std::string::npos);
  CHECK(Own(server, alice, &out).error_code() == Code::FAILED_PRECONDITION);
  google::protobuf::Empty empty;
  CHECK(server.Alerts()
            ->DeleteMedicalProfile(Call(alice).get(), v1::DeleteMedicalProfileRequest(), &empty)
            .error_code() == Code::FAILED_PRECONDITION);
  CHECK(ForDesk(server, server.Token("operator", "olga"), "members/alice/medicalProfile", &out)
            .error_code() == Code::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace mayday::testing

namespace mayday::testing {
namespace {

TEST_CASE("CAP and EIDO exports of a medical case never carry the member's profile") {
  TestServer server;
  const std::string alice = server.Token("member", "alice");
  REQUIRE(Store(server, alice, Profile()).ok());
  Crew crew(server, "amb-1");
  REQUIRE(crew.GoOnDuty(v1::CAPABILITY_AMBULANCE, 52.3700, 4.8950).ok());
  crew.Subscribe();
  v1::Case opened;
  REQUIRE(server.Alerts()
              ->RaiseAlert(Call(alice).get(), Alert("medical-cap", v1::CASE_KIND_MEDICAL), &opened)
              .ok());
  REQUIRE(crew.NextOffer().has_value());
  REQUIRE(crew.Accept(opened.name()).ok());
  // The crew read the profile: it is on the case's audit trail, not in it.
  v1::GetCaseMedicalProfileRequest read;
  read.set_case_(opened.name());
  v1::MedicalProfile seen;
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + crew.token());
  REQUIRE(crew.stub().GetCaseMedicalProfile(&context, read, &seen).ok());

  v1::GetCaseRequest get;
  get.set_name(opened.name());
  v1::Case stored;
  REQUIRE(
      server.Operators()->GetCase(Call(server.Token("operator", "olga")).get(), get, &stored).ok());
  const absl::StatusOr<std::string> cap = exports::CaseToCap(stored);
  REQUIRE(cap.ok());
  CHECK(cap->find("Medical emergency") != std::string::npos);
  CHECK(cap->find("responders/amb-1") != std::string::npos);
  // Nor the EIDO, with the whole timeline (the crew's read included).
  v1::ListCaseEventsRequest list;
  list.set_parent(opened.name());
  v1::ListCaseEventsResponse events;
  REQUIRE(server.Operators()
              ->ListCaseEvents(Call(server.Token("operator", "olga")).get(), list, &events)
              .ok());
  const std::vector<v1::CaseEvent> timeline(events.events().begin(), events.events().end());
  const absl::StatusOr<std::string> eido =
      exports::CaseToEido(stored, timeline, {{"responders/amb-1", {v1::CAPABILITY_AMBULANCE}}});
  REQUIRE(eido.ok());
  CHECK(eido->find("GroundBLSAmbulance") != std::string::npos);
  for (const char* secret : {kAllergy, kCondition, kMedication, kContact, kPhone, kNote}) {
    INFO(secret);
    CHECK(cap->find(secret) == std::string::npos);
    CHECK(eido->find(secret) == std::string::npos);
  }
}

}  // namespace
}  // namespace mayday::testing
