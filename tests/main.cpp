// The test binary's one main(): Boost.Test's, with CAF's test engine linked
// in for the deterministic coordinator (Debian ships no libcaf_test).
#define BOOST_TEST_MODULE boxoffice
#include <boost/test/unit_test.hpp>

#define CAF_TEST_NO_MAIN
#include <caf/test/unit_test_impl.hpp>
