/* What a reader of docs/sdk.md's C examples already has: the names the
 * examples use without declaring them (tests/docs/snippets.py). */
#ifndef MAYDAY_TESTS_DOCS_SNIPPET_CONTEXT_H_
#define MAYDAY_TESTS_DOCS_SNIPPET_CONTEXT_H_

#include <stdio.h>

#include "mayday/mayday.h"

/* From the app's login flow and its storage. */
static const char* token = "token";
static const char* data_dir = "/tmp";
/* The app's own state, handed back to its callbacks. */
static void* my_context = NULL;
/* The member's fix and words. */
static double lat = 52.37, lon = 4.90, acc = 10;
static const char* note = "";
/* The PINs the member chose in the app's settings, and the one typed. */
static const char* cancel_pin = "2468";
static const char* duress_pin = "1357";
static const char* typed_pin = "2468";
/* When the member's safety timer runs out: an hour from now. */
static int64_t deadline_unix_seconds = 2000000000;
/* What earlier examples on the page made. */
static mayday_client* client = NULL;
static char case_name[64];
static char request_id[129];

static void on_event(const mayday_event* event, void* user) {
  (void)user;
  printf("%s\n", event->description);
}

static void on_end(mayday_status status, const char* message, void* user) {
  (void)user;
  printf("%d %s\n", (int)status, message);
}

#endif /* MAYDAY_TESTS_DOCS_SNIPPET_CONTEXT_H_ */
