#include "actors/section_state.h"

#include "actors/planted.h"
#include "actors/seat_labels.h"
#include "actors/seat_picker.h"

#include <algorithm>
#include <limits>
#include <unordered_set>
#include <cstdio>
#include <cstdlib>

namespace boxoffice {

namespace {

constexpr int64_t ms_per_s = 1000;

errc error_of(hold_end why) {
  switch (why) {
    case hold_end::released: return errc::hold_released;
    case hold_end::expired: return errc::hold_expired;
    case hold_end::purchased: return errc::hold_purchased;
  }
  return errc::hold_not_found;
}

[[noreturn]] void violated(const char* what) {
  std::fprintf(stderr, "boxoffice: section invariant violated: %s\n", what);
  std::abort();
}

} // namespace

std::optional<errc> check_hold_shape(const std::vector<std::string>& seats, int32_t quantity,
                                     const reservation_limits& limits) {
  if (!seats.empty() && quantity != 0)
    return errc::invalid_request;
  if (seats.empty() && quantity <= 0)
    return errc::invalid_quantity;
  if (requested_seats(seats, quantity) > limits.max_seats_per_hold)
    return errc::too_many_seats;
  return std::nullopt;
}

uint32_t requested_seats(const std::vector<std::string>& seats, int32_t quantity) {
  return seats.empty() ? static_cast<uint32_t>(std::max(quantity, 0))
                       : static_cast<uint32_t>(seats.size());
}

std::optional<errc> check_layout(const section_layout& layout, const reservation_limits& limits) {
  uint64_t capacity = layout.kind == section_kind::reserved
                        ? static_cast<uint64_t>(layout.rows) * layout.seats_per_row
                        : layout.capacity;
  bool shape_ok = layout.kind == section_kind::reserved
                    ? layout.rows > 0 && layout.seats_per_row > 0 && capacity == layout.capacity
                    : layout.rows == 0 && layout.seats_per_row == 0;
  if (!shape_ok || capacity == 0 || capacity > limits.max_seats_per_section)
    return errc::invalid_section;
  return std::nullopt;
}

section_state::section_state(section_layout layout, const reservation_limits& limits)
  : layout_(layout), limits_(limits) {
  if (layout_.kind == section_kind::reserved) {
    seats_.assign(layout_.capacity, seat_status::free);
    free_per_row_.assign(layout_.rows, layout_.seats_per_row);
  }
}

outcome<section_state> section_state::restore(section_snapshot snapshot,
                                              const reservation_limits& limits,
                                              timestamp_ms now,
                                              std::vector<hold_record>& expired) {
  const auto& layout = snapshot.info.layout;
  if (check_layout(layout, limits))
    return errc::invalid_section;
  section_state state{layout, limits};
  const bool general = layout.kind == section_kind::general;
  // Seats are checked in place when sorted (as the store writes them): a
  // copy per order would double the memory a large recovery needs.
  auto well_formed = [&](const std::vector<uint32_t>& given, uint32_t quantity) {
    if (general)
      return given.empty() && quantity > 0;
    std::vector<uint32_t> sorted;
    if (!std::is_sorted(given.begin(), given.end()))
      sorted.assign(given.begin(), given.end()), std::sort(sorted.begin(), sorted.end());
    const auto& seats = sorted.empty() ? given : sorted;
    return seats.size() == quantity && quantity > 0 && seats.back() < state.seats_.size()
           && std::adjacent_find(seats.begin(), seats.end()) == seats.end();
  };
  auto free = [&](const std::vector<uint32_t>& seats, uint32_t quantity) {
    if (general)
      return uint64_t{state.held_} + state.sold_ + quantity <= layout.capacity;
    return std::all_of(seats.begin(), seats.end(),
                       [&](uint32_t s) { return state.seats_[s] == seat_status::free; });
  };
  // The database sells a seat at most once (unique tickets), so colliding
  // orders mean corrupt books.
  state.orders_.reserve(snapshot.orders.size());
  for (auto& order : snapshot.orders) {
    if (!well_formed(order.seats, order.quantity) || !free(order.seats, order.quantity)
        || state.orders_.count(order.id))
      return errc::invalid_section;
    state.mark(order.seats, seat_status::free, seat_status::sold);
    state.sold_ += order.quantity;
    state.next_order_id_ = std::max(state.next_order_id_, order.id + 1);
    auto id = order.id;
    state.orders_.emplace(id, std::move(order));
  }
  for (auto& order : snapshot.cancelled_orders) {
    if (state.orders_.count(order.id) || state.cancelled_.count(order.id))
      return errc::invalid_section;
    order.seats.clear();
    state.next_order_id_ = std::max(state.next_order_id_, order.id + 1);
    state.cancelled_.emplace(order.id, std::move(order));
  }
  // Holds have no such guard. A live hold whose seats went to a sale or to a
  // newer hold can only be one whose commit was reported failed although it
  // reached the database (the connection broke at COMMIT): its client was
  // told no and the seats were given out again. So the newest claim wins,
  // and holds past their deadline never claim anything (their seats may
  // have been sold since). Both are ended as expired.
  auto& holds = snapshot.holds;
  std::sort(holds.begin(), holds.end(), [](const auto& a, const auto& b) { return a.id > b.id; });
  std::unordered_set<hold_id> seen;
  for (auto& hold : holds) {
    if (!well_formed(hold.seats, hold.quantity) || !seen.insert(hold.id).second
        || hold.expires_at <= hold.created_at)
      return errc::invalid_section;
    state.next_hold_id_ = std::max(state.next_hold_id_, hold.id + 1);
    if (hold.expires_at <= now || !free(hold.seats, hold.quantity)) {
      expired.push_back(hold);
      state.remember_end(hold.id, hold.customer, hold_end::expired);
      continue;
    }
    state.place(std::move(hold));
  }
  state.next_hold_id_ = std::max(state.next_hold_id_, snapshot.next_hold_id);
  state.next_order_id_ = std::max(state.next_order_id_, snapshot.next_order_id);
  return state;
}

outcome<hold_record> section_state::hold(customer_id customer,
                                         const std::vector<std::string>& labels,
                                         int32_t quantity, timestamp_ms now) {
  if (auto refused = check_hold_shape(labels, quantity, limits_))
    return *refused;
  auto count = requested_seats(labels, quantity);
  std::vector<uint32_t> seats;
  if (layout_.kind == section_kind::general) {
    if (!labels.empty())
      return errc::invalid_request;  // general admission has no seat labels
    if (count > layout_.capacity - held_ - sold_)
      return errc::not_enough_seats;
  } else {
    auto chosen = labels.empty() ? pick(count) : resolve_labels(labels);
    if (!chosen)
      return chosen.error();
    seats = std::move(*chosen);
  }
  hold_record hold{next_hold_id_++, customer, std::move(seats), count, now,
                   now + limits_.hold_ttl_s * ms_per_s};
  place(hold);
  return hold;
}

outcome<std::vector<uint32_t>>
section_state::resolve_labels(const std::vector<std::string>& labels) const {
  std::vector<uint32_t> seats;
  seats.reserve(labels.size());
  for (const auto& label : labels) {
    auto seat = parse_seat_label(layout_, label);
    if (!seat)
      return errc::unknown_seat;
    seats.push_back(*seat);
  }
  std::sort(seats.begin(), seats.end());
  if (std::adjacent_find(seats.begin(), seats.end()) != seats.end())
    return errc::invalid_request;  // the same seat twice
  for (auto seat : seats)
    if (seats_[seat] != seat_status::free)
      return errc::seat_unavailable;
  return seats;
}

outcome<std::vector<uint32_t>> section_state::pick(uint32_t quantity) const {
  auto block = pick_best_available(seats_, free_per_row_, layout_.seats_per_row, quantity);
  if (!block)
    return errc::not_enough_seats;
  std::vector<uint32_t> seats(quantity);
  auto first = block->row * layout_.seats_per_row + block->first;
  for (uint32_t i = 0; i < quantity; ++i)
    seats[i] = first + i;
  return seats;
}

outcome<const hold_record*> section_state::live_hold(hold_id id, customer_id customer,
                                                     timestamp_ms now) const {
  if (auto i = holds_.find(id); i != holds_.end() && i->second.customer == customer) {
    if (i->second.expires_at <= now)
      return errc::hold_expired;
    return &i->second;
  }
  if (auto i = ended_.find(id); i != ended_.end() && i->second.customer == customer)
    return error_of(i->second.why);
  return errc::hold_not_found;  // also another customer's hold: ids are not probed
}

outcome<hold_record> section_state::find_hold(hold_id id, customer_id customer,
                                              timestamp_ms now) const {
  auto hold = live_hold(id, customer, now);
  if (!hold)
    return hold.error();
  return **hold;
}

outcome<hold_record> section_state::extend(hold_id id, customer_id customer, timestamp_ms now) {
  auto found = live_hold(id, customer, now);
  if (!found)
    return found.error();
  auto& hold = holds_.at(id);
  auto latest = hold.created_at + limits_.hold_max_lifetime_s * ms_per_s;
  if (latest <= hold.expires_at)
    return errc::hold_lifetime_exceeded;
  // Never shortens: an extend right after the hold was made changes nothing.
  auto deadline = std::max(hold.expires_at, std::min(now + limits_.hold_ttl_s * ms_per_s, latest));
  auto& pending = extending_.try_emplace(id, extending{0, hold.expires_at}).first->second;
  ++pending.in_flight;
  deadlines_.erase({hold.expires_at, id});
  hold.expires_at = deadline;
  deadlines_.insert({deadline, id});
  return hold;
}

outcome<hold_record> section_state::release(hold_id id, customer_id customer, timestamp_ms now) {
  auto found = live_hold(id, customer, now);
  if (!found)
    return found.error();
  auto node = holds_.extract(id);
  deadlines_.erase({node.mapped().expires_at, id});
  remember_end(id, customer, hold_end::released);
  auto hold = node.mapped();
  releasing_.insert(std::move(node));
  return hold;
}

void section_state::finish_release(hold_id id) {
  auto node = releasing_.extract(id);
  if (node.empty())
    return;
  mark(node.mapped().seats, seat_status::held, seat_status::free);
  held_ -= node.mapped().quantity;
}

void section_state::undo_release(hold_id id) {
  auto node = releasing_.extract(id);
  if (node.empty())
    return;
  ended_.erase(id);
  deadlines_.insert({node.mapped().expires_at, id});
  holds_.insert(std::move(node));
}

bool section_state::undo_hold(hold_id id) {
  auto node = holds_.extract(id);
  if (node.empty())
    return false;  // expired meanwhile: the expiry gave the seats back
  deadlines_.erase({node.mapped().expires_at, id});
  mark(node.mapped().seats, seat_status::held, seat_status::free);
  held_ -= node.mapped().quantity;
  return true;
}

void section_state::extend_committed(hold_id id, timestamp_ms extended_to) {
  auto e = extending_.find(id);
  if (e == extending_.end())
    return;
  e->second.committed = extended_to;
  if (--e->second.in_flight == 0)
    extending_.erase(e);
}

void section_state::undo_extend(hold_id id, timestamp_ms extended_to) {
  auto e = extending_.find(id);
  if (e == extending_.end())
    return;
  auto committed = e->second.committed;
  if (--e->second.in_flight == 0)
    extending_.erase(e);
  auto i = holds_.find(id);
  if (i == holds_.end() || i->second.expires_at != extended_to)
    return;  // ended meanwhile, or moved by a later extend
  deadlines_.erase({i->second.expires_at, id});
  i->second.expires_at = committed;
  deadlines_.insert({committed, id});
}

void section_state::undo_purchase(order_id order, const hold_record& hold) {
  auto node = orders_.extract(order);
  if (node.empty())
    return;
  mark(hold.seats, seat_status::sold, seat_status::held);
  sold_ -= hold.quantity;
  ended_.erase(hold.id);
  index(hold);
}

outcome<order_record> section_state::purchase(hold_id id, customer_id customer,
                                              timestamp_ms now) {
  auto found = live_hold(id, customer,
                         BOXOFFICE_PLANTED(purchase_past_deadline)
                           ? std::numeric_limits<timestamp_ms>::min() : now);
  if (!found)
    return found.error();
  auto hold = end_hold(id, hold_end::purchased);
  order_record order{next_order_id_++, customer, hold.id, std::move(hold.seats), hold.quantity,
                     now};
  orders_.emplace(order.id, order);
  return order;
}

outcome<order_record> section_state::cancel(order_id id, customer_id customer) {
  auto i = orders_.find(id);
  if (i == orders_.end() || i->second.customer != customer) {
    auto done = cancelled_.find(id);
    bool own = done != cancelled_.end() && done->second.customer == customer;
    return own ? errc::order_cancelled : errc::order_not_found;
  }
  auto node = orders_.extract(i);
  auto order = node.mapped();
  cancelling_.insert(std::move(node));
  return order;
}

void section_state::finish_cancel(order_id id) {
  auto node = cancelling_.extract(id);
  if (node.empty())
    return;
  auto& order = node.mapped();
  mark(order.seats, seat_status::sold, seat_status::free);
  sold_ -= order.quantity;
  if (BOXOFFICE_PLANTED(cancel_twice))
    sold_ -= order.quantity;
  order.seats.clear();
  cancelled_.insert(std::move(node));
}

void section_state::undo_cancel(order_id id) {
  auto node = cancelling_.extract(id);
  if (!node.empty())
    orders_.insert(std::move(node));
}

std::vector<hold_record> section_state::expire_due(timestamp_ms now) {
  std::vector<hold_record> expired;
  while (!deadlines_.empty() && deadlines_.begin()->first <= now)
    expired.push_back(end_hold(deadlines_.begin()->second, hold_end::expired));
  return expired;
}

std::optional<timestamp_ms> section_state::next_expiry() const {
  if (deadlines_.empty())
    return std::nullopt;
  return deadlines_.begin()->first;
}

void section_state::mark(const std::vector<uint32_t>& seats, seat_status from, seat_status to) {
  for (auto seat : seats) {
    seats_[seat] = to;
    auto row = seat / layout_.seats_per_row;
    if (from == seat_status::free)
      --free_per_row_[row];
    else if (to == seat_status::free)
      ++free_per_row_[row];
  }
}

void section_state::place(hold_record hold) {
  mark(hold.seats, seat_status::free, seat_status::held);
  index(std::move(hold));
}

void section_state::index(hold_record hold) {
  held_ += hold.quantity;
  deadlines_.insert({hold.expires_at, hold.id});
  auto id = hold.id;
  holds_.emplace(id, std::move(hold));
}

hold_record section_state::end_hold(hold_id id, hold_end why) {
  auto node = holds_.extract(id);
  auto& hold = node.mapped();
  deadlines_.erase({hold.expires_at, id});
  held_ -= hold.quantity;
  if (why == hold_end::purchased) {
    mark(hold.seats, seat_status::held, seat_status::sold);
    sold_ += hold.quantity;
  } else {
    mark(hold.seats, seat_status::held, seat_status::free);
  }
  remember_end(id, hold.customer, why);
  return std::move(hold);
}

void section_state::remember_end(hold_id id, customer_id customer, hold_end why) {
  if (limits_.ended_holds_kept_max == 0)
    return;
  ended_.insert_or_assign(id, ended_hold{customer, why});
  ended_order_.push_back(id);
  if (ended_order_.size() > limits_.ended_holds_kept_max) {
    ended_.erase(ended_order_.front());
    ended_order_.pop_front();
  }
}

uint32_t section_state::holds_expiring(timestamp_ms now, timestamp_ms window_ms) const {
  // order_of_key(k) counts the keys below k; hold ids start at 1, so
  // {t + 1, 0} is above every key of deadline t and below those after it.
  auto due_by = [this](timestamp_ms t) { return deadlines_.order_of_key({t + 1, 0}); };
  return static_cast<uint32_t>(due_by(now + window_ms) - due_by(now));
}

section_stats section_state::stats() const {
  section_stats s;
  s.capacity = layout_.capacity;
  s.free = layout_.capacity - held_ - sold_;
  s.held = held_;
  s.sold = sold_;
  s.live_holds = static_cast<uint32_t>(holds_.size());
  s.orders = static_cast<uint32_t>(orders_.size());
  return s;
}

void section_state::fill(section_snapshot& snapshot) const {
  snapshot.holds.clear();
  snapshot.orders.clear();
  snapshot.cancelled_orders.clear();
  for (const auto& [id, hold] : holds_)
    snapshot.holds.push_back(hold);
  for (const auto& [id, order] : orders_)
    snapshot.orders.push_back(order);
  for (const auto& [id, order] : cancelled_)
    snapshot.cancelled_orders.push_back(order);
  auto by_id = [](const auto& a, const auto& b) { return a.id < b.id; };
  std::sort(snapshot.holds.begin(), snapshot.holds.end(), by_id);
  std::sort(snapshot.orders.begin(), snapshot.orders.end(), by_id);
  std::sort(snapshot.cancelled_orders.begin(), snapshot.cancelled_orders.end(), by_id);
  snapshot.next_hold_id = next_hold_id_;
  snapshot.next_order_id = next_order_id_;
}

void section_state::check_invariants() const {
  if (uint64_t{held_} + sold_ > layout_.capacity)
    violated("held + sold > capacity");
  if (deadlines_.size() != holds_.size())
    violated("deadline index and holds disagree");
  const bool reserved = layout_.kind == section_kind::reserved;
  std::vector<uint8_t> claimed(seats_.size(), 0);
  auto claim = [&](const std::vector<uint32_t>& seats, uint32_t quantity, seat_status status) {
    if (reserved ? seats.size() != quantity : !seats.empty())
      violated("quantity and seats disagree");
    for (auto seat : seats)
      if (seat >= seats_.size() || seats_[seat] != status || claimed[seat]++)
        violated("a seat is in two holds or orders, or its status disagrees");
    return uint64_t{quantity};
  };
  uint64_t held = 0;
  uint64_t sold = 0;
  for (const auto& [id, hold] : holds_) {
    if (id != hold.id || id >= next_hold_id_
        || deadlines_.find({hold.expires_at, id}) == deadlines_.end())
      violated("hold indexed wrongly");
    if (hold.expires_at <= hold.created_at)
      violated("hold expires before it was made");
    held += claim(hold.seats, hold.quantity, seat_status::held);
  }
  for (const auto& [id, order] : orders_) {
    if (id != order.id || id >= next_order_id_)
      violated("order indexed wrongly");
    sold += claim(order.seats, order.quantity, seat_status::sold);
  }
  for (const auto& [id, hold] : releasing_)  // ended, seats kept until durable
    held += claim(hold.seats, hold.quantity, seat_status::held);
  for (const auto& [id, order] : cancelling_)
    sold += claim(order.seats, order.quantity, seat_status::sold);
  for (const auto& [id, order] : cancelled_)
    if (id != order.id || id >= next_order_id_ || !order.seats.empty() || orders_.count(id)
        || cancelling_.count(id))
      violated("cancelled order indexed wrongly, or with seats");
  if (held != held_ || sold != sold_)
    violated("held or sold counter disagrees with the holds and orders");
  if (!reserved)
    return;
  for (uint32_t row = 0; row < layout_.rows; ++row) {
    uint32_t free = 0;
    for (uint32_t i = 0; i < layout_.seats_per_row; ++i)
      free += seats_[row * layout_.seats_per_row + i] == seat_status::free;
    if (free != free_per_row_[row])
      violated("free seats per row disagree");
  }
  for (size_t seat = 0; seat < seats_.size(); ++seat)
    if (seats_[seat] != seat_status::free && !claimed[seat])
      violated("a taken seat belongs to no hold or order");
}

} // namespace boxoffice
