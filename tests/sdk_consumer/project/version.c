/* Built through pkg-config (mayday-sdk.pc): prints the SDK version. */
#include <stdio.h>

#include "mayday/mayday.h"

int main(void) {
  printf("mayday SDK %s via pkg-config\n", mayday_version());
  return mayday_version()[0] != '\0' ? 0 : 1;
}
