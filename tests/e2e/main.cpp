// End-to-end tests: they start the real boxoffice binary and talk to it the
// way other nodes do, over CAF's network layer on loopback.
#define BOOST_TEST_MODULE boxoffice_e2e
#include <boost/test/unit_test.hpp>
