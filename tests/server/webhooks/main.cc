// The Catch2 main for webhook_http_test.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
