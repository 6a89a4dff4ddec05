// The cluster test binary's one main(): Boost.Test's.
#define BOOST_TEST_MODULE boxoffice_cluster
#include <boost/test/unit_test.hpp>
