// An Engine that forwards every call to another one: the base of decorators
// that change one behaviour and keep the rest (tests wrap the server's engine
// to make its Step() hang, as a stuck engine would), in the way LevelDB's
// EnvWrapper serves its Env.
#ifndef MAYDAY_DISPATCH_ENGINE_WRAPPER_H_
#define MAYDAY_DISPATCH_ENGINE_WRAPPER_H_

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "mayday/dispatch/engine.h"

namespace mayday::dispatch {

// Forwards everything to the wrapped engine, which it owns. Thread-safety as
// the wrapped engine's (none: the caller serializes).
class EngineWrapper : public Engine {
 public:
  explicit EngineWrapper(std::unique_ptr<Engine> wrapped) : wrapped_(std::move(wrapped)) {}

  absl::Status SetDuty(const ResponderId& id, bool on_duty,
                       absl::Span<const Capability> capabilities) override {
    return wrapped_->SetDuty(id, on_duty, capabilities);
  }
  absl::Status UpdatePosition(const ResponderId& id, GeoPoint position,
                              absl::Time fix_time) override {
    return wrapped_->UpdatePosition(id, position, fix_time);
  }
  void ResponderDisconnected(const ResponderId& id) override {
    wrapped_->ResponderDisconnected(id);
  }
  void ResponderConnected(const ResponderId& id) override { wrapped_->ResponderConnected(id); }
  absl::Status AddCase(const CaseId& id, CaseKind kind, GeoPoint location,
                       absl::Time raised_time) override {
    return wrapped_->AddCase(id, kind, location, raised_time);
  }
  absl::Status AddCase(const CaseId& id, CaseKind kind, GeoPoint location, absl::Time raised_time,
                       absl::Span<const ResponderId> already_tried) override {
    return wrapped_->AddCase(id, kind, location, raised_time, already_tried);
  }
  absl::Status AddEscalatedCase(const CaseId& id, CaseKind kind, GeoPoint location,
                                absl::Time raised_time,
                                absl::Span<const ResponderId> already_tried) override {
    return wrapped_->AddEscalatedCase(id, kind, location, raised_time, already_tried);
  }
  absl::Status AddAssignedCase(const CaseId& id, CaseKind kind, GeoPoint location,
                               absl::Time raised_time, const ResponderId& responder) override {
    return wrapped_->AddAssignedCase(id, kind, location, raised_time, responder);
  }
  absl::Status MoveCase(const CaseId& id, GeoPoint location) override {
    return wrapped_->MoveCase(id, location);
  }
  absl::StatusOr<Assignment> Accept(const ResponderId& responder, const CaseId& case_id) override {
    return wrapped_->Accept(responder, case_id);
  }
  absl::Status Decline(const ResponderId& responder, const CaseId& case_id) override {
    return wrapped_->Decline(responder, case_id);
  }
  std::optional<ResponderId> CloseCase(const CaseId& id) override {
    return wrapped_->CloseCase(id);
  }
  absl::Status SeekSecond(const CaseId& id) override { return wrapped_->SeekSecond(id); }
  absl::Status AddSecondAssigned(const CaseId& id, const ResponderId& responder) override {
    return wrapped_->AddSecondAssigned(id, responder);
  }
  absl::StatusOr<std::optional<ResponderId>> KeepResponder(const CaseId& id,
                                                           const ResponderId& responder) override {
    return wrapped_->KeepResponder(id, responder);
  }
  absl::Status Hold(const CaseId& id) override { return wrapped_->Hold(id); }
  absl::Status Release(const CaseId& id) override { return wrapped_->Release(id); }
  absl::StatusOr<Assignment> AssignManually(const CaseId& case_id,
                                            const ResponderId& responder) override {
    return wrapped_->AssignManually(case_id, responder);
  }
  std::vector<Decision> Step() override { return wrapped_->Step(); }
  std::optional<absl::Time> NextDeadline() const override { return wrapped_->NextDeadline(); }
  std::vector<ResponderView> Responders() const override { return wrapped_->Responders(); }
  std::optional<ResponderView> GetResponder(const ResponderId& id) const override {
    return wrapped_->GetResponder(id);
  }

 private:
  std::unique_ptr<Engine> wrapped_;
};

}  // namespace mayday::dispatch

#endif  // MAYDAY_DISPATCH_ENGINE_WRAPPER_H_
