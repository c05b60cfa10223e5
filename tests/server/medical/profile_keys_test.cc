// Sealing medical profiles (medical/profile_keys.h): what opens, what does
// not, and the key file's rules. And the limits of a profile.
#include "medical/profile_keys.h"

#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "medical/profile_rules.h"

namespace mayday::server {
namespace {

constexpr char kKey1[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
constexpr char kKey2[] = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

mayday::v1::MedicalProfile Sample() {
  mayday::v1::MedicalProfile profile;
  profile.add_allergies("penicillin");
  profile.set_note("pacemaker");
  return profile;
}

ProfileKeys Keys(const std::string& text) {
  auto keys = ProfileKeys::Parse(text);
  REQUIRE(keys.ok());
  return *std::move(keys);
}

TEST_CASE("A sealed profile opens for its member only, and only unaltered") {
  const ProfileKeys keys = Keys(absl::StrCat("# keys\n\nk1 ", kKey1, "\n"));
  auto sealed = keys.Seal("members/ann", Sample());
  REQUIRE(sealed.ok());
  CHECK(sealed->key_id == "k1");
  CHECK(sealed->bytes.find("penicillin") == std::string::npos);
  auto opened = keys.Open("members/ann", *sealed);
  REQUIRE(opened.ok());
  CHECK(opened->allergies(0) == "penicillin");
  // Two seals of the same profile differ (a fresh nonce each).
  auto again = keys.Seal("members/ann", Sample());
  REQUIRE(again.ok());
  CHECK(again->bytes != sealed->bytes);

  CHECK(absl::IsDataLoss(keys.Open("members/ben", *sealed).status()));
  for (size_t i = 0; i < sealed->bytes.size(); i += 7) {
    SealedBytes altered = *sealed;
    altered.bytes[i] = static_cast<char>(altered.bytes[i] ^ 0x01);
    INFO("byte " << i);
    CHECK_FALSE(keys.Open("members/ann", altered).ok());
  }
  SealedBytes cut = *sealed;
  cut.bytes.resize(10);
  CHECK(absl::IsDataLoss(keys.Open("members/ann", cut).status()));
  SealedBytes relabelled = *sealed;
  relabelled.key_id = "k2";
  auto unknown = keys.Open("members/ann", relabelled);
  CHECK(absl::IsFailedPrecondition(unknown.status()));
  CHECK(std::string(unknown.status().message()).find("\"k2\"") != std::string::npos);
}

TEST_CASE("The first key seals, every key opens") {
  const ProfileKeys old_only = Keys(absl::StrCat("k1 ", kKey1));
  const ProfileKeys both = Keys(absl::StrCat("k2 ", kKey2, "\nk1 ", kKey1));
  auto old_seal = old_only.Seal("members/ann", Sample());
  REQUIRE(old_seal.ok());
  CHECK(both.current_id() == "k2");
  CHECK(both.Open("members/ann", *old_seal).ok());
  auto new_seal = both.Seal("members/ann", Sample());
  REQUIRE(new_seal.ok());
  CHECK(new_seal->key_id == "k2");
  CHECK(absl::IsFailedPrecondition(old_only.Open("members/ann", *new_seal).status()));
  // Same id, another key: the seal does not open.
  const ProfileKeys impostor = Keys(absl::StrCat("k1 ", kKey2));
  CHECK(absl::IsDataLoss(impostor.Open("members/ann", *old_seal).status()));
}

TEST_CASE("Profile limits name the field") {
  struct Row {
    const char* what;
    std::function<void(mayday::v1::MedicalProfile&)> edit;
    const char* starts;  // "" for OK
  };
  const std::vector<Row> rows = {
      {"the sample", [](auto&) {}, ""},
      {"an empty profile", [](auto& p) { p.Clear(); }, ""},
      {"200-byte entry", [](auto& p) { p.add_conditions(std::string(200, 'c')); }, ""},
      {"UTF-8 entry", [](auto& p) { p.add_conditions("Zöliakie"); }, ""},
      {"201-byte entry", [](auto& p) { p.add_conditions(std::string(201, 'c')); }, "conditions[0]"},
      {"50 allergies",
       [](auto& p) {
         for (int i = 1; i < 50; ++i) p.add_allergies("a");
       },
       ""},
      {"51 allergies",
       [](auto& p) {
         for (int i = 0; i < 50; ++i) p.add_allergies("a");
       },
       "allergies"},
      {"a tab in an entry", [](auto& p) { p.add_allergies("a\tb"); }, "allergies[1]"},
      {"a newline in the note", [](auto& p) { p.set_note("line one\nline two"); }, ""},
      {"a bell in the note", [](auto& p) { p.set_note("ring\a"); }, "note"},
      {"the shortest phone",
       [](auto& p) {
         auto* c = p.add_emergency_contacts();
         c->set_name("a");
         c->set_phone("+12345678");
       },
       ""},
      {"a phone too short",
       [](auto& p) {
         auto* c = p.add_emergency_contacts();
         c->set_name("a");
         c->set_phone("+1234567");
       },
       "emergency_contacts[0].phone"},
      {"a phone too long",
       [](auto& p) {
         auto* c = p.add_emergency_contacts();
         c->set_name("a");
         c->set_phone("+1234567890123456");
       },
       "emergency_contacts[0].phone"},
      {"a phone starting +0",
       [](auto& p) {
         auto* c = p.add_emergency_contacts();
         c->set_name("a");
         c->set_phone("+0123456789");
       },
       "emergency_contacts[0].phone"},
  };
  for (const Row& row : rows) {
    INFO(row.what);
    mayday::v1::MedicalProfile profile = Sample();
    row.edit(profile);
    const absl::Status status = ValidateMedicalProfile(profile);
    if (std::string(row.starts).empty()) {
      CHECK(status.ok());
    } else {
      CHECK(absl::IsInvalidArgument(status));
      CHECK(std::string(status.message()).rfind(row.starts, 0) == 0);
    }
  }
}

}  // namespace
}  // namespace mayday::server
