// Webhook endpoints and their deliveries as the store keeps them
// (webhooks.cc). The outbox of a webhook is the case history itself: every
// commit that writes case events writes its case_chain row in the same
// transaction (case_chain.h), and an endpoint keeps, beside its filter, its
// mark: how far through that chain every event it filters on was either
// delivered or queued as a row here (scanned_commit). The delivery engine
// (webhooks/deliverer.h) reads the commits after the mark and POSTs their
// events; a delivery made at its first attempt leaves no row, only a count
// (WebhookEndpoint::delivered); one that failed, and the later events of
// its case, are queued as rows and retried from there. The mark moves, a
// few times a second, with those rows and counts (DeliverySettlement); so
// an event committed is delivered at least once, even if maydayd dies
// right after the commit (events after the mark go again, under the same
// idempotency key), and an endpoint registered at commit N gets the events
// of the commits after N.
#ifndef MAYDAY_SERVER_STORE_WEBHOOK_RECORDS_H_
#define MAYDAY_SERVER_STORE_WEBHOOK_RECORDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace mayday::server {

// A registered endpoint.
struct WebhookEndpoint {
  std::string id;   // the part after "webhooks/"
  std::string url;  // checked at registration (webhooks/address_policy.h)
  // The CaseEvent changes delivered, by field name ("raised", ...); empty:
  // every event.
  std::vector<std::string> events;
  std::string format = "json";  // "json", "cap" or "eido"
  std::string secret;           // the HMAC key; never leaves the server
  std::string creator;          // "operators/{id}"
  absl::Time create_time;
  // Every event of every commit up to here was delivered or queued (the
  // commit chain's head when it was registered, to begin with).
  int64_t scanned_commit = 0;
  // Read by ListWebhooks only: its deliveries pending and dead (rows), and
  // how many were made since it was registered (a count).
  int64_t pending = 0;
  int64_t dead = 0;
  int64_t delivered = 0;
};

// Stored as these numbers.
enum class DeliveryState { kPending = 0, kDelivered = 1, kDead = 2 };

// One event on its way to one endpoint: as a row, one not made at its first
// attempt (or waiting behind one of its case); in the deliverer, also one
// read from the commit chain and not yet attempted.
struct WebhookDelivery {
  std::string endpoint;  // WebhookEndpoint::id
  std::string case_id;   // the part after "cases/"
  int64_t sequence = 0;
  DeliveryState state = DeliveryState::kPending;
  int64_t attempts = 0;
  absl::Time create_time;  // when it was queued
  // Retries stop once this long past retry_from (the queueing, or the
  // last redeliver): the deliverer's retry limit counts from here.
  absl::Time retry_from;
  absl::Time next_attempt;  // pending: not before then
  absl::Time last_attempt = absl::InfinitePast();
  std::string last_result;  // "HTTP 503", ...; empty before the first attempt
};

// What one attempt came to, as the deliverer records it.
struct DeliveryAttempt {
  std::string endpoint;
  std::string case_id;
  int64_t sequence = 0;
  absl::Time time;
  std::string result;
  // Its new state: delivered, pending again (next_attempt set) or dead.
  DeliveryState state = DeliveryState::kPending;
  absl::Time next_attempt;
};

// What one write of the deliverer settles for one endpoint: its mark moved
// up to `mark` (never back), `delivered` more deliveries made at their
// first attempt counted, and `rows` queued as they are (an event queued
// already is left as it was).
struct DeliverySettlement {
  std::string endpoint;
  int64_t mark = 0;
  int64_t delivered = 0;
  std::vector<WebhookDelivery> rows;
};

// Which deliveries ListWebhookDeliveries returns.
struct DeliveryQuery {
  std::string endpoint;
  std::vector<DeliveryState> states;  // empty: pending and dead
  int limit = 100;                    // 1..1000
};

// The deliveries of an endpoint that may go now: of each case, the first
// one not delivered, if it is pending and due (`rows`, soonest first); and
// when the next of those not due yet is.
struct DueDeliveries {
  std::vector<WebhookDelivery> rows;
  std::optional<absl::Time> next_due;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_STORE_WEBHOOK_RECORDS_H_
