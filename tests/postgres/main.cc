// The Catch2 main for postgres_test.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
