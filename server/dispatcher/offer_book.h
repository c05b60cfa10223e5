// The offers dispatch made that their responders have not answered yet: what
// to send a crew again when its push stream reconnects, and who holds a
// case's offer (to tell it when the case changes or the offer is withdrawn).
// Only committed offers enter the book: an offer is recorded after its
// Offered event is stored, and forgotten when it is answered, lapses, is
// withdrawn or its case closes.
#ifndef MAYDAY_SERVER_DISPATCHER_OFFER_BOOK_H_
#define MAYDAY_SERVER_DISPATCHER_OFFER_BOOK_H_

#include <cstddef>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "mayday/v1/responder_service.pb.h"

namespace mayday::server {

// Not thread-safe: the dispatcher keeps it under the engine's lock. A
// responder holds at most one offer and a case is offered to at most one
// responder at a time; Record keeps it so.
class OfferBook {
 public:
  // Records the committed offer of case `case_id` (the id, not the name) to
  // `responder_id`. An offer the responder held before, or the case's offer
  // to someone else, is forgotten.
  void Record(const std::string& responder_id, const std::string& case_id, mayday::v1::Offer offer);
  // Forgets the offer of case `case_id`. Returns the responder that held it;
  // "" if the case had none.
  std::string Forget(const std::string& case_id);
  // The offer `responder_id` holds; nullptr if none. Valid until the book
  // next changes.
  const mayday::v1::Offer* HeldBy(const std::string& responder_id) const;
  // The responder holding the offer of case `case_id`; "" if nobody.
  std::string Holder(const std::string& case_id) const;
  // Offers in the book.
  size_t size() const { return holder_by_case_.size(); }

 private:
  struct Held {
    std::string case_id;
    mayday::v1::Offer offer;
  };
  absl::flat_hash_map<std::string, Held> by_responder_;
  absl::flat_hash_map<std::string, std::string> holder_by_case_;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_DISPATCHER_OFFER_BOOK_H_
