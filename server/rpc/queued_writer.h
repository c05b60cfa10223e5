// A server-streaming reactor that sends messages pushed from any thread, one
// write at a time, in push order. Used by every server stream (a member's
// WatchCase, an operator's WatchCases, a responder's Subscribe): none of them
// holds a thread while it waits.
//
// Life cycle: gRPC owns the reactor; it deletes itself in OnDone() after
// calling OnStreamDone(), where subclasses unregister from whatever pushes to
// them. Anything that calls Push() must hold a lock that OnStreamDone() also
// takes, so that no Push() can reach a deleted reactor. (A subclass that
// unregisters elsewhere overrides OnDone() and deletes itself when done;
// pushes after OnDone() are dropped.)
#ifndef MAYDAY_SERVER_RPC_QUEUED_WRITER_H_
#define MAYDAY_SERVER_RPC_QUEUED_WRITER_H_

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"

namespace mayday::server {

template <typename Message>
class QueuedWriter : public grpc::ServerWriteReactor<Message> {
 public:
  // `max_queued`: how many unsent messages the stream may fall behind by
  // before it is ended with UNAVAILABLE (the client resumes from what it got).
  explicit QueuedWriter(size_t max_queued) : max_queued_(max_queued) {}

  // Queues `message` for sending. Returns false if the stream is ending or
  // ended (the message is dropped). Thread-safe.
  bool Push(Message message) {
    absl::MutexLock lock(&mu_);
    if (final_status_.has_value()) return false;
    if (queue_.size() >= max_queued_) {
      EndLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                             "stream fell behind the server; reconnect and resume"));
      return false;
    }
    queue_.push_back(std::move(message));
    if (!writing_) WriteNextLocked();
    return true;
  }

  // Tells the client the stream is live: sends the call's initial metadata
  // now rather than with the first message, which on a quiet stream (an
  // operator's feed, a crew waiting for offers) may be minutes away. A
  // client's WaitForInitialMetadata() returns once this is sent, so it knows
  // that every event from then on reaches it. Call once the stream is
  // subscribed to what pushes to it; a no-op if a message or the end already
  // went (they carry the metadata). Thread-safe.
  void SendHeaders() {
    absl::MutexLock lock(&mu_);
    if (headers_sent_ || finished_) return;
    headers_sent_ = true;
    this->StartSendInitialMetadata();
  }

  // Ends the stream with `status` once every queued message is sent.
  // Later calls and pushes are ignored. Thread-safe.
  void End(grpc::Status status) {
    absl::MutexLock lock(&mu_);
    EndLocked(std::move(status));
  }

  // Ends the stream with `status` now: what is queued is dropped (a stream
  // whose token was revoked must not deliver one more event; one evicted by
  // a newer stream is resumed by its client from the last event it got).
  // Later calls and pushes are ignored. Thread-safe.
  void EndNow(grpc::Status status) {
    absl::MutexLock lock(&mu_);
    queue_.clear();
    EndLocked(std::move(status));
  }

 protected:
  // Called once, just before the reactor is deleted. Unregister here.
  virtual void OnStreamDone() {}

 private:
  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      // The client went away or the call was cancelled; nothing more can be
      // written, but the RPC must still be finished.
      queue_.clear();
      if (!final_status_.has_value()) {
        final_status_ = grpc::Status(grpc::StatusCode::CANCELLED, "stream broken");
      }
    }
    WriteNextLocked();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    queue_.clear();
    EndLocked(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
  }

  void OnDone() override {
    OnStreamDone();
    delete this;
  }

  void EndLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (final_status_.has_value()) return;
    final_status_ = std::move(status);
    if (!writing_) WriteNextLocked();
  }

  // Starts the next write, or finishes the call when the queue is empty and
  // an end was asked for.
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finished_) return;
    if (!queue_.empty()) {
      in_flight_ = std::move(queue_.front());
      queue_.pop_front();
      writing_ = true;
      headers_sent_ = true;  // with this write, if not before
      this->StartWrite(&in_flight_);
      return;
    }
    if (final_status_.has_value()) {
      finished_ = true;
      this->Finish(*final_status_);
    }
  }

  const size_t max_queued_;
  absl::Mutex mu_;
  std::deque<Message> queue_ ABSL_GUARDED_BY(mu_);
  Message in_flight_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  // The initial metadata went, or goes with the write in flight: gRPC sends
  // them once, with the first write or the finish if not before.
  bool headers_sent_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> final_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_RPC_QUEUED_WRITER_H_
