// A responder crew driven by a test; see crew.h.
#include "crew.h"

namespace mayday::testing {

Crew::Crew(TestServer& server, const std::string& id, std::shared_ptr<grpc::Channel> channel,
           std::string token)
    : id_(id),
      token_(token.empty() ? server.Token("responder", id) : std::move(token)),
      stub_(channel != nullptr ? mayday::v1::ResponderService::NewStub(channel)
                               : server.Responders()) {}

Crew::~Crew() { Unsubscribe(); }

grpc::Status Crew::GoOnDuty(mayday::v1::Capability capability, double latitude, double longitude) {
  mayday::v1::SetDutyRequest duty;
  duty.set_on_duty(true);
  duty.add_capabilities(capability);
  mayday::v1::Responder responder;
  grpc::Status status = stub_->SetDuty(Call(token_).get(), duty, &responder);
  if (!status.ok()) return status;
  return Report({{latitude, longitude}});
}

grpc::Status Crew::Report(const std::vector<std::pair<double, double>>& positions) {
  auto context = Call(token_);
  mayday::v1::ReportLocationResponse reply;
  auto writer = stub_->ReportLocation(context.get(), &reply);
  for (const auto& [latitude, longitude] : positions) {
    mayday::v1::ReportLocationRequest position;
    position.mutable_location()->set_latitude(latitude);
    position.mutable_location()->set_longitude(longitude);
    if (!writer->Write(position)) break;
  }
  writer->WritesDone();
  return writer->Finish();
}

void Crew::OpenSubscribe(bool wait_attached) {
  Unsubscribe();
  subscribe_context_ = Call(token_, absl::Minutes(5));
  std::shared_ptr<grpc::ClientReader<mayday::v1::ResponderUpdate>> reader =
      stub_->Subscribe(subscribe_context_.get(), mayday::v1::SubscribeRequest());
  // Returns when the server attached the stream, or when the call ended (a
  // refused call: the thread below sees the end).
  if (wait_attached) reader->WaitForInitialMetadata();
  reader_ = std::thread([this, reader] {
    mayday::v1::ResponderUpdate update;
    while (reader->Read(&update)) {
      absl::MutexLock lock(&mu_);
      updates_.push_back(update);
    }
    reader->Finish();
  });
}

void Crew::Unsubscribe() {
  if (subscribe_context_ != nullptr) subscribe_context_->TryCancel();
  if (reader_.joinable()) reader_.join();
  subscribe_context_.reset();
}

std::optional<mayday::v1::ResponderUpdate> Crew::Next(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto has_update = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !updates_.empty(); };
  if (!mu_.AwaitWithTimeout(absl::Condition(&has_update), timeout)) return std::nullopt;
  auto update = updates_.front();
  updates_.pop_front();
  return update;
}

std::optional<mayday::v1::Offer> Crew::NextOffer(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    auto update = Next(deadline - absl::Now());
    if (!update.has_value()) return std::nullopt;
    if (update->has_offer()) return update->offer();
  }
  return std::nullopt;
}

grpc::Status Crew::Accept(const std::string& case_name, mayday::v1::Case* out) {
  mayday::v1::AcceptOfferRequest request;
  request.set_case_(case_name);
  mayday::v1::Case reply;
  grpc::Status status = stub_->AcceptOffer(Call(token_).get(), request, &reply);
  if (out != nullptr) *out = reply;
  return status;
}

grpc::Status Crew::Decline(const std::string& case_name) {
  mayday::v1::DeclineOfferRequest request;
  request.set_case_(case_name);
  mayday::v1::DeclineOfferResponse reply;
  return stub_->DeclineOffer(Call(token_).get(), request, &reply);
}

grpc::Status Crew::Progress(const std::string& case_name, mayday::v1::CaseState state) {
  mayday::v1::UpdateProgressRequest request;
  request.set_case_(case_name);
  request.set_state(state);
  mayday::v1::Case reply;
  return stub_->UpdateProgress(Call(token_).get(), request, &reply);
}

}  // namespace mayday::testing
