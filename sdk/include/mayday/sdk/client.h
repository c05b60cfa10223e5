// The Mayday member SDK: what an app embeds to raise a panic alert and follow
// its case. `Client` wraps the mayday.v1 AlertService with the behaviour a
// phone on a flaky mobile network needs: RaiseAlert retries with the same
// request_id until its deadline, and WatchCase reconnects and resumes from the
// last event it delivered. The implementation lives in sdk/src/ and is not
// part of the API.
//
// Errors are absl::Status values whose code is the gRPC status code of the
// failed call (absl::StatusCode and grpc::StatusCode share their numbers) and
// whose message is the server's message.
#ifndef MAYDAY_SDK_CLIENT_H_
#define MAYDAY_SDK_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mayday/v1/alert_service.pb.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::sdk {

// How to reach the server and how patient to be. Copied by Client::Create.
struct ClientOptions {
  // "host:port" of maydayd (any gRPC target string works, e.g. "dns:///h:p").
  // Required.
  std::string server;
  // The member's bearer token, sent on every call as
  // "authorization: Bearer <token>". Required.
  std::string token;
  // Deadline of each single attempt of a unary call. Must be > 0.
  absl::Duration call_timeout = absl::Seconds(10);
  // Total time RaiseAlert keeps retrying, counted from the call. Must be > 0.
  absl::Duration raise_deadline = absl::Seconds(60);
  // Delay before the first retry (RaiseAlert) or reconnect (WatchCase). Each
  // further delay doubles, up to max_backoff, with +/-20% random jitter so
  // that phones cut off together do not come back together. Must be > 0.
  absl::Duration initial_backoff = absl::Milliseconds(250);
  // Upper bound of the delay between two attempts. Must be >= initial_backoff.
  absl::Duration max_backoff = absl::Seconds(5);
};

// One press of the Road or Medical button.
struct Alert {
  // CASE_KIND_ROAD or CASE_KIND_MEDICAL. The server rejects UNSPECIFIED.
  mayday::v1::CaseKind kind = mayday::v1::CASE_KIND_UNSPECIFIED;
  // WGS84 degrees, as the platform location API reports them.
  double latitude = 0;
  double longitude = 0;
  // 68% confidence radius in metres; 0 means unknown.
  double horizontal_accuracy_meters = 0;
  // Optional free text, at most 1000 bytes of UTF-8.
  std::string note;
  // Idempotency key of this press (AIP-155). Empty: the SDK generates a
  // random 128-bit one (32 lowercase hex digits) and reuses it on every retry.
  // Set it yourself to make retries safe across app restarts; the returned
  // Case carries the key that was used in Case.request_id.
  std::string request_id;
};

// A running WatchCase. Destroying it cancels the watch and waits for the SDK
// thread to finish (on_end has then run), unless it is destroyed from inside
// one of its own callbacks, in which case the thread finishes on its own.
// All methods are thread-safe. A Watch may outlive the Client that made it.
class Watch {
 public:
  virtual ~Watch() = default;

  // Stops the watch: the current stream is cancelled, no further on_event is
  // called once on_end has been called, and on_end receives CANCELLED unless
  // the watch had already ended. Returns without waiting; use WaitDone to
  // wait. Idempotent.
  virtual void Cancel() = 0;

  // Blocks until the watch has ended and on_end has returned, or until
  // `timeout` passes. Returns true if the watch has ended. Must not be called
  // from the watch's own callbacks with a timeout (it would wait for itself).
  virtual bool WaitDone(absl::Duration timeout) = 0;

  // Sequence of the last event passed to on_event, or the after_sequence the
  // watch started from if none has been delivered yet.
  virtual int64_t last_sequence() const = 0;
};

// A member's connection to maydayd. Thread-safe: one Client may be used from
// many threads at once. Blocking calls run on the caller's thread.
class Client {
 public:
  // Makes a client for `options`. The channel connects lazily, so an
  // unreachable server is not an error here. Returns INVALID_ARGUMENT if
  // server or token is empty or a duration is not positive. The caller owns
  // the returned client.
  static absl::StatusOr<std::unique_ptr<Client>> Create(
      const ClientOptions& options);

  virtual ~Client() = default;

  // Raises an alert and returns the case it opened once the server has
  // committed it. Retries UNAVAILABLE and DEADLINE_EXCEEDED with exponential
  // backoff and jitter, sending the same request_id every time, until
  // options.raise_deadline has passed; then returns the last error. Any other
  // error (INVALID_ARGUMENT, UNAUTHENTICATED, PERMISSION_DENIED, ...) is
  // returned at once without retrying. Blocks for at most about
  // raise_deadline.
  virtual absl::StatusOr<mayday::v1::Case> RaiseAlert(const Alert& alert) = 0;

  // Returns the member's case named `case_name` ("cases/{id}"); NOT_FOUND if
  // it does not exist or is not the member's. One attempt, no retry.
  virtual absl::StatusOr<mayday::v1::Case> GetCase(
      const std::string& case_name) = 0;

  // Returns one page of the member's cases, newest first. page_size 0 means
  // the server's default (50); page_token is "" for the first page, else the
  // previous response's next_page_token. One attempt, no retry.
  virtual absl::StatusOr<mayday::v1::ListCasesResponse> ListCases(
      int page_size, const std::string& page_token) = 0;

  // Cancels an open case and returns it, now CANCELLED. FAILED_PRECONDITION
  // if it was already closed. One attempt, no retry.
  virtual absl::StatusOr<mayday::v1::Case> CancelCase(
      const std::string& case_name, const std::string& reason) = 0;

  // Replaces the case's location with a newer fix and returns the case.
  // FAILED_PRECONDITION once the case is closed. One attempt, no retry.
  virtual absl::StatusOr<mayday::v1::Case> UpdateCaseLocation(
      const std::string& case_name, const mayday::v1::Location& location) = 0;

  // Starts following a case on a new SDK thread and returns at once.
  //
  // Calls on_event for every event with sequence > after_sequence, in order,
  // each once. Reconnects with backoff on UNAVAILABLE and other transient
  // stream errors, resuming from the last sequence delivered and dropping
  // duplicates; retries for as long as it takes. Calls on_end exactly once,
  // last: with OK after the case's terminal event (RESOLVED or CANCELLED),
  // with CANCELLED after Watch::Cancel, or with the error that ended it
  // (NOT_FOUND, PERMISSION_DENIED, UNAUTHENTICATED, INVALID_ARGUMENT and other
  // non-transient codes). Both callbacks run on the watch's own thread, never
  // concurrently, never after on_end; they must not throw and should return
  // quickly.
  //
  // Returns INVALID_ARGUMENT (and calls neither callback) if case_name is
  // empty, after_sequence is negative or a callback is empty. The caller owns
  // the returned Watch.
  virtual absl::StatusOr<std::unique_ptr<Watch>> WatchCase(
      const std::string& case_name, int64_t after_sequence,
      std::function<void(const mayday::v1::CaseEvent&)> on_event,
      std::function<void(const absl::Status&)> on_end) = 0;
};

}  // namespace mayday::sdk

#endif  // MAYDAY_SDK_CLIENT_H_
