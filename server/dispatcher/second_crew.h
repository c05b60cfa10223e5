// Which cases get a second crew when the crew coming to them stalls: the
// server's --stall-second-crew policy (docs/dispatch.md says why medical is
// the default).
#ifndef MAYDAY_SERVER_DISPATCHER_SECOND_CREW_H_
#define MAYDAY_SERVER_DISPATCHER_SECOND_CREW_H_

#include <map>
#include <string>

namespace mayday::server {

enum class SecondCrewPolicy { kNever, kMedical, kAlways };

// The flag's words for each policy, for CLI11's transform.
inline std::map<std::string, SecondCrewPolicy> SecondCrewPolicyNames() {
  return {{"never", SecondCrewPolicy::kNever},
          {"medical", SecondCrewPolicy::kMedical},
          {"always", SecondCrewPolicy::kAlways}};
}

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_DISPATCHER_SECOND_CREW_H_
