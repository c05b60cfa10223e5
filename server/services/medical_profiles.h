// Members' medical profiles: the member replaces, reads and deletes its own
// (AlertService), the crew assigned to the member's open MEDICAL case reads
// it while the case is assigned to it (ResponderService), a care agent reads
// any (OperatorService). Profiles are sealed before they are stored
// (medical/profile_keys.h) and opened only to answer one of these calls;
// every read by someone other than the member is audited
// ("medical_profile.read", naming the member, never the contents). Nothing
// here logs a profile.
#ifndef MAYDAY_SERVER_SERVICES_MEDICAL_PROFILES_H_
#define MAYDAY_SERVER_SERVICES_MEDICAL_PROFILES_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "auth/token.h"
#include "mayday/v1/resources.pb.h"
#include "services/service_context.h"

namespace mayday::server {

// The member's own profile. NOT_FOUND if it keeps none.
absl::StatusOr<mayday::v1::MedicalProfile> GetOwnMedicalProfile(const ServiceContext& services,
                                                                const Principal& member);

// Validates `profile`, seals it and stores it as the member's, durably,
// with an audit row ("member.medical_profile.replace"). Returns it as
// stored (name and update_time set).
absl::StatusOr<mayday::v1::MedicalProfile> ReplaceOwnMedicalProfile(
    const ServiceContext& services, const Principal& member,
    const mayday::v1::MedicalProfile& profile);

// Removes the member's profile, durably, with an audit row
// ("member.medical_profile.delete") if there was one. OK if none.
absl::Status DeleteOwnMedicalProfile(const ServiceContext& services, const Principal& member);

// The profile of the member of case `case_name` for `crew`: NOT_FOUND
// unless the case is assigned to the crew; PERMISSION_DENIED for a ROAD
// case or a case no longer ASSIGNED, EN_ROUTE or ON_SCENE.
absl::StatusOr<mayday::v1::MedicalProfile> ReadMedicalProfileForCrew(const ServiceContext& services,
                                                                     const Principal& crew,
                                                                     const std::string& case_name);

// The profile named `name` ("members/{id}/medicalProfile") for a care agent.
absl::StatusOr<mayday::v1::MedicalProfile> ReadMedicalProfileForDesk(const ServiceContext& services,
                                                                     const Principal& agent,
                                                                     const std::string& name);

// The keys in the file at `path` (medical/profile_keys.h); null if `path` is
// empty (the server keeps no profiles). INVALID_ARGUMENT, saying why, for a
// file that cannot be used: a usage error (maydayd exits 2).
absl::StatusOr<std::unique_ptr<ProfileKeys>> OpenMedicalKeys(const std::string& path);

// After a key rotation, at start: ResealMedicalProfiles, logged. A profile
// the key file cannot open is reported and left; the rest is served.
void ResealAtStart(const ServiceContext& services);

// Re-seals, with the key file's first key, every profile sealed with
// another (after a key rotation; see docs/operators.md). Returns how many
// it re-sealed; FAILED_PRECONDITION naming the key if a profile is sealed
// with a key the file lacks. A profile replaced meanwhile is left as the
// member wrote it.
absl::StatusOr<int> ResealMedicalProfiles(const ServiceContext& services);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_SERVICES_MEDICAL_PROFILES_H_
