// The cluster test binary's one main(): Boost.Test's, with CAF's test
// engine linked in for the deterministic coordinator (Debian ships no
// libcaf_test; tests/cluster/link_test.cpp uses it).
#define BOOST_TEST_MODULE boxoffice_cluster
#include <boost/test/unit_test.hpp>

#include "persistence/openssl_lifetime.h"

// As the server does (persistence/openssl_lifetime.h): the TLS links and
// libpq share OpenSSL, which must outlive every thread using it.
struct openssl_until_exit {
  openssl_until_exit() { boxoffice::keep_openssl_until_exit(); }
};
BOOST_TEST_GLOBAL_FIXTURE(openssl_until_exit);

#define CAF_TEST_NO_MAIN
#include <caf/test/unit_test_impl.hpp>
