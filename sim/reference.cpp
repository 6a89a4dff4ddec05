#include "sim/reference.h"

#include <algorithm>
#include <cstdlib>

namespace boxoffice::sim {

namespace {

constexpr uint8_t free_seat = 0, held_seat = 1, sold_seat = 2;

errc ended_error(hold_end why) {
  switch (why) {
    case hold_end::released: return errc::hold_released;
    case hold_end::expired: return errc::hold_expired;
    case hold_end::purchased: return errc::hold_purchased;
  }
  return errc::hold_not_found;
}

// Rows are lettered like spreadsheet columns (A..Z, AA, ...), seats numbered from 1.
std::string row_letters(uint32_t row) {
  std::string s;
  for (uint64_t n = uint64_t{row} + 1; n > 0; n = (n - 1) / 26)
    s.insert(s.begin(), static_cast<char>('A' + (n - 1) % 26));
  return s;
}

} // namespace

section_model::section_model(event_id event, const section_info& info,
                             const reservation_limits& limits)
  : event_(event), info_(info), limits_(limits) {
  const auto& l = info_.layout;
  if (l.kind == section_kind::reserved) {
    seats_.assign(l.capacity, free_seat);
    free_in_row_.assign(l.rows, l.seats_per_row);
    for (uint32_t i = 0; i < l.capacity; ++i)
      by_label_.emplace(label(i), i);
  }
}

std::string section_model::label(uint32_t seat) const {
  auto per_row = info_.layout.seats_per_row;
  return row_letters(seat / per_row) + "-" + std::to_string(seat % per_row + 1);
}

hold_info section_model::info_of(const model_hold& h) const {
  hold_info i{hold_ref{event_, info_.id, h.id}, h.customer, {}, h.quantity,
              int64_t{h.quantity} * info_.price_cents, h.created_at, h.expires_at};
  for (auto s : h.seats)
    i.seats.push_back(label(s));
  return i;
}

order_info section_model::info_of(const model_order& o) const {
  order_info i{order_ref{event_, info_.id, o.id}, o.customer, hold_ref{event_, info_.id, o.from_hold},
               {}, o.quantity, int64_t{o.quantity} * info_.price_cents, o.created_at};
  for (auto s : o.seats)
    i.seats.push_back(label(s));
  return i;
}

void section_model::take(const std::vector<uint32_t>& seats, uint8_t from, uint8_t to) {
  for (auto s : seats) {
    if (seats_[s] != from)
      std::abort();  // the model contradicts itself: a bug of the model
    seats_[s] = to;
    auto row = s / info_.layout.seats_per_row;
    if (from == free_seat)
      --free_in_row_[row];
    if (to == free_seat)
      ++free_in_row_[row];
  }
}

void section_model::remember(hold_id id, customer_id customer, hold_end why) {
  // The last ended_holds_kept_max ends are remembered, oldest forgotten first.
  if (limits_.ended_holds_kept_max == 0)
    return;
  ended_[id] = {customer, why};
  ended_order_.push_back(id);
  if (ended_order_.size() > limits_.ended_holds_kept_max) {
    ended_.erase(ended_order_.front());
    ended_order_.pop_front();
  }
}

void section_model::restore(const stored_section& stored, timestamp_ms now) {
  bool general = info_.layout.kind == section_kind::general;
  for (const auto& [id, o] : stored.orders) {
    next_order_ = std::max(next_order_, id + 1);
    if (o.cancelled) {
      cancelled_[id] = o.rec.customer;
      continue;
    }
    model_order m{id, o.rec.customer, o.rec.from_hold, o.rec.seats, o.rec.quantity,
                  o.rec.created_at};
    std::sort(m.seats.begin(), m.seats.end());
    take(m.seats, free_seat, sold_seat);
    sold_ += m.quantity;
    orders_[id] = std::move(m);
  }
  for (auto i = stored.holds.rbegin(); i != stored.holds.rend(); ++i) {
    const auto& [id, h] = *i;
    next_hold_ = std::max(next_hold_, id + 1);
    if (!h.live)
      continue;
    model_hold m{id, h.rec.customer, h.rec.seats, h.rec.quantity, h.rec.created_at,
                 h.rec.expires_at};
    std::sort(m.seats.begin(), m.seats.end());
    bool free = general ? held_ + sold_ + m.quantity <= info_.layout.capacity
                        : std::all_of(m.seats.begin(), m.seats.end(),
                                      [&](uint32_t s) { return seats_[s] == free_seat; });
    if (m.expires_at <= now || !free) {
      remember(id, m.customer, hold_end::expired);
      deltas.push_back(customer_delta{m.customer, -1, -static_cast<int32_t>(m.quantity)});
      continue;
    }
    take(m.seats, free_seat, held_seat);
    held_ += m.quantity;
    deadlines_.emplace(m.expires_at, id);
    holds_[id] = std::move(m);
  }
}

void section_model::end(hold_id id, hold_end why) {
  auto node = holds_.extract(id);
  auto& h = node.mapped();
  deadlines_.erase({h.expires_at, id});
  held_ -= h.quantity;
  if (why == hold_end::purchased) {
    take(h.seats, held_seat, sold_seat);
    sold_ += h.quantity;
  } else {
    take(h.seats, held_seat, free_seat);
  }
  remember(id, h.customer, why);
}

void section_model::expire_due(timestamp_ms now) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    auto id = deadlines_.begin()->second;
    const auto& h = holds_.at(id);
    deltas.push_back(customer_delta{h.customer, -1, -static_cast<int32_t>(h.quantity)});
    end(id, hold_end::expired);
  }
}

std::optional<errc> section_model::live(hold_id id, customer_id customer, timestamp_ms now) const {
  if (auto i = holds_.find(id); i != holds_.end() && i->second.customer == customer)
    return i->second.expires_at <= now ? std::optional{errc::hold_expired} : std::nullopt;
  if (auto i = ended_.find(id); i != ended_.end() && i->second.first == customer)
    return ended_error(i->second.second);
  return errc::hold_not_found;  // another customer's hold included
}

// Best available, by the rules in order of weight: adjacent in one row;
// strand no single free seat if any choice avoids it; the front-most row;
// in it, the block whose centre is nearest the row's centre, ties left.
// Brute force over every block (the product searches a few candidates).
std::optional<std::vector<uint32_t>> section_model::best_available(uint32_t quantity) const {
  const uint32_t per_row = info_.layout.seats_per_row;
  std::optional<std::pair<uint32_t, uint32_t>> fallback;  // row, start
  for (uint32_t row = 0; row < info_.layout.rows; ++row) {
    if (free_in_row_[row] < quantity)
      continue;
    const uint8_t* r = seats_.data() + size_t{row} * per_row;
    auto is_free = [&](int64_t i) { return i >= 0 && i < per_row && r[i] == free_seat; };
    std::optional<uint32_t> clean, orphaning;
    auto off = [&](uint32_t start) {
      return std::llabs(2 * int64_t{start} + quantity - int64_t{per_row});
    };
    for (uint32_t start = 0; start + quantity <= per_row; ++start) {
      bool all = true;
      for (uint32_t k = 0; k < quantity && all; ++k)
        all = r[start + k] == free_seat;
      if (!all)
        continue;
      int64_t left = start, right = int64_t{start} + quantity - 1;
      bool strands = (is_free(left - 1) && !is_free(left - 2)) ||
                     (is_free(right + 1) && !is_free(right + 2));
      auto& best = strands ? orphaning : clean;
      if (!best || off(start) < off(*best))
        best = start;
    }
    if (clean) {
      fallback = std::pair{row, *clean};
      break;
    }
    if (orphaning && !fallback)
      fallback = std::pair{row, *orphaning};
  }
  if (!fallback)
    return std::nullopt;
  std::vector<uint32_t> seats(quantity);
  for (uint32_t k = 0; k < quantity; ++k)
    seats[k] = fallback->first * per_row + fallback->second + k;
  return seats;
}

std::variant<errc, model_change> section_model::hold(customer_id customer,
                                                     const std::vector<std::string>& labels,
                                                     int32_t quantity, timestamp_ms now) {
  if (auto bad = model_hold_shape(labels, quantity, limits_))
    return *bad;
  uint32_t count = labels.empty() ? static_cast<uint32_t>(quantity)
                                  : static_cast<uint32_t>(labels.size());
  std::vector<uint32_t> seats;
  if (info_.layout.kind == section_kind::general) {
    if (!labels.empty())
      return errc::invalid_request;
    if (held_ + sold_ + count > info_.layout.capacity)
      return errc::not_enough_seats;
  } else if (labels.empty()) {
    auto picked = best_available(count);
    if (!picked)
      return errc::not_enough_seats;
    seats = std::move(*picked);
  } else {
    for (const auto& l : labels) {
      auto i = by_label_.find(l);
      if (i == by_label_.end())
        return errc::unknown_seat;
      seats.push_back(i->second);
    }
    std::sort(seats.begin(), seats.end());
    if (std::adjacent_find(seats.begin(), seats.end()) != seats.end())
      return errc::invalid_request;
    for (auto s : seats)
      if (seats_[s] != free_seat)
        return errc::seat_unavailable;
  }
  model_hold h{next_hold_++, customer, std::move(seats), count, now,
               now + int64_t{limits_.hold_ttl_s} * 1000};
  take(h.seats, free_seat, held_seat);
  held_ += count;
  deadlines_.emplace(h.expires_at, h.id);
  holds_[h.id] = h;
  model_change c;
  c.op = model_op::hold;
  c.hold = h;
  c.answer.hold = info_of(h);  // the answer committed with the change
  return c;
}

std::variant<errc, model_change> section_model::extend(hold_id id, customer_id customer,
                                                       timestamp_ms now) {
  if (auto bad = live(id, customer, now))
    return *bad;
  auto& h = holds_.at(id);
  auto latest = h.created_at + int64_t{limits_.hold_max_lifetime_s} * 1000;
  if (latest <= h.expires_at)
    return errc::hold_lifetime_exceeded;
  model_change c;
  c.op = model_op::extend;
  c.previous_expires_at = h.expires_at;
  auto deadline = std::max(h.expires_at, std::min(now + int64_t{limits_.hold_ttl_s} * 1000, latest));
  deadlines_.erase({h.expires_at, id});
  h.expires_at = deadline;
  deadlines_.emplace(deadline, id);
  c.hold = h;
  c.answer.hold = info_of(h);
  return c;
}

std::variant<errc, model_change> section_model::release(hold_id id, customer_id customer,
                                                        timestamp_ms now) {
  if (auto bad = live(id, customer, now))
    return *bad;
  auto node = holds_.extract(id);
  deadlines_.erase({node.mapped().expires_at, id});
  remember(id, customer, hold_end::released);
  model_change c;
  c.op = model_op::release;
  c.hold = node.mapped();
  c.answer.hold = info_of(c.hold);
  releasing_.insert(std::move(node));
  return c;
}

std::variant<errc, model_change> section_model::purchase(hold_id id, customer_id customer,
                                                         timestamp_ms now) {
  if (auto bad = live(id, customer, now))
    return *bad;
  model_change c;
  c.op = model_op::purchase;
  c.hold = holds_.at(id);
  end(id, hold_end::purchased);
  c.order = model_order{next_order_++, customer, id, c.hold.seats, c.hold.quantity, now};
  orders_[c.order.id] = c.order;
  c.answer.is_order = true;
  c.answer.order = info_of(c.order);
  return c;
}

std::variant<errc, model_change> section_model::cancel(order_id id, customer_id customer) {
  auto i = orders_.find(id);
  if (i == orders_.end() || i->second.customer != customer) {
    auto done = cancelled_.find(id);
    return done != cancelled_.end() && done->second == customer ? errc::order_cancelled
                                                               : errc::order_not_found;
  }
  model_change c;
  c.op = model_op::cancel;
  c.order = i->second;
  c.answer.is_order = true;
  c.answer.order = info_of(c.order);
  cancelling_.insert(orders_.extract(i));
  return c;
}

model_reply section_model::committed(const model_change& c, timestamp_ms now) {
  int32_t q = static_cast<int32_t>(c.op == model_op::cancel ? c.order.quantity : c.hold.quantity);
  switch (c.op) {
    case model_op::hold: {
      // A commit slower than the hold's lifetime finds it ended: say why.
      model_reply r;
      if (auto bad = live(c.hold.id, c.hold.customer, now))
        r.refused = bad;
      else
        r.hold = info_of(holds_.at(c.hold.id));
      return r;
    }
    case model_op::extend: return c.answer;
    case model_op::release:
      if (auto node = releasing_.extract(c.hold.id); !node.empty()) {
        take(node.mapped().seats, held_seat, free_seat);
        held_ -= node.mapped().quantity;
      }
      deltas.push_back(customer_delta{c.hold.customer, -1, -q});
      return c.answer;
    case model_op::purchase:
      deltas.push_back(customer_delta{c.hold.customer, -1, 0});
      return c.answer;
    case model_op::cancel:
      if (auto node = cancelling_.extract(c.order.id); !node.empty()) {
        take(node.mapped().seats, sold_seat, free_seat);
        sold_ -= node.mapped().quantity;
        cancelled_[c.order.id] = c.order.customer;
      }
      deltas.push_back(customer_delta{c.order.customer, 0, -q});
      return c.answer;
  }
  return c.answer;
}

void section_model::failed(const model_change& c) {
  switch (c.op) {
    case model_op::hold:
      if (holds_.count(c.hold.id)) {  // not ended meanwhile by its deadline
        const auto& h = holds_.at(c.hold.id);
        deltas.push_back(customer_delta{h.customer, -1, -static_cast<int32_t>(h.quantity)});
        deadlines_.erase({h.expires_at, h.id});
        take(h.seats, held_seat, free_seat);
        held_ -= h.quantity;
        holds_.erase(c.hold.id);
      }
      return;
    case model_op::extend:
      // Undone only if no later extend has moved the deadline since: a
      // failed extend must not take back one that came after it.
      if (auto i = holds_.find(c.hold.id);
          i != holds_.end() && i->second.expires_at == c.hold.expires_at) {
        deadlines_.erase({i->second.expires_at, i->first});
        i->second.expires_at = c.previous_expires_at;
        deadlines_.emplace(c.previous_expires_at, i->first);
      }
      return;
    case model_op::release:
      if (auto node = releasing_.extract(c.hold.id); !node.empty()) {
        ended_.erase(c.hold.id);
        deadlines_.emplace(node.mapped().expires_at, c.hold.id);
        holds_.insert(std::move(node));
      }
      return;
    case model_op::purchase:
      if (orders_.erase(c.order.id)) {
        take(c.hold.seats, sold_seat, held_seat);
        sold_ -= c.hold.quantity;
        held_ += c.hold.quantity;
        ended_.erase(c.hold.id);
        deadlines_.emplace(c.hold.expires_at, c.hold.id);
        holds_[c.hold.id] = c.hold;
      }
      return;
    case model_op::cancel:
      if (auto node = cancelling_.extract(c.order.id); !node.empty())
        orders_.insert(std::move(node));
      return;
  }
}

section_stats section_model::stats() const {
  section_stats s;
  s.section = info_.id;
  s.capacity = info_.layout.capacity;
  s.held = held_;
  s.sold = sold_;
  s.free = s.capacity - held_ - sold_;
  s.live_holds = static_cast<uint32_t>(holds_.size());
  s.orders = static_cast<uint32_t>(orders_.size());
  return s;
}

} // namespace boxoffice::sim
