/* The Mayday member SDK's C ABI: what Swift, Kotlin/JNI, C and other
 * languages bind. A thin, stable layer over mayday::sdk::Client: opaque
 * handles, plain C types, callbacks with a user pointer. No C++ type crosses
 * it, and nothing in it throws.
 *
 * Stability: functions and enum values are only ever added. Structs passed in
 * (mayday_client_options) start with their own size so that they can grow;
 * fill them with mayday_client_options_init.
 *
 * Thread rules:
 *  - Every function may be called from any thread. One mayday_client may be
 *    used from many threads at once.
 *  - Callbacks run on SDK-owned threads, never on the caller's: each watch
 *    has its own thread (its event and end callbacks never run concurrently
 *    with each other), each async raise runs its callback on its alert's
 *    sender thread. Callbacks must return quickly and must not call
 *    mayday_watch_destroy / mayday_watch_wait on their own watch, nor
 *    mayday_client_destroy. Anything a callback receives by pointer is valid
 *    only during the call: copy what you keep.
 *  - mayday_last_error_message() is per thread: the message of the last
 *    failed call made on the calling thread.
 *
 * Text (notes, cancel reasons) is sent as valid UTF-8 without control
 * characters: invalid bytes become U+FFFD (a character cut off at the end is
 * dropped), control characters other than TAB and LF are removed, and a note
 * is cut to 1000 bytes between characters, so that an alert is never refused
 * over its note (see mayday::sdk::Alert::note).
 */
#ifndef MAYDAY_MAYDAY_H_
#define MAYDAY_MAYDAY_H_

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) && defined(MAYDAY_SHARED)
#define MAYDAY_API __declspec(dllexport)
#elif defined(__GNUC__)
#define MAYDAY_API __attribute__((visibility("default")))
#else
#define MAYDAY_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Result of every call that can fail. 0..16 are the gRPC status codes of
 * the failed call, with the server's message in mayday_last_error_message.
 * Values >= 100 are the C layer's own. */
typedef enum mayday_status {
  MAYDAY_OK = 0,
  MAYDAY_CANCELLED = 1,
  MAYDAY_UNKNOWN = 2,
  MAYDAY_INVALID_ARGUMENT = 3,
  MAYDAY_DEADLINE_EXCEEDED = 4,
  MAYDAY_NOT_FOUND = 5,
  MAYDAY_ALREADY_EXISTS = 6,
  MAYDAY_PERMISSION_DENIED = 7,
  MAYDAY_RESOURCE_EXHAUSTED = 8,
  MAYDAY_FAILED_PRECONDITION = 9,
  MAYDAY_ABORTED = 10,
  MAYDAY_OUT_OF_RANGE = 11,
  MAYDAY_UNIMPLEMENTED = 12,
  MAYDAY_INTERNAL = 13,
  MAYDAY_UNAVAILABLE = 14,
  MAYDAY_DATA_LOSS = 15,
  MAYDAY_UNAUTHENTICATED = 16,
  /* The caller's buffer was too small; nothing was written but a
   * terminating NUL. */
  MAYDAY_BUFFER_TOO_SMALL = 100,
  /* The server's TLS certificate was not accepted: not signed by the CA
   * given (tls_ca_pem / tls_ca_file, or the system's roots), not naming the
   * host or tls_server_name, or out of its validity dates (check the
   * device's clock). A configuration error, reported on the first attempt
   * rather than retried as a network failure; a network that intercepts TLS
   * looks the same. An alert stays queued and the SDK keeps trying it. */
  MAYDAY_UNTRUSTED_SERVER = 101
} mayday_status;

/* What kind of help (mayday.v1.CaseKind). */
typedef enum mayday_kind { MAYDAY_KIND_ROAD = 1, MAYDAY_KIND_MEDICAL = 2 } mayday_kind;

/* Where a case is (mayday.v1.CaseState). RESOLVED and CANCELLED are final. */
typedef enum mayday_case_state {
  MAYDAY_CASE_STATE_UNSPECIFIED = 0,
  MAYDAY_CASE_STATE_DISPATCHING = 1,
  MAYDAY_CASE_STATE_ASSIGNED = 2,
  MAYDAY_CASE_STATE_EN_ROUTE = 3,
  MAYDAY_CASE_STATE_ON_SCENE = 4,
  MAYDAY_CASE_STATE_RESOLVED = 5,
  MAYDAY_CASE_STATE_CANCELLED = 6,
  MAYDAY_CASE_STATE_ESCALATED = 7
} mayday_case_state;

/* How to reach the server. Strings are copied by mayday_client_create. */
typedef struct mayday_client_options {
  size_t struct_size;         /* sizeof(mayday_client_options) */
  const char* server;         /* "host:port" of maydayd. Required. */
  const char* token;          /* the member's bearer token. Required. */
  const char* data_dir;       /* app data directory for the alert outbox;
                                 NULL: alerts kept in memory only */
  int32_t call_timeout_ms;    /* per attempt; 0: 10000 */
  int32_t raise_deadline_ms;  /* mayday_raise's patience; 0: 60000 */
  int32_t initial_backoff_ms; /* first retry delay; 0: 250 */
  int32_t max_backoff_ms;     /* retry delay cap; 0: 5000 */
  /* TLS (appended after the fields above: a caller built against the
   * shorter struct gets plaintext). PEM is given as text or as a file path,
   * at most one of the two per item; NULL or "" means not given. */
  int32_t tls;                 /* 1: connect with TLS; 0: plaintext */
  const char* tls_ca_pem;      /* CA certificates that sign the server's */
  const char* tls_ca_file;     /*   certificate; neither: system roots */
  const char* tls_cert_pem;    /* client certificate chain for mutual TLS */
  const char* tls_cert_file;   /*   (responder/operator devices); optional */
  const char* tls_key_pem;     /* its private key; set with the */
  const char* tls_key_file;    /*   certificate, or not at all */
  const char* tls_server_name; /* name the server's certificate must carry
                                  when not the host in `server` */
  /* Where the member is now, for dispatch's requests of a fresher fix
   * (MAYDAY_CHANGE_FIX_REQUESTED on a watch): the SDK calls it on the
   * watch's thread, before the event callback, and sends the fix as
   * mayday_feed_location does. Fill the fields and return 1, or return 0
   * when no better fix is at hand (nothing is sent); fix_time_unix_ms 0:
   * now. Must be quick and thread-safe; current_location_user must stay
   * valid until current_location_release is called with it (or, without
   * one, while the client or any of its watches lives). NULL: the app
   * answers itself. */
  int (*current_location)(void* user, double* latitude, double* longitude, double* accuracy_meters,
                          int64_t* fix_time_unix_ms);
  void* current_location_user;
  /* Called once with current_location_user when the SDK will call
   * current_location no more: the client and every watch it started are
   * gone (on whichever thread let go of the last). Optional. */
  void (*current_location_release)(void* user);
} mayday_client_options;

/* A client (one per member session). Opaque. */
typedef struct mayday_client mayday_client;
/* A running watch of one case. Opaque. */
typedef struct mayday_watch mayday_watch;

/* Which change an event records: the member of mayday.v1.CaseEvent's
 * `change`, by its field number. */
typedef enum mayday_event_change {
  MAYDAY_CHANGE_UNKNOWN = 0, /* from a newer server */
  MAYDAY_CHANGE_RAISED = 10,
  MAYDAY_CHANGE_OFFERED = 11,
  MAYDAY_CHANGE_OFFER_ENDED = 12,
  MAYDAY_CHANGE_ASSIGNED = 13,
  MAYDAY_CHANGE_PROGRESSED = 14,
  MAYDAY_CHANGE_LOCATION_UPDATED = 15,
  MAYDAY_CHANGE_CANCELLED = 16,
  MAYDAY_CHANGE_ESCALATED = 17,
  MAYDAY_CHANGE_REDISPATCHED = 18,
  MAYDAY_CHANGE_MESSAGE_POSTED = 19,
  MAYDAY_CHANGE_RATED = 20,
  MAYDAY_CHANGE_TAKEN = 21,
  MAYDAY_CHANGE_RELEASED = 22,
  MAYDAY_CHANGE_CANCEL_REFUSED = 23, /* a wrong cancel PIN */
  MAYDAY_CHANGE_STALLED = 25,        /* the crew coming seems delayed; the
                                        care desk is told */
  MAYDAY_CHANGE_FIX_REQUESTED = 26,  /* dispatch asks for a fresher fix: the
                                        SDK sends one by itself when the app
                                        set a location source */
  MAYDAY_CHANGE_CREW_KEPT = 27       /* the crew coming stalled and a second
                                        one was sent or sought: the care desk
                                        kept `responder` */
} mayday_event_change;

/* One event of a case, valid only during the callback. The fields after
 * event_time_unix_ms are for an app that words events itself (in the
 * member's language) instead of showing `description`. */
typedef struct mayday_event {
  int64_t sequence;        /* 1, 2, 3, ... without gaps */
  mayday_case_state state; /* state of the case after the event */
  const char* case_name;   /* "cases/{id}" */
  const char* actor;       /* "members/..", "responders/..", "dispatch" */
  const char* description; /* English text, as the C++ SDK's DescribeEvent
                              words it for the member: "responders/r-2
                              accepted (1.2 km, ETA 4 min)" */
  int64_t event_time_unix_ms;
  mayday_event_change change;
  const char* responder;  /* OFFERED, OFFER_ENDED, ASSIGNED, PROGRESSED,
                             STALLED, CREW_KEPT: "responders/{id}";
                             otherwise "" */
  double distance_meters; /* OFFERED, ASSIGNED: from the responder to the
                             member, metres; otherwise 0 */
  int32_t eta_seconds;    /* OFFERED, ASSIGNED: estimated driving time;
                             otherwise 0 */
  const char* text;       /* RAISED: the note; MESSAGE_POSTED: the message;
                             CANCELLED: the reason; STALLED, FIX_REQUESTED:
                             dispatch's words; otherwise "" */
} mayday_event;

/* Called for each event of a watch, in order, each once. */
typedef void (*mayday_event_callback)(const mayday_event* event, void* user);
/* Called once, last, when a watch ends: MAYDAY_OK after the case's final
 * event, MAYDAY_CANCELLED after mayday_watch_cancel, else the error
 * (MAYDAY_UNTRUSTED_SERVER when the server's certificate is not accepted). */
typedef void (*mayday_end_callback)(mayday_status status, const char* message, void* user);
/* Called once when an async alert is acknowledged (MAYDAY_OK, case_name set)
 * or refused for good (case_name ""). */
typedef void (*mayday_raise_callback)(mayday_status status, const char* case_name,
                                      const char* message, void* user);

/* Where an alert raised with mayday_raise_with_progress is
 * (mayday::sdk::AlertState). ACKNOWLEDGED and FAILED are final. */
typedef enum mayday_alert_state {
  /* Stored, waiting for the next attempt; `error` is the last attempt's. */
  MAYDAY_ALERT_QUEUED = 0,
  /* An attempt is on the wire. */
  MAYDAY_ALERT_SENDING = 1,
  /* The server committed the case; `case_name` names it. */
  MAYDAY_ALERT_ACKNOWLEDGED = 2,
  /* Refused for good; `error` says why. */
  MAYDAY_ALERT_FAILED = 3
} mayday_alert_state;

/* A snapshot of an alert, valid only during the callback. Fields are only
 * ever appended: read struct_size before a field added later. */
typedef struct mayday_alert_progress {
  size_t struct_size; /* sizeof(mayday_alert_progress) of the SDK */
  mayday_alert_state state;
  const char* request_id; /* the idempotency key every attempt sends */
  int32_t attempts;       /* attempts made so far */
  /* QUEUED after a failed attempt, FAILED: that error (MAYDAY_UNTRUSTED_SERVER
   * for a certificate the SDK does not accept, reported at once while the
   * alert stays queued); otherwise MAYDAY_OK. */
  mayday_status error;
  const char* error_message; /* "" when error is MAYDAY_OK */
  const char* case_name;     /* ACKNOWLEDGED: "cases/{id}"; otherwise "" */
  /* 1 if the SDK changed the note before storing it: invalid UTF-8 replaced
   * or control characters removed (note_repaired), cut to 1000 bytes
   * (note_trimmed). */
  int32_t note_repaired;
  int32_t note_trimmed;
} mayday_alert_progress;

/* Called for each state change of an alert raised with
 * mayday_raise_with_progress, in order, on its sender thread. */
typedef void (*mayday_progress_callback)(const mayday_alert_progress* progress, void* user);

/* The SDK version, e.g. "0.1.0". Static storage. */
MAYDAY_API const char* mayday_version(void);
/* "OK", "UNAVAILABLE", ... for a status. Static storage. */
MAYDAY_API const char* mayday_status_name(mayday_status status);
/* The message of the last failed call on this thread ("" if none). Valid
 * until the next call on this thread. */
MAYDAY_API const char* mayday_last_error_message(void);

/* Fills `options` with defaults (all zero / NULL, struct_size set). */
MAYDAY_API void mayday_client_options_init(mayday_client_options* options);

/* Creates a client in *out. INVALID_ARGUMENT for missing server/token, a
 * negative duration, tls not 0 or 1, or TLS items that are inconsistent or
 * hold no PEM (see mayday::sdk::TlsOptions); FAILED_PRECONDITION if
 * data_dir's outbox cannot be opened. With a data_dir, alerts left pending
 * by a killed app are resent. */
MAYDAY_API mayday_status mayday_client_create(const mayday_client_options* options,
                                              mayday_client** out);
/* Destroys a client (NULL is fine). Watches it made keep working. */
MAYDAY_API void mayday_client_destroy(mayday_client* client);

/* Raises an alert and blocks until the server has committed the case, for
 * at most raise_deadline (retrying UNAVAILABLE / DEADLINE_EXCEEDED). On
 * MAYDAY_OK writes "cases/{id}" into case_name (buffer of case_name_size
 * bytes; 64 is plenty). note may be NULL. Returns MAYDAY_UNTRUSTED_SERVER at
 * once when the server's certificate is not accepted; the alert stays queued
 * and is delivered in the background while the client lives. */
MAYDAY_API mayday_status mayday_raise(mayday_client* client, mayday_kind kind, double latitude,
                                      double longitude, double accuracy_meters, const char* note,
                                      char* case_name, size_t case_name_size);

/* Raises an alert without blocking: it is stored in the outbox before this
 * returns and delivered in the background until acknowledged; `callback`
 * (may be NULL) reports the outcome on an SDK thread. The alert's
 * request_id (32 hex digits) is written to request_id if it is not NULL and
 * request_id_size >= 33. */
MAYDAY_API mayday_status mayday_raise_async(mayday_client* client, mayday_kind kind,
                                            double latitude, double longitude,
                                            double accuracy_meters, const char* note,
                                            mayday_raise_callback callback, void* user,
                                            char* request_id, size_t request_id_size);

/* Like mayday_raise_async, but `progress` (may be NULL) is called for every
 * state change, as the C++ AlertCallback is: an app hears at once of a
 * server whose certificate it does not accept (QUEUED with
 * MAYDAY_UNTRUSTED_SERVER) and of a note the SDK changed, not only of the
 * final outcome. */
MAYDAY_API mayday_status mayday_raise_with_progress(mayday_client* client, mayday_kind kind,
                                                    double latitude, double longitude,
                                                    double accuracy_meters, const char* note,
                                                    mayday_progress_callback progress, void* user,
                                                    char* request_id, size_t request_id_size);

/* Starts watching events with sequence > after_sequence. Both callbacks are
 * required; `user` is passed to them. On MAYDAY_OK *out owns the watch:
 * destroy it with mayday_watch_destroy. */
MAYDAY_API mayday_status mayday_watch_start(mayday_client* client, const char* case_name,
                                            int64_t after_sequence, mayday_event_callback on_event,
                                            mayday_end_callback on_end, void* user,
                                            mayday_watch** out);
/* Where the crew coming to a case is, valid only during the callback.
 * Fields are only ever appended: read struct_size before a field added
 * later. */
typedef struct mayday_crew_position {
  size_t struct_size;      /* sizeof(mayday_crew_position) of the SDK */
  const char* case_name;   /* "cases/{id}" */
  mayday_case_state state; /* ASSIGNED or EN_ROUTE */
  double latitude;         /* where the crew reported being */
  double longitude;
  double accuracy_meters;      /* of that fix; 0 if unknown */
  double distance_meters;      /* from the crew to the member's location */
  int32_t eta_seconds;         /* estimated time to reach the member */
  int64_t report_time_unix_ms; /* when the server received the position */
} mayday_crew_position;
typedef void (*mayday_crew_callback)(const mayday_crew_position* position, void* user);
/* Starts following the crew coming to the member's case: on_position at
 * once when the case is (or becomes) assigned, then every 100 m the crew
 * moves and at least every 10 s; nothing while the case waits for a crew.
 * Reconnects by itself. on_end: MAYDAY_OK once the crew is on scene or the
 * case is over, MAYDAY_CANCELLED after mayday_watch_cancel, else the error
 * (MAYDAY_NOT_FOUND for a case that is not the member's). Both callbacks
 * are required; *out is a watch as mayday_watch_start's. */
MAYDAY_API mayday_status mayday_watch_crew_start(mayday_client* client, const char* case_name,
                                                 mayday_crew_callback on_position,
                                                 mayday_end_callback on_end, void* user,
                                                 mayday_watch** out);
/* Stops a watch (its end callback gets MAYDAY_CANCELLED). Returns at once. */
MAYDAY_API void mayday_watch_cancel(mayday_watch* watch);
/* Waits up to timeout_ms for the watch to end; returns 1 if it has ended. */
MAYDAY_API int mayday_watch_wait(mayday_watch* watch, int32_t timeout_ms);
/* Cancels, waits for the end callback and frees the watch (NULL is fine). */
MAYDAY_API void mayday_watch_destroy(mayday_watch* watch);

/* Cancels an open case. FAILED_PRECONDITION if it is already closed. */
MAYDAY_API mayday_status mayday_cancel_case(mayday_client* client, const char* case_name,
                                            const char* reason);
/* As mayday_cancel_case, with the PIN the member typed, when the member has
 * a cancel PIN (mayday_set_cancel_pins). MAYDAY_PERMISSION_DENIED for a
 * wrong PIN, counted on the case: after 5 the member can no longer cancel
 * it (MAYDAY_FAILED_PRECONDITION) and a care agent calls. No PIN when one
 * is set: MAYDAY_FAILED_PRECONDITION. The duress PIN answers as the cancel
 * PIN does, and everything this client reads of the case from then on
 * shows it cancelled while help goes on: show the member nothing else. */
MAYDAY_API mayday_status mayday_cancel_case_with_pin(mayday_client* client, const char* case_name,
                                                     const char* reason, const char* pin);
/* Sets, replaces or clears (both NULL or "") the member's cancel PIN and
 * duress PIN, 4 to 12 digits each; current_pin is the cancel PIN set now
 * (NULL or "" if none). MAYDAY_INVALID_ARGUMENT for a malformed PIN, a
 * duress PIN without a cancel PIN or equal to it; MAYDAY_PERMISSION_DENIED
 * for a wrong current_pin. One attempt. */
MAYDAY_API mayday_status mayday_set_cancel_pins(mayday_client* client, const char* current_pin,
                                                const char* cancel_pin, const char* duress_pin);
/* Whether the member has a cancel PIN and a duress PIN: 1 or 0 in each
 * out-parameter (either may be NULL). One attempt. */
MAYDAY_API mayday_status mayday_get_cancel_pins(mayday_client* client, int* cancel_pin_set,
                                                int* duress_pin_set);

/* The member's medical profile, as JSON in protobuf's JSON mapping of
 * mayday.v1.MedicalProfile ({"allergies":["penicillin"],"bloodGroup":
 * "BLOOD_GROUP_O_NEGATIVE","emergencyContacts":[{"name":"Ruth","phone":
 * "+447700900123"}],...}): stored encrypted, shown only to the member, to
 * the crew of the member's open medical case while assigned, and to care
 * agents. mayday_update_medical_profile replaces the whole profile
 * (MAYDAY_INVALID_ARGUMENT for JSON that is not a profile or a field over
 * its limit, the message naming it); mayday_get_medical_profile writes it
 * into json (MAYDAY_NOT_FOUND while there is none); mayday_delete_medical_
 * profile removes it (MAYDAY_OK if there was none). MAYDAY_FAILED_PRECONDITION
 * on a server that keeps no profiles. One attempt each. */
MAYDAY_API mayday_status mayday_update_medical_profile(mayday_client* client, const char* json);
MAYDAY_API mayday_status mayday_get_medical_profile(mayday_client* client, char* json,
                                                    size_t json_size);
MAYDAY_API mayday_status mayday_delete_medical_profile(mayday_client* client);

/* Starts a safety timer ("check in by 23:30 or send help"): unless the
 * member ends it before deadline_unix_seconds (10 s to 7 days from now),
 * the server raises a `kind` alert at the last location the member
 * reported, with `note`, exactly once, even if the phone is lost. Writes
 * "timers/{id}" to timer_name. request_id: the app's key for this start,
 * reused to retry one whose answer was lost, or NULL for one made here.
 * MAYDAY_FAILED_PRECONDITION while another timer runs (the message names
 * it). One attempt. */
MAYDAY_API mayday_status mayday_start_safety_timer(mayday_client* client, mayday_kind kind,
                                                   double latitude, double longitude,
                                                   double accuracy_meters, const char* note,
                                                   int64_t deadline_unix_seconds,
                                                   const char* request_id, char* timer_name,
                                                   size_t timer_name_size);
/* Reports where the member is now and, if deadline_unix_seconds > 0, moves
 * the deadline. MAYDAY_FAILED_PRECONDITION once the timer ended or fired.
 * One attempt. */
MAYDAY_API mayday_status mayday_update_safety_timer(mayday_client* client, const char* timer_name,
                                                    double latitude, double longitude,
                                                    double accuracy_meters,
                                                    int64_t deadline_unix_seconds);
/* Ends a running timer: nothing is raised. pin as for
 * mayday_cancel_case_with_pin (NULL when the member has none); the duress
 * PIN seems to end it and raises the alert for the care desk at once: show
 * the member nothing else. 5 wrong PINs fire the timer. One attempt. */
MAYDAY_API mayday_status mayday_end_safety_timer(mayday_client* client, const char* timer_name,
                                                 const char* pin);
/* Feeds the member's newest position for a case; sent in the background,
 * coalescing to the newest when the network is slow. */
MAYDAY_API mayday_status mayday_feed_location(mayday_client* client, const char* case_name,
                                              double latitude, double longitude,
                                              double accuracy_meters);

/* An alert another member raised on this device, still queued. */
typedef struct mayday_queued_alert {
  char request_id[129]; /* NUL-terminated */
  mayday_kind kind;
  int64_t raised_unix_seconds;
} mayday_queued_alert;
/* The alerts raised on this device by other members (other tokens on the
 * same data_dir) and still queued, oldest first. They are never sent under
 * this client's token, only through a client created with their member's.
 * Returns how many there are (-1 if client is NULL) and fills the first
 * `max` into `out` (NULL with max 0: only count). Thread-safe. */
MAYDAY_API int32_t mayday_alerts_queued_for_others(mayday_client* client, mayday_queued_alert* out,
                                                   int32_t max);

/* An alert an earlier run of the app left queued in data_dir, as this
 * client resends it (mayday::sdk::Client::ResumedAlerts). */
typedef struct mayday_resumed_alert {
  char request_id[129]; /* NUL-terminated */
  mayday_alert_state state;
  char case_name[128]; /* ACKNOWLEDGED: "cases/{id}"; otherwise "" */
  mayday_status error; /* FAILED, or QUEUED after a failed attempt: why */
} mayday_resumed_alert;
/* The alerts mayday_client_create found pending in data_dir (the app was
 * killed or closed before the server had them), oldest first, with where
 * each is now: an app can tell the member "your alert from before was
 * delivered: case X". Returns how many there are (-1 if client is NULL)
 * and fills the first `max` into `out` (NULL with max 0: only count).
 * Call again to see them move on. Thread-safe. */
MAYDAY_API int32_t mayday_resumed_alerts(mayday_client* client, mayday_resumed_alert* out,
                                         int32_t max);

/* A snapshot of a case (mayday.v1.Case), in one block the SDK allocated:
 * free it with mayday_case_free (a case inside a mayday_case_page is freed
 * with its page). Strings are UTF-8, never NULL ("" when unset). Fields are
 * only ever appended: read struct_size before a field added later. */
typedef struct mayday_case {
  size_t struct_size; /* sizeof(mayday_case) of the SDK */
  const char* name;   /* "cases/{id}" */
  mayday_kind kind;
  mayday_case_state state;
  double latitude; /* the member's latest known location */
  double longitude;
  double accuracy_meters;    /* 0: unknown */
  const char* note;          /* the member's note, as stored */
  const char* responder;     /* "responders/{id}" once ASSIGNED, else "" */
  int32_t eta_seconds;       /* the responder's driving time at assignment; 0 */
  const char* request_id;    /* the key of the alert that opened it */
  const char* cancel_reason; /* when CANCELLED */
  const char* care_agent;    /* "operators/{id}" who took it, or "" */
  int64_t create_time_unix_ms;
  int64_t update_time_unix_ms;
  int64_t last_sequence;      /* watch from here for what comes next */
  int32_t rating_stars;       /* 1..5 once rated, else 0 */
  const char* rating_comment; /* "" if none */
} mayday_case;

/* One page of the member's cases, newest first; free with
 * mayday_case_page_free. */
typedef struct mayday_case_page {
  size_t struct_size;          /* sizeof(mayday_case_page) of the SDK */
  int32_t count;               /* cases in `cases` */
  const mayday_case* cases;    /* `count` of them */
  const char* next_page_token; /* pass to mayday_list_cases; "" on the last */
} mayday_case_page;

/* The member's case `case_name` in *out (free it with mayday_case_free).
 * NOT_FOUND if there is none, or not the member's. One attempt. */
MAYDAY_API mayday_status mayday_get_case(mayday_client* client, const char* case_name,
                                         mayday_case** out);
/* Frees a case from mayday_get_case (NULL is fine). */
MAYDAY_API void mayday_case_free(mayday_case* c);

/* One page of the member's cases in *out (free it with
 * mayday_case_page_free): page_size 0 for the server's default (50),
 * page_token NULL or "" for the first page. One attempt. */
MAYDAY_API mayday_status mayday_list_cases(mayday_client* client, int32_t page_size,
                                           const char* page_token, mayday_case_page** out);
/* Frees a page from mayday_list_cases (NULL is fine). */
MAYDAY_API void mayday_case_page_free(mayday_case_page* page);

/* Writes a message on one of the member's open cases, for the care agents
 * and the assigned responder; *out_sequence (may be NULL) gets the event's
 * sequence. The text is cleaned like a note (above). INVALID_ARGUMENT for
 * empty text or more than 1000 bytes; FAILED_PRECONDITION once the case is
 * closed. One attempt. */
MAYDAY_API mayday_status mayday_post_message(mayday_client* client, const char* case_name,
                                             const char* text, int64_t* out_sequence);

/* Rates a closed case once: 1 to 5 stars, comment optional (NULL or "").
 * INVALID_ARGUMENT for stars outside 1..5; FAILED_PRECONDITION if the case
 * is open or already rated. One attempt. */
MAYDAY_API mayday_status mayday_rate_case(mayday_client* client, const char* case_name,
                                          int32_t stars, const char* comment);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MAYDAY_MAYDAY_H_ */
