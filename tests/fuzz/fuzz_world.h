// The world the RPC harnesses fuzz: one maydayd started once per process
// (temp database under $TMPDIR, 127.0.0.1:0), callers with tokens, and a
// generation of fixture cases in known states that an input names with
// "@<letter>", so that mutations reach the handlers past "not found":
//
//   @e  member A's case, escalated (medical, no ambulance on duty)
//   @b  member B's case, escalated
//   @o  member B's road case, offered to responder 2 (who has not answered)
//   @s  member A's case, assigned to responder 1
//   @r  member A's case, resolved by a care agent
//   @c  member A's case, cancelled by A
//   @1 @2 @3  the responders' names (3 is on duty and free); all three are
//             crews of the fleet "fz" (ids "fz-g<generation>-r<n>")
//   @w  a webhook endpoint at https://192.0.2.1/ (a documentation address:
//       every delivery is refused before a packet leaves, and retried), made
//       again by a rebuild if an input removed it
//
// Any string field of a request that starts with '@' has its first two
// characters replaced by the name ("@s/x" becomes "cases/<id>/x"; an
// unknown letter means @e). When a call that changes state succeeds, the
// world is rebuilt (a new generation, at a new spot on the map, with new
// responders) before a later input, at most every kRebuildEvery inputs.
#ifndef MAYDAY_TESTS_FUZZ_FUZZ_WORLD_H_
#define MAYDAY_TESTS_FUZZ_FUZZ_WORLD_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "crew.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "mayday/v1/resources.pb.h"
#include "test_server.h"

namespace mayday::fuzz {

// Who makes a call. Responders are those of the current generation.
enum class Caller {
  kMemberA,
  kMemberB,
  kResponder1,
  kResponder2,
  kOperator,
  kAdmin,
  kNoToken,
  kBadToken,  // well-formed, but issued by nobody
  kFleet,     // the fleet "fz", whose crews are every generation's responders
};

// A harness's table of the 8 callers byte 1 picks from (see fuzz_input.h).
using CallerTable = std::array<Caller, 8>;

class World {
 public:
  // Inputs between two rebuilds, at least.
  static constexpr int kRebuildEvery = 256;

  // The world of this process, started on first use; never destroyed (the
  // fuzzer ends the process with exit()). Aborts if the server won't start.
  static World& Get();

  // The token `caller` sends ("" for kNoToken).
  std::string Token(Caller caller) const;
  // The name a successful call's result carries for `caller`
  // ("members/fz-a-g7", "responders/fz-g7-r1", ...); "" for no/bad token.
  std::string Name(Caller caller) const;

  // Replaces the "@x" prefixes in every string field of `message`,
  // recursively.
  void Substitute(google::protobuf::Message* message) const;
  // The name "@x" stands for now (see the file comment).
  std::string Resolve(char letter) const;

  // Called by a harness after a state-changing call succeeded.
  void MarkChanged() { changed_ = true; }
  // Called at the start of each input: rebuilds the fixtures if a change
  // was marked and kRebuildEvery inputs passed since the last build.
  void BeforeInput();

  // The stored case with this name, if it parses and exists.
  std::optional<mayday::v1::Case> StoredCase(const std::string& name);

  std::shared_ptr<grpc::Channel> channel() const { return channel_; }

 private:
  World();
  void Build();

  testing::TestServer server_;
  std::shared_ptr<grpc::Channel> channel_;
  // Tokens, and member A's and B's subjects: new members each generation
  // (a member has one open case of each kind, and the old generation's
  // cases stay open).
  std::string member_a_, member_b_, operator_, admin_, fleet_;
  std::string member_a_subject_, member_b_subject_;
  int generation_ = 0;
  std::unique_ptr<testing::Crew> crews_[3];
  // Case names of @e @b @o @s @r @c, in that order.
  std::array<std::string, 6> cases_;
  std::string webhook_;  // @w
  bool changed_ = false;
  int inputs_since_build_ = 0;
};

}  // namespace mayday::fuzz

#endif  // MAYDAY_TESTS_FUZZ_FUZZ_WORLD_H_
