// What every service needs from the rest of the server. Nothing is owned.
#ifndef MAYDAY_SERVER_SERVICES_SERVICE_CONTEXT_H_
#define MAYDAY_SERVER_SERVICES_SERVICE_CONTEXT_H_

#include "auth/authenticator.h"
#include "cases/case_log.h"
#include "cases/event_hub.h"
#include "dispatcher/dispatcher.h"
#include "responders/position_log.h"
#include "store/store.h"

namespace mayday::server {

struct ServiceContext {
  Store* store = nullptr;
  Authenticator* auth = nullptr;
  CaseLog* log = nullptr;
  EventHub* hub = nullptr;
  Dispatcher* dispatcher = nullptr;
  const dispatch::Clock* clock = nullptr;
  PositionLog* positions = nullptr;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_SERVICES_SERVICE_CONTEXT_H_
