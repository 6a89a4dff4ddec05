// Rendezvous placement in plain C++: the same answer everywhere, an even
// spread, and minimal movement when a node joins or leaves.
#include "cluster/placement.h"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <map>

using boxoffice::cluster::place_event;

namespace {

constexpr uint64_t events = 30000;

std::vector<std::string> nodes(int n) {
  std::vector<std::string> out;
  for (int i = 1; i <= n; ++i)
    out.push_back("node-" + std::to_string(i));
  return out;
}

std::vector<std::string> placements(const std::vector<std::string>& members) {
  std::vector<std::string> out;
  for (uint64_t e = 1; e <= events; ++e)
    out.push_back(*place_event(e, members));
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_placement)

BOOST_AUTO_TEST_CASE(no_members_no_owner) {
  BOOST_TEST(!place_event(1, {}));
  BOOST_TEST(*place_event(1, {"only"}) == "only");
}

BOOST_AUTO_TEST_CASE(every_node_computes_the_same_owner_whatever_the_order_of_its_list) {
  auto members = nodes(5);
  const auto expected = placements(members);
  std::reverse(members.begin(), members.end());
  BOOST_TEST(placements(members) == expected, boost::test_tools::per_element());
  std::rotate(members.begin(), members.begin() + 2, members.end());
  BOOST_TEST(placements(members) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(events_spread_evenly) {
  for (int n : {2, 3, 5, 10}) {
    std::map<std::string, uint64_t> counts;
    for (const auto& owner : placements(nodes(n)))
      ++counts[owner];
    BOOST_TEST_CONTEXT(n << " nodes") {
      BOOST_TEST(counts.size() == static_cast<std::size_t>(n));
      const double fair = static_cast<double>(events) / n;
      for (const auto& [node, count] : counts)
        BOOST_TEST(std::abs(static_cast<double>(count) - fair) < fair * 0.05,
                   node << ": " << count);
    }
  }
}

// A join moves about 1/(n+1) of the events, every one of them to the new
// node: nothing moves between the nodes that were there.
BOOST_AUTO_TEST_CASE(a_join_moves_about_one_in_n_plus_one_and_only_to_the_new_node) {
  for (int n : {1, 2, 3, 9}) {
    const auto before = placements(nodes(n));
    const auto after = placements(nodes(n + 1));
    const std::string newcomer = "node-" + std::to_string(n + 1);
    uint64_t moved = 0;
    for (uint64_t i = 0; i < events; ++i) {
      if (before[i] == after[i])
        continue;
      ++moved;
      BOOST_TEST_REQUIRE(after[i] == newcomer, "event " << i + 1 << " moved to " << after[i]);
    }
    const double expected = static_cast<double>(events) / (n + 1);
    BOOST_TEST_CONTEXT(n << " -> " << n + 1 << " nodes: " << moved << " moved") {
      BOOST_TEST(std::abs(static_cast<double>(moved) - expected) < expected * 0.05);
    }
  }
}

// A leave moves exactly the leaver's events, spread over the others.
BOOST_AUTO_TEST_CASE(a_leave_moves_only_the_leavers_events) {
  const auto members = nodes(4);
  const auto before = placements(members);
  for (const auto& leaver : members) {
    auto rest = members;
    rest.erase(std::find(rest.begin(), rest.end(), leaver));
    const auto after = placements(rest);
    std::map<std::string, uint64_t> taken_by;
    for (uint64_t i = 0; i < events; ++i) {
      if (before[i] == leaver)
        ++taken_by[after[i]];
      else
        BOOST_TEST_REQUIRE(after[i] == before[i], "event " << i + 1 << " of " << before[i]);
    }
    BOOST_TEST_CONTEXT(leaver << " left") {
      BOOST_TEST(taken_by.size() == rest.size());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
