// The rows a journal change reads and writes, named as keys. Two changes
// conflict when one writes a key the other reads or writes; then the later
// one depends on the earlier. The batch writer orders the statements of one
// transaction by them (batch_writer.cpp); the journal lets batches commit at
// the same time only when no key of one conflicts with a key of another
// (journal.cpp), so dependent changes always commit in the journal's order.
// A hash collision of two Idempotency-Keys only makes a false conflict.
#pragma once

#include "actors/changes.h"

#include <array>
#include <cstdint>
#include <unordered_map>

namespace boxoffice {

struct row_key {
  enum kind_tag : uint8_t {
    event_row, section_row, hold_row, order_row, tickets_freed, answer_row, queue_row, entry_row
  };
  uint8_t kind = event_row;
  event_id event = 0;
  section_id section = 0;
  uint64_t id = 0;

  bool operator==(const row_key& o) const {
    return kind == o.kind && event == o.event && section == o.section && id == o.id;
  }
  bool operator<(const row_key& o) const;
};

struct row_key_hash {
  size_t operator()(const row_key& k) const;
};

// At most two of each: order_placed reads its section and the section's
// freed tickets, and writes its hold and its order.
struct change_keys {
  std::array<row_key, 2> reads{};
  std::array<row_key, 2> writes{};
  uint8_t read_count = 0;
  uint8_t write_count = 0;
};

change_keys keys_of(const change& c);

// The keys of many changes, counted, so that the changes of one batch can be
// taken out again when it has committed.
class key_set {
public:
  void add(const change_keys& k);
  void add(const key_set& other);
  void remove(const key_set& other);
  // Whether a change with these keys depends on one in this set or the
  // other way round (write/write, read/write, write/read).
  bool conflicts(const change_keys& k) const;
  bool conflicts(const key_set& other) const;
  // Whether a change with these keys reads or writes a key written here.
  bool written(const change_keys& k) const;
  bool empty() const { return uses_.empty(); }
  void clear() { uses_.clear(); }

private:
  struct use {
    uint32_t reads = 0;
    uint32_t writes = 0;
  };
  std::unordered_map<row_key, use, row_key_hash> uses_;
};

} // namespace boxoffice
