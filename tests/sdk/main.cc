// The Catch2 main for sdk_test (its own, not Catch2WithMain's library, so
// that a cross build of the SDK needs only Catch2's headers: Debian's
// catch2 package keeps that library outside the multiarch folders, and
// its arm64 copy would replace the build machine's).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
