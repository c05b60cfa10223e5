// Members' medical profiles; see medical_profiles.h.
#include "services/medical_profiles.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/names.h"
#include "api/proto_time.h"
#include "log/log.h"
#include "medical/profile_rules.h"
#include "services/audit_trail.h"

namespace mayday::server {
namespace {

using mayday::v1::MedicalProfile;

absl::StatusOr<const ProfileKeys*> KeysOf(const ServiceContext& services) {
  if (services.medical_keys == nullptr) {
    return absl::FailedPreconditionError(
        "this server keeps no medical profiles: its operator starts maydayd without "
        "--medical-key-file");
  }
  return services.medical_keys;
}

// The stored profile of `member`, opened and named; NOT_FOUND if none.
absl::StatusOr<MedicalProfile> OpenProfileOf(const ServiceContext& services,
                                             const std::string& member) {
  absl::StatusOr<const ProfileKeys*> keys = KeysOf(services);
  if (!keys.ok()) return keys.status();
  absl::StatusOr<std::optional<StoredProfile>> stored = services.store->GetProfile(member);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) {
    return absl::NotFoundError(absl::StrCat(member, " keeps no medical profile"));
  }
  absl::StatusOr<MedicalProfile> profile =
      (*keys)->Open(member, SealedBytes{(*stored)->key_id, (*stored)->sealed});
  if (!profile.ok()) return profile.status();
  profile->set_name(MedicalProfileName(member));
  *profile->mutable_update_time() = ToProtoTime((*stored)->update_time);
  return profile;
}

bool CrewMayRead(mayday::v1::CaseState state) {
  return state == mayday::v1::CASE_STATE_ASSIGNED || state == mayday::v1::CASE_STATE_EN_ROUTE ||
         state == mayday::v1::CASE_STATE_ON_SCENE;
}

}  // namespace

absl::StatusOr<MedicalProfile> GetOwnMedicalProfile(const ServiceContext& services,
                                                    const Principal& member) {
  absl::StatusOr<MedicalProfile> profile = OpenProfileOf(services, member.Name());
  if (absl::IsNotFound(profile.status())) {
    return absl::NotFoundError(
        "you keep no medical profile: UpdateMedicalProfile stores one (it is optional)");
  }
  return profile;
}

absl::StatusOr<MedicalProfile> ReplaceOwnMedicalProfile(const ServiceContext& services,
                                                        const Principal& member,
                                                        const MedicalProfile& profile) {
  absl::StatusOr<const ProfileKeys*> keys = KeysOf(services);
  if (!keys.ok()) return keys.status();
  if (auto s = ValidateMedicalProfile(profile); !s.ok()) return s;
  const std::string name = member.Name();
  MedicalProfile kept = profile;
  kept.clear_name();
  kept.clear_update_time();
  absl::StatusOr<SealedBytes> sealed = (*keys)->Seal(name, kept);
  if (!sealed.ok()) return sealed.status();
  StoredProfile row{name, sealed->key_id, std::move(sealed->bytes), services.clock->Now()};
  AuditEntry audit =
      AuditOf(member, *services.clock, "member.medical_profile.replace", MedicalProfileName(name));
  absl::Status written = SubmitAndWait(*services.store, [&](WriteTxn& txn) -> absl::Status {
    if (auto s = txn.PutProfile(row); !s.ok()) return s;
    return txn.AppendAudit(audit);
  });
  if (!written.ok()) return written;
  kept.set_name(MedicalProfileName(name));
  *kept.mutable_update_time() = ToProtoTime(row.update_time);
  return kept;
}

absl::Status DeleteOwnMedicalProfile(const ServiceContext& services, const Principal& member) {
  if (auto keys = KeysOf(services); !keys.ok()) return keys.status();
  const std::string name = member.Name();
  AuditEntry audit =
      AuditOf(member, *services.clock, "member.medical_profile.delete", MedicalProfileName(name));
  return SubmitAndWait(*services.store, [&](WriteTxn& txn) -> absl::Status {
    absl::StatusOr<bool> deleted = txn.DeleteProfile(name);
    if (!deleted.ok()) return deleted.status();
    return *deleted ? txn.AppendAudit(audit) : absl::OkStatus();
  });
}

absl::StatusOr<MedicalProfile> ReadMedicalProfileForCrew(const ServiceContext& services,
                                                         const Principal& crew,
                                                         const std::string& case_name) {
  if (auto keys = KeysOf(services); !keys.ok()) return keys.status();
  absl::StatusOr<std::string> id = ParseCaseName("case", case_name);
  if (!id.ok()) return id.status();
  const std::string name = crew.Name();
  absl::StatusOr<mayday::v1::Case> found = services.store->GetCase(*id);
  // Either crew of the case (a second crew treats the member too).
  if ((found.ok() && found->responder() != name && found->second_responder() != name) ||
      absl::IsNotFound(found.status())) {
    return absl::NotFoundError(absl::StrCat(case_name, " is not assigned to ", name));
  }
  if (!found.ok()) return found.status();
  if (found->kind() != mayday::v1::CASE_KIND_MEDICAL) {
    return absl::PermissionDeniedError(absl::StrCat(
        case_name, " is a road case: only a medical case's crew reads the member's profile"));
  }
  if (!CrewMayRead(found->state())) {
    return absl::PermissionDeniedError(
        absl::StrCat(case_name,
                     " is closed: a crew reads the member's medical profile only while the case "
                     "is assigned to it"));
  }
  absl::StatusOr<MedicalProfile> profile = OpenProfileOf(services, found->member());
  if (!profile.ok()) return profile.status();
  // Reported by RecordRead if it fails; the crew is answered anyway (as a
  // care agent's reads are: the treatment must not wait for a full disk).
  RecordRead(*services.store, AuditOf(crew, *services.clock, "medical_profile.read",
                                      profile->name(), absl::StrCat("for ", case_name)))
      .IgnoreError();
  return profile;
}

absl::StatusOr<MedicalProfile> ReadMedicalProfileForDesk(const ServiceContext& services,
                                                         const Principal& agent,
                                                         const std::string& name) {
  if (auto keys = KeysOf(services); !keys.ok()) return keys.status();
  constexpr absl::string_view kSuffix = "/medicalProfile";
  if (!absl::EndsWith(name, kSuffix)) {
    return absl::InvalidArgumentError(
        absl::StrCat("name must be \"members/{member_id}/medicalProfile\", such as "
                     "\"members/m-17/medicalProfile\"; got \"",
                     name.substr(0, 120), "\""));
  }
  absl::string_view member = absl::string_view(name).substr(0, name.size() - kSuffix.size());
  absl::StatusOr<std::string> member_id = ParseSubjectName("name", member, kMembers);
  if (!member_id.ok()) return member_id.status();
  absl::StatusOr<MedicalProfile> profile = OpenProfileOf(services, MemberName(*member_id));
  if (!profile.ok()) return profile.status();
  RecordRead(*services.store,
             AuditOf(agent, *services.clock, "medical_profile.read", profile->name()))
      .IgnoreError();  // reported by RecordRead; the read is answered anyway
  return profile;
}

absl::StatusOr<std::unique_ptr<ProfileKeys>> OpenMedicalKeys(const std::string& path) {
  if (path.empty()) return nullptr;
  absl::StatusOr<ProfileKeys> keys = ProfileKeys::Load(path);
  if (!keys.ok()) return absl::InvalidArgumentError(keys.status().message());
  return std::make_unique<ProfileKeys>(*std::move(keys));
}

void ResealAtStart(const ServiceContext& services) {
  if (services.medical_keys == nullptr) return;
  const std::string& key = services.medical_keys->current_id();
  absl::StatusOr<int> resealed = ResealMedicalProfiles(services);
  if (!resealed.ok()) {
    LogError("medical_profiles_reseal", "medical profiles not all re-sealed with key %s: %s", key,
             resealed.status().message());
  } else if (*resealed > 0) {
    LogInfo("medical_profiles_reseal", "%d medical profiles re-sealed with key %s", *resealed, key);
  }
}

absl::StatusOr<int> ResealMedicalProfiles(const ServiceContext& services) {
  absl::StatusOr<const ProfileKeys*> keys = KeysOf(services);
  if (!keys.ok()) return keys.status();
  const std::string& current = (*keys)->current_id();
  int resealed = 0;
  while (true) {
    absl::StatusOr<std::vector<StoredProfile>> batch =
        services.store->ListProfilesNotSealedWith(current, 100);
    if (!batch.ok()) return batch.status();
    if (batch->empty()) return resealed;
    std::vector<StoredProfile> rows;
    for (const StoredProfile& old : *batch) {
      absl::StatusOr<MedicalProfile> profile =
          (*keys)->Open(old.member, SealedBytes{old.key_id, old.sealed});
      if (!profile.ok()) return profile.status();
      absl::StatusOr<SealedBytes> sealed = (*keys)->Seal(old.member, *profile);
      if (!sealed.ok()) return sealed.status();
      rows.push_back({old.member, sealed->key_id, std::move(sealed->bytes), old.update_time});
    }
    // One commit per batch; a row the member replaced or deleted meanwhile
    // is left as it is now.
    absl::Status written = SubmitAndWait(*services.store, [&](WriteTxn& txn) -> absl::Status {
      for (size_t i = 0; i < rows.size(); ++i) {
        absl::StatusOr<std::optional<StoredProfile>> now = txn.GetProfile(rows[i].member);
        if (!now.ok()) return now.status();
        if (!now->has_value() || (*now)->sealed != (*batch)[i].sealed) continue;
        if (auto s = txn.PutProfile(rows[i]); !s.ok()) return s;
      }
      return absl::OkStatus();
    });
    if (!written.ok()) return written;
    resealed += static_cast<int>(rows.size());
  }
}

}  // namespace mayday::server
