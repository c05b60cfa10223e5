// libFuzzer harness: the SDK's reading of a WatchCase stream, through the C
// ABI an app uses (mayday_watch_start: watch_impl's resume and duplicate
// dropping, c_api's event conversion, event_text's descriptions). A scripted
// AlertService on 127.0.0.1 streams the input's events:
//
//   byte 0    how the stream ends: status code byte 0 % 17
//   byte 1    bits 3-6: the watch's after_sequence (0..15); bit 7: text format
//   payload   a ListCaseEventsResponse whose events are streamed in order
//
// A second WatchCase call (the SDK reconnecting) is refused with
// FAILED_PRECONDITION, which ends the watch. Checked: exactly the events a
// resuming client must deliver (sequence above the last delivered, up to
// the first terminal one), each once and in order, with the event's own
// fields; the reconnect resumes from the last delivered sequence; the end
// callback comes once, last, with the status the contract names.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "fuzz_input.h"
#include "grpc_status.h"
#include "grpcpp/grpcpp.h"
#include "mayday/mayday.h"
#include "mayday/sdk/event_text.h"
#include "mayday/v1/alert_service.grpc.pb.h"
#include "mayday/v1/operator_service.pb.h"
#include "watch_impl.h"

namespace {

namespace v1 = mayday::v1;
constexpr char kHarness[] = "sdk_watch_fuzz";
constexpr char kCase[] = "cases/fz";

// Writes `events`, then finishes with `end`.
class ScriptedStream final : public grpc::ServerWriteReactor<v1::CaseEvent> {
 public:
  ScriptedStream(std::vector<v1::CaseEvent> events, grpc::Status end)
      : events_(std::move(events)), end_(std::move(end)) {
    WriteNext();
  }

 private:
  void WriteNext() {
    if (next_ < events_.size()) {
      StartWrite(&events_[next_++]);
    } else {
      Finish(end_);
    }
  }
  void OnWriteDone(bool ok) override {
    if (ok) {
      WriteNext();
    } else {
      Finish(grpc::Status::CANCELLED);  // the client went away
    }
  }
  void OnDone() override { delete this; }

  std::vector<v1::CaseEvent> events_;
  grpc::Status end_;
  size_t next_ = 0;
};

// Answers the first WatchCase after SetScript with the script, any later
// one with FAILED_PRECONDITION; records each call's after_sequence.
class ScriptedService final : public v1::AlertService::CallbackService {
 public:
  void SetScript(std::vector<v1::CaseEvent> events, grpc::Status end) {
    absl::MutexLock lock(&mu_);
    events_ = std::move(events);
    end_ = std::move(end);
    after_sequences_.clear();
  }
  std::vector<int64_t> after_sequences() {
    absl::MutexLock lock(&mu_);
    return after_sequences_;
  }

  grpc::ServerWriteReactor<v1::CaseEvent>* WatchCase(grpc::CallbackServerContext*,
                                                     const v1::WatchCaseRequest* request) override {
    absl::MutexLock lock(&mu_);
    after_sequences_.push_back(request->after_sequence());
    if (after_sequences_.size() == 1) return new ScriptedStream(events_, end_);
    return new ScriptedStream(
        {}, grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "the script is over"));
  }

 private:
  absl::Mutex mu_;
  std::vector<v1::CaseEvent> events_ ABSL_GUARDED_BY(mu_);
  grpc::Status end_ ABSL_GUARDED_BY(mu_);
  std::vector<int64_t> after_sequences_ ABSL_GUARDED_BY(mu_);
};

// What the watch's C callbacks saw.
struct Seen {
  std::vector<int64_t> sequences;
  std::vector<std::string> descriptions, case_names;
  int ends = 0;
  bool event_after_end = false;
  mayday_status end = MAYDAY_OK;
};

void OnEvent(const mayday_event* event, void* user) {
  auto* seen = static_cast<Seen*>(user);
  if (seen->ends > 0) seen->event_after_end = true;
  seen->sequences.push_back(event->sequence);
  seen->descriptions.push_back(event->description);
  seen->case_names.push_back(event->case_name);
}

void OnEnd(mayday_status status, const char*, void* user) {
  auto* seen = static_cast<Seen*>(user);
  ++seen->ends;
  seen->end = status;
}

struct Fixture {
  ScriptedService service;
  std::unique_ptr<grpc::Server> server;
  mayday_client* client = nullptr;
};

Fixture& GetFixture() {
  static Fixture* fixture = [] {
    auto* f = new Fixture;
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&f->service);
    f->server = builder.BuildAndStart();
    if (f->server == nullptr || port == 0) mayday::fuzz::Fail(kHarness, "cannot start the fake");
    const std::string address = absl::StrCat("127.0.0.1:", port);
    mayday_client_options options{};
    options.struct_size = sizeof(options);
    options.server = address.c_str();
    options.token = "mdy_fuzz";
    options.initial_backoff_ms = 1;
    options.max_backoff_ms = 1;
    if (mayday_client_create(&options, &f->client) != MAYDAY_OK) {
      mayday::fuzz::Fail(kHarness, "mayday_client_create failed");
    }
    return f;
  }();
  return *fixture;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  mayday::fuzz::QuietLibraries();
  GetFixture();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto input = mayday::fuzz::SplitInput(data, size);
  if (!input.has_value()) return 0;
  v1::ListCaseEventsResponse script;
  if (!mayday::fuzz::ParsePayload(*input, &script)) return 0;
  const auto code = static_cast<grpc::StatusCode>(input->selector % 17);
  const grpc::Status end =
      code == grpc::StatusCode::OK ? grpc::Status::OK : grpc::Status(code, "scripted end");
  const int64_t after_sequence = input->number;

  // What a resuming client must deliver, and how the watch must end.
  std::vector<const v1::CaseEvent*> expected;
  int64_t last = after_sequence;
  bool terminal = false;
  for (const v1::CaseEvent& event : script.events()) {
    // Any event, delivered or not, has a one-line text.
    const std::string line = mayday::sdk::FormatEventLine(event);
    if (line.rfind(absl::StrCat("#", event.sequence(), " "), 0) != 0) {
      mayday::fuzz::Fail(kHarness, "FormatEventLine does not start with the sequence", &event);
    }
    if (terminal || event.sequence() <= last) continue;
    expected.push_back(&event);
    last = event.sequence();
    terminal = mayday::sdk::internal::IsTerminalState(event.state());
  }
  mayday_status expected_end = MAYDAY_OK;
  if (!terminal) {
    expected_end = !end.ok() && !mayday::sdk::internal::IsTransientStreamError(code)
                       ? static_cast<mayday_status>(code)
                       : MAYDAY_FAILED_PRECONDITION;
  }

  Fixture& fixture = GetFixture();
  fixture.service.SetScript({script.events().begin(), script.events().end()}, end);
  Seen seen;
  mayday_watch* watch = nullptr;
  if (mayday_watch_start(fixture.client, kCase, after_sequence, &OnEvent, &OnEnd, &seen, &watch) !=
      MAYDAY_OK) {
    mayday::fuzz::Fail(kHarness, "mayday_watch_start refused a valid watch");
  }
  if (mayday_watch_wait(watch, 30'000) != 1) mayday::fuzz::Fail(kHarness, "the watch never ended");
  mayday_watch_destroy(watch);

  if (seen.ends != 1 || seen.event_after_end) {
    mayday::fuzz::Fail(kHarness, "the end callback did not come exactly once, last", &script);
  }
  if (seen.sequences.size() != expected.size()) {
    mayday::fuzz::Fail(
        kHarness,
        absl::StrCat("delivered ", seen.sequences.size(), " events, expected ", expected.size()),
        &script);
  }
  // The C ABI hands out C strings: they end at a NUL the text may hold.
  const auto c_string = [](const std::string& text) { return std::string(text.c_str()); };
  for (size_t i = 0; i < expected.size(); ++i) {
    if (seen.sequences[i] != expected[i]->sequence() ||
        seen.case_names[i] != c_string(expected[i]->case_()) ||
        seen.descriptions[i] != c_string(mayday::sdk::DescribeEvent(*expected[i]))) {
      mayday::fuzz::Fail(kHarness, absl::StrCat("event ", i, " is not the one streamed"), &script);
    }
  }
  if (seen.end != expected_end) {
    mayday::fuzz::Fail(kHarness,
                       absl::StrCat("the watch ended with ", seen.end, ", expected ", expected_end),
                       &script);
  }
  const std::vector<int64_t> calls = fixture.service.after_sequences();
  if (calls.empty() || calls[0] != after_sequence || (calls.size() > 1 && calls[1] != last)) {
    mayday::fuzz::Fail(kHarness, "a WatchCase call did not resume from the last delivered event",
                       &script);
  }
  return 0;
}
