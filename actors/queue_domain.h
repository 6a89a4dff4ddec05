// The value types of the waiting room (issue 15): an event's queue settings
// and its entries. Plain C++, shared by the room's rules, the protocol and
// the journal (persistence/ stores them; migrations 5 and 6).
#pragma once

#include <cstdint>
#include <string>

namespace boxoffice {

// Times are Unix milliseconds (timestamp_ms); this header stands alone so
// that domain.h can carry a room in an event_snapshot.

// off: no room, the hold route is open to anyone. queue: everyone joins and
// waits for a pass. safety_net: a join is admitted at once while the rate,
// the cap and the stock allow it, and waits otherwise.
enum class queue_mode : uint8_t { off, queue, safety_net };

// pre_queue: joined before opens_at, not yet drawn. waiting: in line, ranked.
// admitted: holds a pass. Then one of: used (bought), left, expired (the pass
// ran out unused), closed (the event closed).
// away: skipped when its turn came because its waiter had stopped listening;
// it keeps its rank, and a waiter who comes back within the grace is next
// in line. abandoned: it did not come back in time (the entry has ended).
// Both are stored as themselves (migration 6; an away entry's ended_at is
// when it was skipped). Appended last: the numbers of the others travel
// between nodes.
enum class entry_state : uint8_t {
  pre_queue, waiting, admitted, used, left, expired, closed, away, abandoned
};

const char* to_string(queue_mode x);
const char* to_string(entry_state x);
bool parse_queue_mode(const std::string& text, queue_mode& out);
bool parse_entry_state(const std::string& text, entry_state& out);

struct queue_settings {
  queue_mode mode = queue_mode::off;
  int64_t prequeue_at = 0;  // joins accepted from then on (0: at once)
  int64_t opens_at = 0;     // the lottery draw, then first come first served
  uint32_t rate_per_s = 10;      // admissions per second
  uint32_t active_max = 100;     // admitted shoppers at once
  uint32_t pass_ttl_s = 600;     // how long a pass lets its holder shop
  uint32_t queue_length_max = 100000;  // waiting and pre-queued entries
  bool paused = false;           // nobody admitted while set
  // The lottery: seed_hash (hex SHA-256 of the seed's bytes) is public from
  // the first save; the seed (hex) is revealed once drawn.
  std::string seed;
  std::string seed_hash;
  bool drawn = false;
};

struct queue_entry {
  uint64_t id = 0;               // unique within its event, from 1
  uint64_t customer = 0;       // customer_id
  std::string secret;            // hex; part of the public id (a capability)
  int64_t joined_at = 0;
  entry_state state = entry_state::waiting;
  uint64_t rank = 0;             // place in line; 0 while in the pre-queue
  int64_t admitted_at = 0;
  int64_t pass_expires_at = 0;
  int64_t ended_at = 0;          // away: when it was skipped
};

} // namespace boxoffice
