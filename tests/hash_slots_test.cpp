// The bound on password hashing (http/hash_slots.h): places are taken up to
// the bound, a refusal changes nothing, and a place comes back when its
// holder (the job of a signup or login) is gone.
#include "http/hash_slots.h"

#include <boost/test/unit_test.hpp>

#include <vector>

using boxoffice::http::hash_slots;

BOOST_AUTO_TEST_SUITE(hash_slots_bound)

BOOST_AUTO_TEST_CASE(refuses_past_the_bound_and_changes_nothing) {
  auto slots = std::make_shared<hash_slots>(3);
  std::vector<std::shared_ptr<void>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(slots->take());
    BOOST_TEST(held.back() != nullptr);
  }
  BOOST_TEST(slots->taken() == 3u);
  for (int i = 0; i < 5; ++i)
    BOOST_TEST(slots->take() == nullptr);
  BOOST_TEST(slots->taken() == 3u);  // the refusals took nothing
}

BOOST_AUTO_TEST_CASE(a_place_comes_back_when_its_last_holder_is_gone) {
  auto slots = std::make_shared<hash_slots>(1);
  auto place = slots->take();
  BOOST_REQUIRE(place != nullptr);
  auto copy = place;  // the job's reply callback holds a copy
  place.reset();
  BOOST_TEST(slots->take() == nullptr);
  copy.reset();
  BOOST_TEST(slots->taken() == 0u);
  BOOST_TEST(slots->take() != nullptr);
}

BOOST_AUTO_TEST_CASE(a_bound_of_zero_refuses_everything) {
  auto slots = std::make_shared<hash_slots>(0);
  BOOST_TEST(slots->take() == nullptr);
  BOOST_TEST(slots->taken() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
