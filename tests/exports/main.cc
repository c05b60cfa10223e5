// The Catch2 main for exports_test.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
