/* mayday-panic-c: mayday-panic written in C against mayday/mayday.h only,
 * the way a Swift, Kotlin/JNI or plain C app binds the SDK. Raises a road or
 * medical alert, prints the case name, then one line per case event until
 * the case is resolved or cancelled.
 *
 *   mayday-panic-c SERVER TOKEN road|medical LAT LON [DATA_DIR]
 *
 * Exit status: 0 when the case closed, 1 on error (message on stderr), 2 on
 * a usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mayday/mayday.h"

static const char* StateName(mayday_case_state state) {
  static const char* const kNames[] = {"UNSPECIFIED", "DISPATCHING", "ASSIGNED",  "EN_ROUTE",
                                       "ON_SCENE",    "RESOLVED",    "CANCELLED", "ESCALATED"};
  if (state < 0 || state > MAYDAY_CASE_STATE_ESCALATED) return "?";
  return kNames[state];
}

/* Runs on the watch's thread. */
static void OnEvent(const mayday_event* event, void* user) {
  (void)user;
  printf("#%lld %-11s %s\n", (long long)event->sequence, StateName(event->state),
         event->description);
  fflush(stdout);
}

/* Runs on the watch's thread, once, last. */
static void OnEnd(mayday_status status, const char* message, void* user) {
  *(mayday_status*)user = status;
  if (status != MAYDAY_OK) {
    fprintf(stderr, "mayday-panic-c: watch ended: %s (%s)\n", message, mayday_status_name(status));
  }
}

int main(int argc, char** argv) {
  if (argc < 6 || argc > 7 || (strcmp(argv[3], "road") != 0 && strcmp(argv[3], "medical") != 0)) {
    fprintf(stderr,
            "usage: mayday-panic-c SERVER TOKEN road|medical LAT LON "
            "[DATA_DIR]\n(mayday SDK %s)\n",
            mayday_version());
    return 2;
  }
  mayday_client_options options;
  mayday_client_options_init(&options);
  options.server = argv[1];
  options.token = argv[2];
  options.data_dir = argc == 7 ? argv[6] : NULL;

  mayday_client* client = NULL;
  mayday_status status = mayday_client_create(&options, &client);
  if (status != MAYDAY_OK) {
    fprintf(stderr, "mayday-panic-c: %s (%s)\n", mayday_last_error_message(),
            mayday_status_name(status));
    return 1;
  }
  const mayday_kind kind = strcmp(argv[3], "medical") == 0 ? MAYDAY_KIND_MEDICAL : MAYDAY_KIND_ROAD;
  char case_name[128];
  status = mayday_raise(client, kind, atof(argv[4]), atof(argv[5]), 0, NULL, case_name,
                        sizeof(case_name));
  if (status != MAYDAY_OK) {
    fprintf(stderr, "mayday-panic-c: %s (%s)\n", mayday_last_error_message(),
            mayday_status_name(status));
    mayday_client_destroy(client);
    return 1;
  }
  printf("%s\n", case_name);
  fflush(stdout);

  mayday_status end = MAYDAY_UNKNOWN;
  mayday_watch* watch = NULL;
  status = mayday_watch_start(client, case_name, 0, OnEvent, OnEnd, &end, &watch);
  if (status != MAYDAY_OK) {
    fprintf(stderr, "mayday-panic-c: %s (%s)\n", mayday_last_error_message(),
            mayday_status_name(status));
    mayday_client_destroy(client);
    return 1;
  }
  while (!mayday_watch_wait(watch, 1000)) {
  }
  mayday_watch_destroy(watch);
  mayday_client_destroy(client);
  return end == MAYDAY_OK ? 0 : 1;
}
