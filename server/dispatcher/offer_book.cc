// The unanswered offers; see offer_book.h.
#include "dispatcher/offer_book.h"

#include <utility>

namespace mayday::server {

void OfferBook::Record(const std::string& responder_id, const std::string& case_id,
                       mayday::v1::Offer offer) {
  Forget(case_id);
  if (auto it = by_responder_.find(responder_id); it != by_responder_.end()) {
    holder_by_case_.erase(it->second.case_id);
  }
  by_responder_[responder_id] = Held{case_id, std::move(offer)};
  holder_by_case_[case_id] = responder_id;
}

std::string OfferBook::Forget(const std::string& case_id) {
  auto it = holder_by_case_.find(case_id);
  if (it == holder_by_case_.end()) return "";
  std::string holder = std::move(it->second);
  holder_by_case_.erase(it);
  by_responder_.erase(holder);
  return holder;
}

const mayday::v1::Offer* OfferBook::HeldBy(const std::string& responder_id) const {
  auto it = by_responder_.find(responder_id);
  return it == by_responder_.end() ? nullptr : &it->second.offer;
}

std::string OfferBook::Holder(const std::string& case_id) const {
  auto it = holder_by_case_.find(case_id);
  return it == holder_by_case_.end() ? "" : it->second;
}

}  // namespace mayday::server
