// End-to-end tests: they start the real boxoffice binary and talk to it the
// way other nodes do, over CAF's network layer on loopback.
#define BOOST_TEST_MODULE boxoffice_e2e
#include <boost/test/unit_test.hpp>

#include "persistence/openssl_lifetime.h"

// As the server does: see persistence/openssl_lifetime.h.
struct openssl_until_exit {
  openssl_until_exit() { boxoffice::keep_openssl_until_exit(); }
};
BOOST_TEST_GLOBAL_FIXTURE(openssl_until_exit);
