// The Mayday member SDK: what an app embeds to raise a panic alert and follow
// its case. `Client` wraps the mayday.v1 AlertService with the behaviour a
// phone on a flaky mobile network needs: RaiseAlert retries with the same
// request_id until its deadline, and WatchCase reconnects and resumes from the
// last event it delivered. The implementation lives in sdk/src/ and is not
// part of the API.
//
// Errors are absl::Status values whose code is the gRPC status code of the
// failed call (absl::StatusCode and grpc::StatusCode share their numbers) and
// whose message is the server's message; IsUntrustedServerError tells apart
// a server whose TLS certificate the client does not accept.
//
// Text the member typed (an alert's note, a message, a cancel reason, a
// rating's comment) is sent as valid UTF-8 without control characters: the
// SDK replaces invalid bytes with U+FFFD (dropping a character cut off at the
// end), removes control characters other than TAB and LF, and keeps the text
// within the server's 1,000 bytes where the repair would have made it longer,
// cutting between characters. An alert's note is always cut to fit, so that
// an emergency is never refused over its note.
#ifndef MAYDAY_SDK_CLIENT_H_
#define MAYDAY_SDK_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mayday/v1/alert_service.pb.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::sdk {

// How the connection to the server is secured. Off by default: plaintext,
// for a server on a private network or behind a TLS-terminating proxy.
// PEM may be given as text (bundled with the app) or as a file path; set at
// most one of the two for each item.
struct TlsOptions {
  // Connect with TLS (maydayd --tls-cert/--tls-key). The fields below are
  // used only when this is true.
  bool enabled = false;
  // CA certificates that sign the server's certificate. Both empty: the
  // system's trusted roots.
  std::string ca_pem;
  std::string ca_file;
  // A client certificate chain and its private key, for mutual TLS
  // (maydayd --tls-client-ca asks responder and operator devices for one;
  // members' phones need none). All empty: no client certificate.
  std::string cert_pem;
  std::string cert_file;
  std::string key_pem;
  std::string key_file;
  // The name the server's certificate must carry, when it is not the host
  // in ClientOptions.server (e.g. connecting by IP address to a server whose
  // certificate names its DNS name). Empty: that host.
  std::string server_name;
};

// How to reach the server and how patient to be. Copied by Client::Create.
struct ClientOptions {
  // "host:port" of maydayd (any gRPC target string works, e.g. "dns:///h:p").
  // Required. Pasted as a URL it works too: "http://h:p/" is h:p in
  // plaintext, "https://h:p" is h:p with tls.enabled (Create refuses it
  // without, and a path after the port, saying how to write the address).
  std::string server;
  // The member's bearer token, sent on every call as
  // "authorization: Bearer <token>". Required.
  std::string token;
  // TLS; plaintext unless tls.enabled.
  TlsOptions tls;
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
  // The app's data directory (it must exist and be writable). The SDK keeps
  // its alert outbox there, the SQLite file "mayday-outbox.db": every alert
  // is written to it before it is first sent and stays pending until the
  // server acknowledges it, so the next Client::Create on the same directory
  // resends what a killed app left unsent. Empty: alerts are kept in memory
  // only and are lost if the process dies before the server answers.
  std::string data_dir;
  // Where the member is now, for dispatch's requests of a fresher fix
  // (CaseEvent.fix_requested: the last fix was too uncertain or too old).
  // When a WatchCase stream gets one, the SDK calls this on the watch's
  // thread, before on_event, and sends what it returns as FeedLocation
  // does (retried, the newest only); nullopt: no better fix yet, nothing is
  // sent. Set fix_time to when the fix was taken. Must be thread-safe and
  // quick (the last fix the platform gave, not a new one waited for).
  // Unset: requests only reach on_event, for the app to answer.
  std::function<std::optional<mayday::v1::Location>()> current_location;
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
  // Optional free text for the responders. Sent as valid UTF-8 without
  // control characters, cut to at most 1000 bytes between characters (see
  // the top of this file); AlertProgress.note_repaired and note_trimmed say
  // whether the SDK changed it.
  std::string note;
  // Idempotency key of this press (AIP-155). Empty: the SDK generates a
  // random 128-bit one (32 lowercase hex digits) and reuses it on every retry.
  // Set it yourself to make retries safe across app restarts: 1 to 128
  // printable ASCII characters without spaces (what the server accepts) are
  // sent as they are; any other key is sent as "key-" and 32 hex digits
  // derived from its bytes (the same key always gives the same id, in every
  // process), so that a press is never refused over its key.
  // PendingAlert::request_id() is the key sent. The returned Case carries the
  // key that opened it in Case.request_id: another key than the one sent
  // means the member already had this kind of case open and the press
  // returned it (a member has one open case of each kind).
  std::string request_id;
};

// Where a raised alert is. An alert only moves forward:
// kQueued <-> kSending -> kAcknowledged or kFailed.
enum class AlertState {
  // Stored in the outbox, waiting for the next attempt (the first one, or a
  // retry after UNAVAILABLE, DEADLINE_EXCEEDED or a RESOURCE_EXHAUSTED that
  // means "retry later"). After an attempt that found the server's TLS
  // certificate not acceptable, AlertProgress.error says so at once
  // (IsUntrustedServerError): a configuration error to fix, reported on the
  // first attempt; the alert stays queued and is retried like the others.
  // A server that cannot be reached is reported the same way, within 5 s,
  // as UNAVAILABLE: at once when nothing listens there ("cannot reach
  // 127.0.0.1:7433: connection refused"), after 5 s when nothing answers at
  // all ("cannot reach HOST:PORT: no answer within 5s ..."); the alert goes
  // on waiting and is sent as soon as the server answers.
  kQueued,
  // An attempt is on the wire.
  kSending,
  // The server committed the case; AlertProgress.opened holds it. Final.
  kAcknowledged,
  // The server refused the alert for good (INVALID_ARGUMENT,
  // UNAUTHENTICATED, PERMISSION_DENIED, RESOURCE_EXHAUSTED "message larger
  // than max", ...), or the blocking RaiseAlert of a client without data_dir
  // gave up at raise_deadline. Final.
  kFailed,
};

// An alert another member raised on this device, still queued
// (Client::AlertsQueuedForOtherMembers).
struct QueuedForAnotherMember {
  std::string request_id;
  mayday::v1::CaseKind kind = mayday::v1::CASE_KIND_UNSPECIFIED;
  absl::Time raised;  // when it was queued, to the second
};

// A snapshot of a raised alert.
struct AlertProgress {
  AlertState state = AlertState::kQueued;
  // The idempotency key every attempt of this alert sends.
  std::string request_id;
  // Attempts made so far.
  int attempts = 0;
  // kFailed: why. kQueued after a failed attempt: that attempt's error.
  // Otherwise OK.
  absl::Status error;
  // kAcknowledged: the case the alert opened ("cases/{id}" in opened.name()).
  mayday::v1::Case opened;
  // The SDK changed the alert's note before storing it: invalid UTF-8
  // replaced or dropped, or control characters removed (note_repaired); cut
  // to 1000 bytes (note_trimmed). Set from the first snapshot on; false for
  // alerts resumed from the outbox (the change was reported when raised).
  bool note_repaired = false;
  bool note_trimmed = false;
};

// True if `status` reports that the server's TLS certificate was not
// accepted: not signed by a CA in ClientOptions.tls (or the system's roots),
// not naming the host or tls.server_name, or out of its validity dates (check
// the device's clock). A configuration error, not a network blip; a network
// that intercepts TLS looks the same. Calls the SDK retries by itself report
// it at once as FAILED_PRECONDITION with a message saying what to check:
// Raise (AlertProgress.error, the alert staying queued), RaiseAlert (returned
// at once, the alert staying queued) and WatchCase (on_end); one-attempt
// calls (GetCase, CancelCase, ...) return gRPC's UNAVAILABLE, for which this
// is true as well.
bool IsUntrustedServerError(const absl::Status& status);

// Called on the SDK's sender thread for the alert, once per state change, in
// order, never concurrently for one alert. Must not throw; should return
// quickly; may call the Client and the PendingAlert.
using AlertCallback = std::function<void(const AlertProgress&)>;

// A handle to an alert the SDK is delivering. Thread-safe. Dropping the
// handle does not stop delivery: the alert is sent until acknowledged or
// until its Client is destroyed (and then, with a data_dir, by the next
// Client on that directory).
class PendingAlert {
 public:
  virtual ~PendingAlert() = default;
  // The alert's request_id.
  virtual std::string request_id() const = 0;
  // The current state.
  virtual AlertProgress progress() const = 0;
  // Blocks until the alert is acknowledged or failed, or `timeout` passes.
  // Returns true if it is acknowledged or failed. Must not be called from
  // the alert's own callback.
  virtual bool WaitDone(absl::Duration timeout) = 0;
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
  // unreachable server is not an error here (nor is a server whose
  // certificate the client does not accept: see IsUntrustedServerError).
  // Returns INVALID_ARGUMENT if server or token is empty, server is not an
  // address (ClientOptions.server says what is), a duration is not
  // positive, or the TLS options are inconsistent (an item given both as
  // text and as a file, a certificate without its key or the reverse) or
  // hold no PEM (a file that cannot be read, text without "-----BEGIN"), and
  // FAILED_PRECONDITION if data_dir is set but its outbox cannot be opened.
  // With a data_dir, alerts found pending in the outbox are resent at once.
  // The caller owns the returned client; destroying it stops delivery of
  // pending alerts (they stay in the outbox) and location feeds.
  static absl::StatusOr<std::unique_ptr<Client>> Create(const ClientOptions& options);

  virtual ~Client() = default;

  // Raises an alert and returns the case it opened once the server has
  // committed it (or the member's open case of the same kind, which the
  // press joined). Retries UNAVAILABLE, DEADLINE_EXCEEDED and "retry later"
  // RESOURCE_EXHAUSTED with exponential backoff and jitter, sending the same
  // request_id every time, until options.raise_deadline has passed; then
  // returns the last error. Any other error (INVALID_ARGUMENT,
  // UNAUTHENTICATED, PERMISSION_DENIED, ...) is returned at once without
  // retrying. A server whose TLS certificate is not accepted is returned at
  // once as FAILED_PRECONDITION (IsUntrustedServerError), and the alert stays
  // queued. Blocks for at most about raise_deadline.
  //
  // Built on Raise: with a data_dir the alert is in the outbox before the
  // first attempt, and if raise_deadline passes it stays there and is still
  // delivered in the background (PendingAlerts lists it). An alert returned
  // for an untrusted server is delivered in the background too, while this
  // client lives, with or without a data_dir.
  virtual absl::StatusOr<mayday::v1::Case> RaiseAlert(const Alert& alert) = 0;

  // Raises an alert without blocking on the network: stores it in the outbox
  // (synchronously, on disk when data_dir is set), returns its handle in
  // state kQueued, and delivers it on an SDK thread: retries UNAVAILABLE,
  // DEADLINE_EXCEEDED and "retry later" RESOURCE_EXHAUSTED with exponential
  // backoff and jitter, always with the same request_id, with no overall
  // deadline, until the server acknowledges (kAcknowledged) or refuses
  // (kFailed). `on_change` (may be empty) is called on that thread for each
  // state change after kQueued; a server whose TLS certificate is not
  // accepted is reported on the first attempt (kQueued with an error for
  // which IsUntrustedServerError is true). The note is cleaned first (see
  // Alert.note) and the request_id chosen (see Alert.request_id), so an
  // alert is never refused over either. If the outbox cannot be written the
  // alert is still sent, in memory only. Does not fail today; the StatusOr
  // leaves room for errors a later version may find before queueing.
  virtual absl::StatusOr<std::shared_ptr<PendingAlert>> Raise(
      const Alert& alert, AlertCallback on_change = nullptr) = 0;

  // Returns the alerts this client is still delivering, including those it
  // found pending in the outbox at Create (left by a killed app) and resends
  // with their original request_id. Thread-safe.
  virtual std::vector<std::shared_ptr<PendingAlert>> PendingAlerts() = 0;

  // Returns the alerts Create found pending in the outbox (raised by an
  // earlier process that died or was closed before they were acknowledged),
  // oldest first, whatever their state now: an app can show "your alert
  // from before was delivered: case X" once each is acknowledged.
  // Thread-safe.
  virtual std::vector<std::shared_ptr<PendingAlert>> ResumedAlerts() = 0;

  // Returns the alerts raised on this device by other members (other
  // tokens, on the same data_dir) and still queued, oldest first. They are
  // never sent under this client's token: each goes only through a Client
  // created with its own member's token. An app on a shared phone can say
  // "an alert raised by another account is waiting to be sent: sign in as
  // them". Thread-safe.
  virtual std::vector<QueuedForAnotherMember> AlertsQueuedForOtherMembers() = 0;

  // Feeds the member's newest position for an open case. Returns at once;
  // an SDK thread sends it with UpdateCaseLocation, retrying transient
  // errors (as Raise does: a rate limit's RESOURCE_EXHAUSTED too) with
  // backoff. While a send is in flight or waiting to retry,
  // newer positions replace older unsent ones: only the newest is sent
  // (a slow network sees fewer, fresher updates). Feeding stops for the case
  // on a non-transient error (e.g. FAILED_PRECONDITION once it is closed).
  // INVALID_ARGUMENT if case_name is empty. Thread-safe.
  virtual absl::Status FeedLocation(const std::string& case_name,
                                    const mayday::v1::Location& location) = 0;

  // Returns the member's case named `case_name` ("cases/{id}"); NOT_FOUND if
  // it does not exist or is not the member's. One attempt, no retry.
  virtual absl::StatusOr<mayday::v1::Case> GetCase(const std::string& case_name) = 0;

  // Returns one page of the member's cases, newest first. page_size 0 means
  // the server's default (50); page_token is "" for the first page, else the
  // previous response's next_page_token. One attempt, no retry.
  virtual absl::StatusOr<mayday::v1::ListCasesResponse> ListCases(
      int page_size, const std::string& page_token) = 0;

  // Cancels an open case and returns it, now CANCELLED. FAILED_PRECONDITION
  // if it was already closed. `reason` is cleaned like a message (see the
  // top of this file). One attempt, no retry.
  virtual absl::StatusOr<mayday::v1::Case> CancelCase(const std::string& case_name,
                                                      const std::string& reason) = 0;

  // As CancelCase, for a member with a cancel PIN (SetCancelPins): `pin` is
  // the PIN the member typed. A wrong PIN is PERMISSION_DENIED and counted
  // on the case (after 5 the member can no longer cancel it:
  // FAILED_PRECONDITION, and a care agent calls); no PIN when one is set is
  // FAILED_PRECONDITION. The duress PIN answers as the cancel PIN does, and
  // from then on everything this client reads of the case shows it
  // cancelled, while help goes on: the app must show nothing else either.
  // One attempt, no retry.
  virtual absl::StatusOr<mayday::v1::Case> CancelCaseWithPin(const std::string& case_name,
                                                             const std::string& reason,
                                                             const std::string& pin) = 0;

  // Sets, replaces or clears (both empty) the member's cancel PIN and duress
  // PIN, 4 to 12 digits each; `current_pin` is the cancel PIN set now, or
  // "" if none. INVALID_ARGUMENT for a malformed PIN, a duress PIN without
  // a cancel PIN or equal to it; PERMISSION_DENIED for a wrong current_pin.
  // One attempt, no retry.
  virtual absl::StatusOr<mayday::v1::CancelPinSettings> SetCancelPins(
      const std::string& current_pin, const std::string& cancel_pin,
      const std::string& duress_pin) = 0;

  // Whether the member has a cancel PIN and a duress PIN. One attempt.
  virtual absl::StatusOr<mayday::v1::CancelPinSettings> GetCancelPins() = 0;

  // Safety timers ("check in by 23:30 or send help"): unless the member
  // ends the timer before its deadline, the server raises the alert itself,
  // from the last location reported, with the note, exactly once, even if
  // the phone is lost. `request`'s request_id may be left empty (the SDK
  // makes one); reuse the same one to retry a start whose answer was lost.
  // A member has one running timer at most (FAILED_PRECONDITION naming it).
  // One attempt each, no retry.
  virtual absl::StatusOr<mayday::v1::SafetyTimer> StartSafetyTimer(
      mayday::v1::StartSafetyTimerRequest request) = 0;
  // Moves the deadline and/or reports the member's location (set what
  // changes in `request`).
  virtual absl::StatusOr<mayday::v1::SafetyTimer> UpdateSafetyTimer(
      const mayday::v1::UpdateSafetyTimerRequest& request) = 0;
  // Ends the timer: nothing is raised. `pin` as for CancelCaseWithPin (""
  // when the member has no PIN); the duress PIN seems to end it and raises
  // the alert for the care desk at once: show the member nothing else.
  virtual absl::StatusOr<mayday::v1::SafetyTimer> EndSafetyTimer(const std::string& timer_name,
                                                                 const std::string& pin) = 0;
  virtual absl::StatusOr<mayday::v1::SafetyTimer> GetSafetyTimer(const std::string& timer_name) = 0;

  // The member's medical profile (allergies, conditions, medications,
  // blood group, emergency contacts, a note): stored encrypted by the
  // server and shown only to the member, to the crew of the member's open
  // medical case while it is assigned, and to care agents (each of their
  // reads audited). UpdateMedicalProfile replaces the whole profile and
  // returns it as stored (INVALID_ARGUMENT naming a field over its limit);
  // GetMedicalProfile is NOT_FOUND while there is none;
  // DeleteMedicalProfile removes it (OK if there was none). All three are
  // FAILED_PRECONDITION on a server that keeps no profiles. One attempt each.
  virtual absl::StatusOr<mayday::v1::MedicalProfile> GetMedicalProfile() = 0;
  virtual absl::StatusOr<mayday::v1::MedicalProfile> UpdateMedicalProfile(
      const mayday::v1::MedicalProfile& profile) = 0;
  virtual absl::Status DeleteMedicalProfile() = 0;

  // Replaces the case's location with a newer fix and returns the case.
  // FAILED_PRECONDITION once the case is closed. One attempt, no retry.
  virtual absl::StatusOr<mayday::v1::Case> UpdateCaseLocation(
      const std::string& case_name, const mayday::v1::Location& location) = 0;

  // Writes a message on one of the member's open cases, for the care agents
  // and the assigned responder; returns the committed event (its sequence
  // shows where it sits in the timeline, its text what was stored). The text
  // is cleaned first (see the top of this file). INVALID_ARGUMENT for empty
  // text or more than 1000 bytes; FAILED_PRECONDITION once the case is closed;
  // NOT_FOUND for a case that is not the member's. One attempt, no retry.
  virtual absl::StatusOr<mayday::v1::CaseEvent> PostMessage(const std::string& case_name,
                                                            const std::string& text) = 0;

  // Rates a closed case, 1 to 5 stars with an optional comment (cleaned like
  // a message), once; returns the case with its rating. INVALID_ARGUMENT for
  // stars outside 1..5; FAILED_PRECONDITION if the case is open or already
  // rated. One attempt, no retry.
  virtual absl::StatusOr<mayday::v1::Case> RateCase(const std::string& case_name, int stars,
                                                    const std::string& comment) = 0;

  // Starts following a case on a new SDK thread and returns at once.
  //
  // Calls on_event for every event with sequence > after_sequence, in order,
  // each once. Reconnects with backoff on UNAVAILABLE and other transient
  // stream errors, resuming from the last sequence delivered and dropping
  // duplicates; retries for as long as it takes. Calls on_end exactly once,
  // last: with OK after the case's terminal event (RESOLVED or CANCELLED),
  // with CANCELLED after Watch::Cancel, or with the error that ended it
  // (NOT_FOUND, PERMISSION_DENIED, UNAUTHENTICATED, INVALID_ARGUMENT and other
  // non-transient codes; FAILED_PRECONDITION for a server whose TLS
  // certificate is not accepted, IsUntrustedServerError; RESOURCE_EXHAUSTED
  // "message larger than max", which no retry can fix). Both callbacks run
  // on the watch's own thread, never concurrently, never after on_end; they
  // must not throw and should return quickly.
  //
  // Returns INVALID_ARGUMENT (and calls neither callback) if case_name is
  // empty, after_sequence is negative or a callback is empty. The caller owns
  // the returned Watch.
  virtual absl::StatusOr<std::unique_ptr<Watch>> WatchCase(
      const std::string& case_name, int64_t after_sequence,
      std::function<void(const mayday::v1::CaseEvent&)> on_event,
      std::function<void(const absl::Status&)> on_end) = 0;

  // Starts following the crew coming to the member's case, on a new SDK
  // thread, and returns at once: on_position gets where the crew is, how
  // far and how long away (an ETA recomputed from its position), at once
  // when the case is assigned (or when watching starts, if it is), then
  // whenever the crew has moved 100 m and at least every 10 s. Nothing
  // while the case waits for a crew. Reconnects with backoff as WatchCase
  // does (the latest position comes again at once). on_end gets OK once
  // the crew is on scene or the case is over, CANCELLED after
  // Watch::Cancel, or the error that ended it (NOT_FOUND for a case that
  // is not the member's). Callbacks as WatchCase's; the Watch's
  // last_sequence() is 0. INVALID_ARGUMENT if case_name or a callback is
  // empty.
  virtual absl::StatusOr<std::unique_ptr<Watch>> WatchCrew(
      const std::string& case_name,
      std::function<void(const mayday::v1::CrewPosition&)> on_position,
      std::function<void(const absl::Status&)> on_end) = 0;
};

}  // namespace mayday::sdk

#endif  // MAYDAY_SDK_CLIENT_H_
