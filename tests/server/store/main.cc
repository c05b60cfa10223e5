// The Catch2 main of store_test.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
