// A fleet's tracking feed as a benchmark; see fleet_feed.h.
#include "sim/fleet_feed.h"

#include <algorithm>
#include <memory>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "mayday/v1/fleet_service.grpc.pb.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;

// Batches each stream cycles through (the crews a little further on in
// each): building one costs the client more than sending it.
constexpr int kBatchesPerStream = 16;

struct StreamOutcome {
  absl::Status status;
  int64_t accepted = 0, skipped = 0, sent = 0;
};

// One stream's batches: crew i of the fleet goes in stream i % streams.
std::vector<v1::ReportPositionsRequest> MakeBatches(const FleetFeedOptions& o, int stream) {
  std::mt19937_64 random(o.seed * 7919 + static_cast<uint64_t>(stream));
  std::vector<std::string> names;
  std::vector<LatLng> at;
  for (int crew = stream; crew < o.crews; crew += o.streams) {
    names.push_back(absl::StrCat("responders/", o.prefix, "-", crew + 1));
    at.push_back(RandomPointWithin(o.center, o.radius_meters, random));
  }
  std::vector<v1::ReportPositionsRequest> batches(kBatchesPerStream);
  size_t next = 0;
  for (v1::ReportPositionsRequest& batch : batches) {
    for (int i = 0; i < o.batch && !names.empty(); ++i, next = (next + 1) % names.size()) {
      at[next] = RandomPointWithin(at[next], 30, random);  // a few seconds' drive
      v1::FleetPosition* position = batch.add_positions();
      position->set_responder(names[next]);
      position->mutable_location()->set_latitude(at[next].latitude);
      position->mutable_location()->set_longitude(at[next].longitude);
      position->mutable_location()->set_horizontal_accuracy_meters(8);
    }
  }
  return batches;
}

StreamOutcome Feed(const FleetFeedOptions& o, const std::shared_ptr<grpc::Channel>& channel,
                   std::vector<v1::ReportPositionsRequest> batches, absl::Time start,
                   absl::Time end) {
  StreamOutcome out;
  v1::FleetService::Stub stub(channel);
  grpc::ClientContext context;
  PrepareContext(&context, o.fleet_token, absl::ZeroDuration());
  v1::ReportPositionsResponse summary;
  std::unique_ptr<grpc::ClientWriter<v1::ReportPositionsRequest>> writer =
      stub.ReportPositions(&context, &summary);
  // This stream's share of the rate, in batches.
  const absl::Duration period = absl::Seconds(o.batch * o.streams / o.rate);
  absl::Time due = start;
  size_t next = 0;
  while (true) {
    const absl::Time now = absl::Now();
    if (now >= end) break;
    if (now < due) {
      absl::SleepFor(std::min(due, end) - now);
      continue;
    }
    const v1::ReportPositionsRequest& batch = batches[next++ % batches.size()];
    if (!writer->Write(batch)) break;  // the server ended the stream: Finish says why
    out.sent += batch.positions_size();
    // Behind by more than a batch: skip the turns missed.
    due = std::max(due + period, absl::Now() - period);
  }
  writer->WritesDone();
  const grpc::Status status = writer->Finish();
  if (!status.ok()) {
    out.status = absl::UnavailableError(
        absl::StrCat("ReportPositions ended: ", DescribeStatus(FromGrpc(status))));
  }
  out.accepted = summary.accepted_count();
  out.skipped = summary.skipped_count();
  return out;
}

}  // namespace

absl::StatusOr<FleetFeedResult> RunFleetFeed(const FleetFeedOptions& o) {
  if (o.fleet_token.empty()) return absl::InvalidArgumentError("no fleet token");
  if (o.prefix.empty() || o.crews < 1) {
    return absl::InvalidArgumentError("--crews is PREFIX:COUNT, COUNT at least 1");
  }
  if (o.batch < 1 || o.batch > 1000) {
    return absl::InvalidArgumentError("--batch is 1 to 1000 positions");
  }
  if (o.streams < 1 || o.streams > 64) return absl::InvalidArgumentError("--streams is 1 to 64");
  if (!(o.rate > 0)) return absl::InvalidArgumentError("--rate must be positive");
  if (o.crews < o.streams) return absl::InvalidArgumentError("fewer crews than streams");
  std::vector<std::vector<v1::ReportPositionsRequest>> batches;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int s = 0; s < o.streams; ++s) {
    batches.push_back(MakeBatches(o, s));
    // A connection per stream: one HTTP/2 connection is one server thread's
    // reads at a time.
    ServerOptions server = o.server;
    grpc::ChannelArguments args = ChannelArgumentsFor(server);
    args.SetInt("mayday.fleet_stream", s);  // distinct arguments: distinct connections
    auto credentials = ChannelCredentialsFor(server);
    if (!credentials.ok()) return credentials.status();
    auto target = GrpcTarget(server);
    if (!target.ok()) return target.status();
    channels.push_back(grpc::CreateCustomChannel(*target, *credentials, args));
  }
  const absl::Time start = absl::Now();
  const absl::Time end = start + o.duration;
  std::vector<StreamOutcome> outcomes(o.streams);
  std::vector<std::thread> threads;
  for (int s = 0; s < o.streams; ++s) {
    threads.emplace_back(
        [&, s] { outcomes[s] = Feed(o, channels[s], std::move(batches[s]), start, end); });
  }
  for (std::thread& t : threads) t.join();
  FleetFeedResult result;
  result.took = absl::Now() - start;
  for (const StreamOutcome& out : outcomes) {
    if (!out.status.ok()) return out.status;
    result.accepted += out.accepted;
    result.skipped += out.skipped;
    result.sent += out.sent;
  }
  return result;
}

}  // namespace mayday::tools
