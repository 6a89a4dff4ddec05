#include "persistence/write_keys.h"

#include <algorithm>
#include <functional>
#include <initializer_list>
#include <tuple>

namespace boxoffice {

namespace {

using k = row_key;

change_keys make(std::initializer_list<row_key> reads, std::initializer_list<row_key> writes) {
  change_keys out;
  for (const auto& r : reads)
    out.reads[out.read_count++] = r;
  for (const auto& w : writes)
    out.writes[out.write_count++] = w;
  return out;
}

change_keys keys(const event_saved& c) { return make({}, {{k::event_row, c.info.id, 0, 0}}); }
change_keys keys(const section_added& c) {
  return make({{k::event_row, c.event, 0, 0}}, {{k::section_row, c.event, c.section.id, 0}});
}
change_keys keys(const hold_placed& c) {
  return make({{k::section_row, c.event, c.section, 0}},
              {{k::hold_row, c.event, c.section, c.hold.id}});
}
change_keys keys(const hold_extended& c) {
  return make({}, {{k::hold_row, c.event, c.section, c.hold}});
}
change_keys keys(const hold_ended& c) { return make({}, {{k::hold_row, c.event, c.section, c.hold}}); }
// A cancel frees seats that a later order in its section may sell again.
change_keys keys(const order_placed& c) {
  return make({{k::section_row, c.event, c.section, 0}, {k::tickets_freed, c.event, c.section, 0}},
              {{k::hold_row, c.event, c.section, c.order.from_hold},
               {k::order_row, c.event, c.section, c.order.id}});
}
change_keys keys(const order_cancelled& c) {
  return make({}, {{k::order_row, c.event, c.section, c.order},
                   {k::tickets_freed, c.event, c.section, 0}});
}
// The same key twice in one statement would make PostgreSQL's upsert fail.
change_keys keys(const answer_saved& c) {
  return make({}, {{k::answer_row, c.key.scope, 0, std::hash<std::string>{}(c.key.key)}});
}
change_keys keys(const queue_saved& c) {
  return make({{k::event_row, c.event, 0, 0}}, {{k::queue_row, c.event, 0, 0}});
}
change_keys keys(const queue_entry_saved& c) {
  return make({{k::event_row, c.event, 0, 0}}, {{k::entry_row, c.event, 0, c.entry.id}});
}

} // namespace

bool row_key::operator<(const row_key& o) const {
  return std::tie(kind, event, section, id) < std::tie(o.kind, o.event, o.section, o.id);
}

size_t row_key_hash::operator()(const row_key& key) const {
  // splitmix64's finaliser over the fields: ids are dense small numbers.
  uint64_t x = key.id;
  for (uint64_t part : {uint64_t{key.kind}, key.event, uint64_t{key.section}}) {
    x ^= part + 0x9e3779b97f4a7c15ull + (x << 6) + (x >> 2);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    x ^= x >> 31;
  }
  return static_cast<size_t>(x);
}

change_keys keys_of(const change& c) {
  return std::visit([](const auto& x) { return keys(x); }, c);
}

void key_set::add(const change_keys& k) {
  for (uint8_t i = 0; i < k.read_count; ++i)
    ++uses_[k.reads[i]].reads;
  for (uint8_t i = 0; i < k.write_count; ++i)
    ++uses_[k.writes[i]].writes;
}

void key_set::add(const key_set& other) {
  for (const auto& [key, u] : other.uses_) {
    auto& mine = uses_[key];
    mine.reads += u.reads;
    mine.writes += u.writes;
  }
}

void key_set::remove(const key_set& other) {
  for (const auto& [key, u] : other.uses_) {
    auto i = uses_.find(key);
    if (i == uses_.end())
      continue;
    i->second.reads -= std::min(i->second.reads, u.reads);
    i->second.writes -= std::min(i->second.writes, u.writes);
    if (i->second.reads == 0 && i->second.writes == 0)
      uses_.erase(i);
  }
}

bool key_set::conflicts(const change_keys& k) const {
  for (uint8_t i = 0; i < k.read_count; ++i)
    if (auto u = uses_.find(k.reads[i]); u != uses_.end() && u->second.writes > 0)
      return true;
  for (uint8_t i = 0; i < k.write_count; ++i)
    if (uses_.count(k.writes[i]))
      return true;
  return false;
}

bool key_set::conflicts(const key_set& other) const {
  const auto& small = uses_.size() <= other.uses_.size() ? uses_ : other.uses_;
  const auto& large = uses_.size() <= other.uses_.size() ? other.uses_ : uses_;
  for (const auto& [key, u] : small) {
    auto v = large.find(key);
    if (v != large.end() && (u.writes > 0 || v->second.writes > 0))
      return true;
  }
  return false;
}

bool key_set::written(const change_keys& k) const {
  auto hit = [&](const row_key& key) {
    auto u = uses_.find(key);
    return u != uses_.end() && u->second.writes > 0;
  };
  for (uint8_t i = 0; i < k.read_count; ++i)
    if (hit(k.reads[i]))
      return true;
  for (uint8_t i = 0; i < k.write_count; ++i)
    if (hit(k.writes[i]))
      return true;
  return false;
}

} // namespace boxoffice
