// Tests for section_state, the rules of one section with no actor around it:
// all-or-nothing holds, refusals that change nothing, best available, GA
// capacity, expiry by deadline, extend, purchase, cancel, the memory of ended
// holds, and snapshots. Every operation goes through `section`, whose -> runs
// check_invariants() after the call, so a test that corrupts the books aborts.
#include "actors/section_state.h"

#include "actors/seat_labels.h"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

// Only qualified in the suite: it opens a namespace named section_state.
using namespace boxoffice;
using labels = std::vector<std::string>;

constexpr timestamp_ms t0 = 1'000'000;
constexpr timestamp_ms second = 1000;
constexpr timestamp_ms ttl = reservation_limits{}.hold_ttl_s * second;            // 600 s
constexpr timestamp_ms lifetime = reservation_limits{}.hold_max_lifetime_s * second;  // 1800 s
constexpr customer_id alice = 1;
constexpr customer_id bob = 2;

// "ok" or the refusal's code, so that checks read like the protocol.
template <class T>
std::string why(const outcome<T>& result) {
  return result ? "ok" : to_string(result.error());
}

std::string why(const std::optional<errc>& refusal) {
  return refusal ? to_string(*refusal) : "ok";
}

// A section_state whose every call through -> is followed, when the full
// expression ends, by check_invariants(), which aborts on a violation.
class section {
public:
  explicit section(boxoffice::section_state state) : state_(std::move(state)) {
    state_.check_invariants();
  }
  explicit section(section_layout layout, const reservation_limits& limits = {})
    : section(boxoffice::section_state{layout, limits}) {}

  struct checked_call {
    boxoffice::section_state* state;
    ~checked_call() { state->check_invariants(); }
    boxoffice::section_state* operator->() const { return state; }
  };
  checked_call operator->() { return {&state_}; }

  std::string labels_of(const std::vector<uint32_t>& seats) const {
    std::string text;
    for (auto seat : seats)
      text += (text.empty() ? "" : " ") + seat_label(state_.layout(), seat);
    return text;
  }

  // Seats row by row: '.' free, 'H' held, 'S' sold, rows split by '|'.
  std::string draw() const {
    std::string text;
    const auto& seats = state_.seats();
    for (size_t i = 0; i < seats.size(); ++i) {
      if (i > 0 && i % state_.layout().seats_per_row == 0)
        text += '|';
      text += seats[i] == seat_status::free ? '.' : seats[i] == seat_status::held ? 'H' : 'S';
    }
    return text;
  }

  std::string counts() const {
    auto n = state_.stats();
    std::ostringstream out;
    out << "free=" << n.free << " held=" << n.held << " sold=" << n.sold
        << " holds=" << n.live_holds << " orders=" << n.orders;
    return out.str();
  }

  // Everything observable, to prove that a refusal changed nothing and that
  // a restored section equals the original.
  std::string books() const {
    section_snapshot snapshot;
    state_.fill(snapshot);
    std::ostringstream out;
    out << counts() << " next=" << snapshot.next_hold_id << "/" << snapshot.next_order_id
        << " seats=" << draw();
    for (const auto& h : snapshot.holds)
      out << " hold{" << h.id << " c" << h.customer << " q" << h.quantity << " ["
          << labels_of(h.seats) << "] " << h.created_at << ".." << h.expires_at << "}";
    for (const auto& o : snapshot.orders)
      out << " order{" << o.id << " c" << o.customer << " h" << o.from_hold << " q"
          << o.quantity << " [" << labels_of(o.seats) << "] " << o.created_at << "}";
    return out.str();
  }

private:
  boxoffice::section_state state_;
};

// A GA section of `capacity` with one hold and one order.
section_snapshot ga_snapshot(uint32_t capacity, uint32_t held, uint32_t sold) {
  section_snapshot snapshot;
  snapshot.info.layout = general_layout(capacity);
  snapshot.holds = {{1, alice, {}, held, t0, t0 + ttl}};
  snapshot.orders = {{1, bob, 2, {}, sold, t0}};
  return snapshot;
}

labels row_labels(const std::string& row, uint32_t first, uint32_t last) {
  labels result;
  for (auto n = first; n <= last; ++n)
    result.push_back(row + "-" + std::to_string(n));
  return result;
}

} // namespace

BOOST_AUTO_TEST_SUITE(section_state)

BOOST_AUTO_TEST_CASE(holds_named_seats) {
  section s{reserved_layout(3, 10)};
  auto h = s->hold(alice, {"B-5", "A-1", "A-2"}, 0, t0);
  BOOST_TEST_REQUIRE(why(h) == "ok");
  BOOST_TEST(h->id == 1u);
  BOOST_TEST(h->customer == alice);
  BOOST_TEST(s.labels_of(h->seats) == "A-1 A-2 B-5");
  BOOST_TEST(h->quantity == 3u);
  BOOST_TEST(h->created_at == t0);
  BOOST_TEST(h->expires_at == t0 + ttl);
  BOOST_TEST(s.draw() == "HH........|....H.....|..........");
  BOOST_TEST(s.counts() == "free=27 held=3 sold=0 holds=1 orders=0");
  BOOST_TEST(s.labels_of(s->find_hold(h->id, alice, t0)->seats) == "A-1 A-2 B-5");
}

BOOST_AUTO_TEST_CASE(a_hold_is_all_or_nothing) {
  // The taken seat first, in the middle and last; taken by a hold or an order.
  for (uint32_t taken : {0u, 6u, 9u}) {
    for (bool sold : {false, true}) {
      BOOST_TEST_CONTEXT("seat A-" << taken + 1 << (sold ? " sold" : " held")) {
        section s{reserved_layout(2, 10)};
        auto other = s->hold(bob, {"A-" + std::to_string(taken + 1)}, 0, t0);
        if (sold)
          BOOST_TEST_REQUIRE(why(s->purchase(other->id, bob, t0)) == "ok");
        auto before = s.books();
        BOOST_TEST(why(s->hold(alice, row_labels("A", 1, 10), 0, t0)) == "seat_unavailable");
        BOOST_TEST(s.books() == before);
        std::string row_a(10, '.');
        row_a[taken] = sold ? 'S' : 'H';
        BOOST_TEST(s.draw() == row_a + "|..........");  // the nine others still free
        BOOST_TEST(s.counts() == (sold ? "free=19 held=0 sold=1 holds=0 orders=1"
                                       : "free=19 held=1 sold=0 holds=1 orders=0"));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(two_customers_one_seat_exactly_one_wins) {
  section s{reserved_layout(1, 10)};
  BOOST_TEST(why(s->hold(alice, {"A-5"}, 0, t0)) == "ok");
  BOOST_TEST(why(s->hold(bob, {"A-5"}, 0, t0)) == "seat_unavailable");
  BOOST_TEST(why(s->hold(bob, {"A-6", "A-5"}, 0, t0)) == "seat_unavailable");
  BOOST_TEST(s.draw() == "....H.....");
  BOOST_TEST(s.counts() == "free=9 held=1 sold=0 holds=1 orders=0");
}

BOOST_AUTO_TEST_CASE(refused_holds_change_nothing) {
  auto eleven = row_labels("C", 1, 10);
  eleven.push_back("B-1");
  struct {
    const char* what;
    labels seats;
    int32_t quantity;
    const char* error;
  } cases[] = {
    {"unknown row", {"D-1"}, 0, "unknown_seat"},
    {"unknown seat number", {"A-11"}, 0, "unknown_seat"},
    {"unknown label after good ones", {"B-1", "B-2", "B-99"}, 0, "unknown_seat"},
    {"malformed label", {"b-1"}, 0, "unknown_seat"},
    {"duplicate seat", {"B-2", "B-3", "B-2"}, 0, "invalid_request"},
    {"seats and quantity both", {"B-2"}, 1, "invalid_request"},
    {"zero quantity", {}, 0, "invalid_quantity"},
    {"negative quantity", {}, -1, "invalid_quantity"},
    {"most negative quantity", {}, INT32_MIN, "invalid_quantity"},
    {"quantity over max_seats_per_hold", {}, 11, "too_many_seats"},
    {"labels over max_seats_per_hold", eleven, 0, "too_many_seats"},
    {"a held seat among free ones", {"B-1", "A-1"}, 0, "seat_unavailable"},
    {"a sold seat among free ones", {"A-5", "B-2"}, 0, "seat_unavailable"},
    {"no block long enough", {}, 10, "not_enough_seats"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.what) {
      section s{reserved_layout(3, 10)};
      BOOST_TEST_REQUIRE(why(s->hold(bob, {"A-1", "B-5", "C-10"}, 0, t0)) == "ok");
      BOOST_TEST_REQUIRE(why(s->purchase(s->hold(alice, {"A-5"}, 0, t0)->id, alice, t0)) == "ok");
      auto before = s.books();
      BOOST_TEST(why(s->hold(alice, c.seats, c.quantity, t0)) == c.error);
      BOOST_TEST(s.books() == before);
    }
  }
}

BOOST_AUTO_TEST_CASE(best_available_by_quantity_holds_adjacent_seats) {
  section s{reserved_layout(3, 10)};
  BOOST_TEST(s.labels_of(s->hold(alice, {}, 4, t0)->seats) == "A-4 A-5 A-6 A-7");
  BOOST_TEST(s.labels_of(s->hold(bob, {}, 4, t0)->seats) == "B-4 B-5 B-6 B-7");
  BOOST_TEST(s.labels_of(s->hold(alice, {}, 3, t0)->seats) == "A-1 A-2 A-3");
  BOOST_TEST(s.labels_of(s->hold(bob, {}, 10, t0)->seats)
             == "C-1 C-2 C-3 C-4 C-5 C-6 C-7 C-8 C-9 C-10");
  BOOST_TEST(s.draw() == "HHHHHHH...|...HHHH...|HHHHHHHHHH");
  auto before = s.books();
  BOOST_TEST(why(s->hold(alice, {}, 4, t0)) == "not_enough_seats");
  BOOST_TEST(s.books() == before);
}

BOOST_AUTO_TEST_CASE(general_admission_never_exceeds_capacity) {
  section s{general_layout(25)};
  BOOST_TEST_REQUIRE(why(s->hold(alice, {}, 10, t0)) == "ok");
  auto bobs = s->hold(bob, {}, 10, t0);
  auto before = s.books();
  BOOST_TEST(why(s->hold(alice, {}, 6, t0)) == "not_enough_seats");  // 5 left: not 5 of 6
  BOOST_TEST(s.books() == before);
  auto last = s->hold(alice, {}, 5, t0);
  BOOST_TEST_REQUIRE(why(last) == "ok");
  BOOST_TEST(last->seats.empty());
  BOOST_TEST(last->quantity == 5u);
  BOOST_TEST(s.counts() == "free=0 held=25 sold=0 holds=3 orders=0");
  before = s.books();
  BOOST_TEST(why(s->hold(bob, {}, 1, t0)) == "not_enough_seats");
  BOOST_TEST(why(s->hold(bob, {"A-1"}, 0, t0)) == "invalid_request");  // GA has no labels
  BOOST_TEST(s.books() == before);
  BOOST_TEST(s->seats().empty());
  // Sold seats count against capacity too; a cancel gives them back once durable.
  auto order = s->purchase(bobs->id, bob, t0);
  BOOST_TEST(why(s->hold(alice, {}, 1, t0)) == "not_enough_seats");
  BOOST_TEST(why(s->cancel(order->id, bob)) == "ok");
  BOOST_TEST(why(s->hold(alice, {}, 1, t0)) == "not_enough_seats");  // not yet stored
  s->finish_cancel(order->id);
  BOOST_TEST(why(s->hold(alice, {}, 10, t0)) == "ok");
  BOOST_TEST(s.counts() == "free=0 held=25 sold=0 holds=3 orders=0");
}

BOOST_AUTO_TEST_CASE(holds_expire_at_their_deadline_not_before) {
  section s{reserved_layout(1, 10)};
  BOOST_TEST(!s->next_expiry().has_value());
  auto first = s->hold(alice, {"A-1"}, 0, t0);
  s->hold(bob, {"A-2"}, 0, t0 + 5);
  BOOST_TEST(s->next_expiry().value_or(0) == t0 + ttl);
  BOOST_TEST(s->expire_due(t0 + ttl - 1).empty());
  BOOST_TEST(s.draw() == "HH........");
  auto expired = s->expire_due(t0 + ttl);
  BOOST_TEST_REQUIRE(expired.size() == 1u);
  BOOST_TEST(expired[0].id == first->id);
  BOOST_TEST(s.draw() == ".H........");
  BOOST_TEST(s->next_expiry().value_or(0) == t0 + 5 + ttl);
  BOOST_TEST(why(s->find_hold(first->id, alice, t0 + ttl)) == "hold_expired");
  BOOST_TEST(why(s->hold(bob, {"A-1"}, 0, t0 + ttl)) == "ok");  // free again
  BOOST_TEST(s->expire_due(t0 + ttl + 5).size() == 1u);
  BOOST_TEST(s->expire_due(t0 + 10 * ttl).size() == 1u);
  BOOST_TEST(s->expire_due(t0 + 10 * ttl).empty());
  BOOST_TEST(!s->next_expiry().has_value());
  BOOST_TEST(s.counts() == "free=10 held=0 sold=0 holds=0 orders=0");
}

BOOST_AUTO_TEST_CASE(holds_expiring_counts_live_holds_due_within_the_window) {
  constexpr timestamp_ms minute = 60 * second;
  section s{reserved_layout(1, 10)};
  BOOST_TEST(s->holds_expiring(t0, minute) == 0u);
  auto a = s->hold(alice, {"A-1"}, 0, t0)->id;                     // due t0 + ttl
  auto b = s->hold(bob, {"A-2", "A-3"}, 0, t0 + 30 * second)->id;  // due 30 s later
  s->hold(bob, {"A-4"}, 0, t0 + 120 * second);                     // due 120 s later
  BOOST_TEST(s->holds_expiring(t0, minute) == 0u);
  BOOST_TEST(s->holds_expiring(t0 + ttl - minute - 1, minute) == 0u);  // a: 60.001 s away
  BOOST_TEST(s->holds_expiring(t0 + ttl - minute, minute) == 1u);      // a: exactly 60 s
  BOOST_TEST(s->holds_expiring(t0 + ttl - 30 * second, minute) == 2u); // holds, not seats
  BOOST_TEST(s->holds_expiring(t0 + ttl, minute) == 1u);  // a is due now: not "in the next minute"
  BOOST_TEST(s->holds_expiring(t0, 10 * ttl) == 3u);
  // An extended hold leaves the window; a bought one is no longer a hold.
  s->extend(a, alice, t0 + ttl - 30 * second);
  BOOST_TEST(s->holds_expiring(t0 + ttl - 30 * second, minute) == 1u);
  s->purchase(b, bob, t0 + ttl - 30 * second);
  BOOST_TEST(s->holds_expiring(t0 + ttl - 30 * second, minute) == 0u);
  BOOST_TEST(s->holds_expiring(t0 + ttl + 100 * second, minute) == 1u);  // the A-4 hold
}

// The count against a walk over every live hold, after many random holds,
// extends, purchases, releases, undos and expiries.
BOOST_AUTO_TEST_CASE(holds_expiring_equals_a_scan_of_the_live_holds) {
  section s{general_layout(500)};
  std::mt19937 random{16};
  std::vector<hold_id> ids;
  timestamp_ms now = t0;
  for (int step = 0; step < 2000; ++step) {
    now += static_cast<timestamp_ms>(random() % (20 * second));
    s->expire_due(now);
    auto pick = [&] { return ids[random() % ids.size()]; };
    switch (random() % 6) {
      case 0:
      case 1:
        if (auto h = s->hold(alice, {}, 1 + static_cast<int32_t>(random() % 3), now))
          ids.push_back(h->id);
        break;
      case 2:
        if (!ids.empty())
          s->extend(pick(), alice, now);
        break;
      case 3:
        if (!ids.empty())
          s->purchase(pick(), alice, now);
        break;
      case 4:
        if (!ids.empty()) {
          auto id = pick();
          if (s->release(id, alice, now))
            s->finish_release(id);
        }
        break;
      default:
        if (auto h = s->hold(alice, {}, 1, now))
          s->undo_hold(h->id);
    }
    section_snapshot snapshot;
    s->fill(snapshot);
    for (timestamp_ms window : {timestamp_ms{0}, 60 * second, ttl / 2, 2 * ttl}) {
      uint32_t walked = 0;
      for (const auto& h : snapshot.holds)
        walked += h.expires_at > now && h.expires_at <= now + window;
      BOOST_TEST_REQUIRE(s->holds_expiring(now, window) == walked);
    }
  }
}

BOOST_AUTO_TEST_CASE(the_deadline_decides_purchase_even_before_expiry_runs) {
  section s{reserved_layout(1, 10)};
  auto in_time = s->hold(alice, {"A-1"}, 0, t0)->id;
  auto late = s->hold(alice, {"A-2"}, 0, t0)->id;
  auto order = s->purchase(in_time, alice, t0 + ttl - 1);
  BOOST_TEST_REQUIRE(why(order) == "ok");
  BOOST_TEST(order->from_hold == in_time);
  BOOST_TEST(s.labels_of(order->seats) == "A-1");
  BOOST_TEST(order->created_at == t0 + ttl - 1);
  // No expire_due has run yet; the deadline alone refuses the late hold.
  auto before = s.books();
  BOOST_TEST(why(s->purchase(late, alice, t0 + ttl)) == "hold_expired");
  BOOST_TEST(why(s->release(late, alice, t0 + ttl)) == "hold_expired");
  BOOST_TEST(why(s->extend(late, alice, t0 + ttl)) == "hold_expired");
  BOOST_TEST(why(s->find_hold(late, alice, t0 + ttl)) == "hold_expired");
  BOOST_TEST(s.books() == before);
  BOOST_TEST(s.draw() == "SH........");
  BOOST_TEST(s->expire_due(t0 + ttl).size() == 1u);
  BOOST_TEST(s.draw() == "S.........");
}

BOOST_AUTO_TEST_CASE(an_ended_hold_says_how_it_ended) {
  struct {
    const char* how;
    void (*end)(section&, hold_id);
    const char* error;
  } cases[] = {
    {"released",
     [](section& s, hold_id id) {
       s->release(id, alice, t0 + 1);
       s->finish_release(id);
     },
     "hold_released"},
    {"expired", [](section& s, hold_id) { s->expire_due(t0 + ttl); }, "hold_expired"},
    {"purchased", [](section& s, hold_id id) { s->purchase(id, alice, t0 + 1); }, "hold_purchased"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("hold " << c.how) {
      section s{reserved_layout(1, 10)};
      auto id = s->hold(alice, {"A-3", "A-4"}, 0, t0)->id;
      c.end(s, id);
      auto before = s.books();
      timestamp_ms now = t0 + ttl;
      BOOST_TEST(why(s->find_hold(id, alice, now)) == c.error);
      BOOST_TEST(why(s->release(id, alice, now)) == c.error);
      BOOST_TEST(why(s->purchase(id, alice, now)) == c.error);
      BOOST_TEST(why(s->extend(id, alice, now)) == c.error);
      BOOST_TEST(why(s->find_hold(id, bob, now)) == "hold_not_found");  // ids are not probed
      BOOST_TEST(s.books() == before);
      if (c.error != std::string{"hold_purchased"}) {  // the seats are free for anyone
        BOOST_TEST(s.draw() == "..........");
        BOOST_TEST(s->hold(bob, {"A-3", "A-4"}, 0, now)->id == id + 1);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(another_customers_hold_is_not_found) {
  section s{reserved_layout(1, 10)};
  auto id = s->hold(alice, {"A-1"}, 0, t0)->id;
  auto before = s.books();
  BOOST_TEST(why(s->find_hold(id, bob, t0)) == "hold_not_found");
  BOOST_TEST(why(s->release(id, bob, t0)) == "hold_not_found");
  BOOST_TEST(why(s->purchase(id, bob, t0)) == "hold_not_found");
  BOOST_TEST(why(s->extend(id, bob, t0 + 1)) == "hold_not_found");
  BOOST_TEST(why(s->find_hold(id + 1, alice, t0)) == "hold_not_found");
  BOOST_TEST(s.books() == before);
  BOOST_TEST(why(s->purchase(id, alice, t0)) == "ok");
}

BOOST_AUTO_TEST_CASE(extend_never_passes_the_maximum_lifetime) {
  section s{reserved_layout(1, 10)};
  auto id = s->hold(alice, {"A-1"}, 0, t0)->id;
  BOOST_TEST(s->extend(id, alice, t0 + 300 * second)->expires_at == t0 + 300 * second + ttl);
  BOOST_TEST(s->next_expiry().value_or(0) == t0 + 300 * second + ttl);
  BOOST_TEST(s->expire_due(t0 + ttl).empty());  // the old deadline no longer counts
  BOOST_TEST(s->extend(id, alice, t0 + 800 * second)->expires_at == t0 + 800 * second + ttl);
  auto capped = s->extend(id, alice, t0 + 1300 * second);
  BOOST_TEST_REQUIRE(why(capped) == "ok");
  BOOST_TEST(capped->expires_at == t0 + lifetime);  // not now + ttl
  auto before = s.books();
  BOOST_TEST(why(s->extend(id, alice, t0 + 1500 * second)) == "hold_lifetime_exceeded");
  BOOST_TEST(s.books() == before);
  BOOST_TEST(s->expire_due(t0 + lifetime - 1).empty());
  BOOST_TEST(why(s->purchase(id, alice, t0 + lifetime)) == "hold_expired");
  BOOST_TEST(s->expire_due(t0 + lifetime).size() == 1u);
}

BOOST_AUTO_TEST_CASE(extend_right_after_the_hold_keeps_its_deadline) {
  section s{reserved_layout(1, 10)};
  auto id = s->hold(alice, {"A-1"}, 0, t0)->id;
  auto same = s->extend(id, alice, t0);
  BOOST_TEST_REQUIRE(why(same) == "ok");
  BOOST_TEST(same->expires_at == t0 + ttl);
}

BOOST_AUTO_TEST_CASE(cancel_returns_seats_once_stored_and_only_to_the_buyer) {
  section s{reserved_layout(1, 10)};
  auto order = s->purchase(s->hold(alice, {"A-1", "A-2"}, 0, t0)->id, alice, t0 + 1);
  BOOST_TEST_REQUIRE(why(order) == "ok");
  BOOST_TEST(s.draw() == "SS........");
  auto before = s.books();
  BOOST_TEST(why(s->cancel(order->id, bob)) == "order_not_found");
  BOOST_TEST(why(s->cancel(order->id + 1, alice)) == "order_not_found");
  BOOST_TEST(s.books() == before);
  auto cancelled = s->cancel(order->id, alice);
  BOOST_TEST_REQUIRE(why(cancelled) == "ok");
  BOOST_TEST(s.labels_of(cancelled->seats) == "A-1 A-2");
  BOOST_TEST(s.draw() == "SS........");  // sold until the cancel is stored
  BOOST_TEST(why(s->hold(bob, {"A-1"}, 0, t0 + 2)) == "seat_unavailable");
  // Still being cancelled: the commit may yet fail and undo it.
  BOOST_TEST(why(s->cancel(order->id, alice)) == "order_not_found");
  s->finish_cancel(order->id);
  BOOST_TEST(s.draw() == "..........");
  BOOST_TEST(s.counts() == "free=10 held=0 sold=0 holds=0 orders=0");
  // Cancelled for good: the buyer is told so, anyone else learns nothing.
  BOOST_TEST(why(s->cancel(order->id, alice)) == "order_cancelled");
  BOOST_TEST(why(s->cancel(order->id, bob)) == "order_not_found");
  BOOST_TEST(why(s->hold(bob, {"A-1", "A-2"}, 0, t0 + 2)) == "ok");
}

BOOST_AUTO_TEST_CASE(an_undone_cancel_leaves_the_order_cancellable) {
  section s{reserved_layout(1, 10)};
  auto order = s->purchase(s->hold(alice, {"A-1"}, 0, t0)->id, alice, t0 + 1);
  BOOST_TEST_REQUIRE(why(s->cancel(order->id, alice)) == "ok");
  s->undo_cancel(order->id);  // its commit failed
  BOOST_TEST(s.draw() == "S.........");
  BOOST_TEST(why(s->cancel(order->id, alice)) == "ok");
}

BOOST_AUTO_TEST_CASE(ended_holds_kept_max_forgets_the_oldest) {
  reservation_limits limits;
  limits.ended_holds_kept_max = 2;
  section s{reserved_layout(1, 10), limits};
  auto released = s->hold(alice, {"A-1"}, 0, t0)->id;
  auto expired = s->hold(alice, {"A-2"}, 0, t0 + 1)->id;
  auto purchased = s->hold(alice, {"A-3"}, 0, t0 + 2)->id;
  s->release(released, alice, t0 + 10);                  // ended first
  s->finish_release(released);
  s->purchase(purchased, alice, t0 + 20);                // ended second
  BOOST_TEST(s->expire_due(t0 + 1 + ttl).size() == 1u);  // ended third
  BOOST_TEST(why(s->find_hold(released, alice, t0 + 2 * ttl)) == "hold_not_found");
  BOOST_TEST(why(s->find_hold(purchased, alice, t0 + 2 * ttl)) == "hold_purchased");
  BOOST_TEST(why(s->find_hold(expired, alice, t0 + 2 * ttl)) == "hold_expired");
}

BOOST_AUTO_TEST_CASE(a_snapshot_restores_the_same_section_and_ids_keep_growing) {
  for (auto layout : {reserved_layout(3, 10), general_layout(40)}) {
    BOOST_TEST_CONTEXT(to_string(layout.kind)) {
      auto take = [&](section& s, customer_id c, const labels& seats, timestamp_ms now) {
        return layout.kind == section_kind::reserved
                 ? s->hold(c, seats, 0, now)
                 : s->hold(c, {}, static_cast<int32_t>(seats.size()), now);
      };
      section s{layout};
      auto kept_order = s->purchase(take(s, alice, {"A-1", "A-2"}, t0)->id, alice, t0 + 1);
      auto held = take(s, bob, {"B-3", "B-4", "B-5"}, t0 + 2);
      auto cancelled = s->purchase(take(s, bob, {"C-1"}, t0 + 3)->id, bob, t0 + 4);
      s->cancel(cancelled->id, bob);  // the newest order is gone: its id stays used
      s->finish_cancel(cancelled->id);
      auto dropped = take(s, alice, {"C-9"}, t0 + 5)->id;
      s->release(dropped, alice, t0 + 6);  // and the newest hold
      s->finish_release(dropped);
      section_snapshot snapshot;
      snapshot.info.layout = layout;
      s->fill(snapshot);
      BOOST_TEST(snapshot.holds.size() == 1u);
      BOOST_TEST(snapshot.orders.size() == 1u);
      BOOST_TEST_REQUIRE(snapshot.cancelled_orders.size() == 1u);
      BOOST_TEST(snapshot.cancelled_orders[0].customer == bob);
      BOOST_TEST(snapshot.cancelled_orders[0].seats.empty());
      std::vector<hold_record> expired;
      auto restored = boxoffice::section_state::restore(snapshot, reservation_limits{}, t0 + 7,
                                                        expired);
      BOOST_TEST_REQUIRE(why(restored) == "ok");
      BOOST_TEST(expired.empty());
      section r{std::move(*restored)};
      BOOST_TEST(r.books() == s.books());
      auto next = take(r, alice, {"C-5"}, t0 + 7);
      BOOST_TEST(next->id == held->id + 3);
      BOOST_TEST(why(r->cancel(cancelled->id, bob)) == "order_cancelled");
      BOOST_TEST(r->purchase(next->id, alice, t0 + 8)->id == cancelled->id + 1);
      BOOST_TEST(kept_order->id < cancelled->id);
      // Holds restored past their deadline end at the next expire_due.
      BOOST_TEST(r->expire_due(t0 + 10 * ttl).size() == 1u);
      BOOST_TEST(r.counts() == "free=" + std::to_string(layout.capacity - 3)
                                 + " held=0 sold=3 holds=0 orders=2");
    }
  }
}

BOOST_AUTO_TEST_CASE(restore_refuses_a_snapshot_that_contradicts_itself) {
  using snap = section_snapshot;
  const std::pair<const char*, void (*)(snap&)> cases[] = {
    {"two orders, one seat", [](snap& s) { s.orders.push_back({2, alice, 3, {5}, 1, t0}); }},
    {"seat one past the end", [](snap& s) { s.holds[0].seats = {0, 30}; }},
    {"seat far out of range", [](snap& s) { s.orders[0].seats = {UINT32_MAX}; }},
    {"quantity != seats", [](snap& s) { s.holds[0].quantity = 3; }},
    {"empty hold", [](snap& s) { s.holds[0] = {1, alice, {}, 0, t0, t0 + ttl}; }},
    {"two holds, one id", [](snap& s) { s.holds.push_back({1, bob, {9}, 1, t0, t0 + ttl}); }},
    {"two orders, one id", [](snap& s) { s.orders.push_back({1, bob, 3, {9}, 1, t0}); }},
    {"empty layout", [](snap& s) { s.info.layout = reserved_layout(0, 10); }},
    {"one hold, a seat twice", [](snap& s) { s.holds[0].seats = {7, 7}; }},
    {"one order, a seat twice", [](snap& s) { s.orders[0].seats = {8, 8}; s.orders[0].quantity = 2; }},
    {"hold ends before it began", [](snap& s) { s.holds[0].expires_at = t0; }},
    {"GA hold with seats", [](snap& s) { s = ga_snapshot(5, 1, 1), s.holds[0].seats = {0}; }},
    {"an order both sold and cancelled",
     [](snap& s) { s.cancelled_orders.push_back({1, bob, 2, {}, 1, t0}); }},
    {"one order cancelled twice", [](snap& s) {
       s.cancelled_orders.push_back({4, bob, 6, {}, 1, t0});
       s.cancelled_orders.push_back({4, bob, 6, {}, 1, t0});
     }},
  };
  snap valid;
  valid.info.layout = reserved_layout(3, 10);
  valid.holds = {{1, alice, {0, 1}, 2, t0, t0 + ttl}};
  valid.orders = {{1, bob, 2, {5}, 1, t0}};
  // Restored before any deadline, so that every hold is checked, not expired.
  auto restore = [](const snap& x) {
    std::vector<hold_record> expired;
    return boxoffice::section_state::restore(x, reservation_limits{}, t0 - 1, expired);
  };
  BOOST_TEST_REQUIRE(why(restore(valid)) == "ok");
  BOOST_TEST_REQUIRE(why(restore(ga_snapshot(5, 2, 3))) == "ok");
  for (const auto& [what, corrupt] : cases) {
    BOOST_TEST_CONTEXT(what) {
      auto broken = valid;
      corrupt(broken);
      // Not wrapped in `section`: a wrongly accepted snapshot must fail, not abort.
      BOOST_TEST(why(restore(broken)) == "invalid_section");
    }
  }
}

// Holds are not guarded by the database, so a lost COMMIT outcome can leave
// a hold whose seats were given out again: the newest claim wins.
BOOST_AUTO_TEST_CASE(restore_drops_older_holds_that_collide_newest_claim_wins) {
  section_snapshot snap;
  snap.info.layout = reserved_layout(3, 10);
  snap.orders = {{1, bob, 9, {5}, 1, t0}};
  snap.holds = {{1, alice, {5}, 1, t0, t0 + ttl},        // collides with the sale
                {2, alice, {1, 2}, 2, t0, t0 + ttl},     // collides with the newer hold 3
                {3, bob, {2, 3}, 2, t0 + 1, t0 + ttl}};  // wins
  std::vector<hold_record> expired;
  auto restored = boxoffice::section_state::restore(snap, reservation_limits{}, t0, expired);
  BOOST_TEST_REQUIRE(why(restored) == "ok");
  section s{std::move(*restored)};
  BOOST_TEST(expired.size() == 2u);
  BOOST_TEST(why(s->find_hold(3, bob, t0)) == "ok");
  BOOST_TEST(why(s->find_hold(2, alice, t0)) == "hold_expired");
  BOOST_TEST(why(s->find_hold(1, alice, t0)) == "hold_expired");
  BOOST_TEST(s.counts() == "free=27 held=2 sold=1 holds=1 orders=1");
  // General admission: older holds past capacity give way the same way.
  expired.clear();
  auto ga = boxoffice::section_state::restore(ga_snapshot(5, 3, 3), reservation_limits{}, t0,
                                              expired);
  BOOST_TEST_REQUIRE(why(ga) == "ok");
  BOOST_TEST(expired.size() == 1u);
}

BOOST_AUTO_TEST_CASE(check_layout_accepts_only_sane_layouts) {
  reservation_limits limits;
  limits.max_seats_per_section = 100;
  using kind = boxoffice::section_kind;
  const std::pair<section_layout, const char*> cases[] = {
    {reserved_layout(10, 10), "ok"},  {reserved_layout(1, 1), "ok"},  // at the limit, and 1
    {general_layout(100), "ok"},      {general_layout(1), "ok"},
    {reserved_layout(0, 10), "invalid_section"},  {reserved_layout(10, 0), "invalid_section"},
    {reserved_layout(11, 10), "invalid_section"}, {general_layout(101), "invalid_section"},
    {general_layout(0), "invalid_section"},       {{kind::reserved, 2, 3, 7}, "invalid_section"},
    {{kind::reserved, 2, 3, 0}, "invalid_section"}, {{kind::general, 1, 0, 10}, "invalid_section"},
  };
  for (const auto& [layout, expected] : cases) {
    BOOST_TEST_CONTEXT(to_string(layout.kind) << " " << layout.rows << "x"
                       << layout.seats_per_row << " capacity " << layout.capacity) {
      BOOST_TEST(why(boxoffice::check_layout(layout, limits)) == expected);
    }
  }
  // A product past 2^32 saturates; it must fail even with no practical limit.
  limits.max_seats_per_section = UINT32_MAX;
  BOOST_TEST(why(boxoffice::check_layout(reserved_layout(65537, 65537), limits))
             == "invalid_section");
}

BOOST_AUTO_TEST_SUITE_END()
