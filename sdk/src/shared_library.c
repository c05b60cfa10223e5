/* libmayday.so is the SDK's static libraries, whole (sdk/CMakeLists.txt):
 * this file only gives the target a source of its own. */
#include "mayday/mayday.h"
