#include "actors/event_state.h"

#include "actors/section_state.h"

#include <cstdio>
#include <cstdlib>

namespace boxoffice {

event_state::event_state(event_info info, const reservation_limits& limits)
  : info_(std::move(info)), limits_(limits) {
  if (info_.max_tickets_per_customer == 0)
    info_.max_tickets_per_customer = limits_.max_tickets_per_customer;
}

void event_state::count_restored(const section_snapshot& section) {
  for (const auto& hold : section.holds) {
    auto& u = usage_[hold.customer];
    u.holds += 1;
    u.tickets += hold.quantity;
    holds_total_ += 1;
    tickets_total_ += hold.quantity;
  }
  for (const auto& order : section.orders) {
    usage_[order.customer].tickets += order.quantity;
    tickets_total_ += order.quantity;
  }
}

const section_info* event_state::find_section(section_id id) const {
  for (const auto& section : info_.sections)
    if (section.id == id)
      return &section;
  return nullptr;
}

std::optional<errc> event_state::check_status(sale_status next) const {
  auto now = info_.status;
  bool allowed = next == now || (now == sale_status::draft && next != sale_status::draft)
                 || (now == sale_status::on_sale && next == sale_status::closed);
  if (!allowed)
    return errc::invalid_transition;
  return std::nullopt;
}

std::optional<errc> event_state::set_status(sale_status next) {
  if (auto refused = check_status(next))
    return refused;
  info_.status = next;
  return std::nullopt;
}

void event_state::set_details(const event_info& info) {
  info_.title = info.title;
  info_.description = info.description;
  info_.venue = info.venue;
  info_.starts_at = info.starts_at;
  info_.max_tickets_per_customer = info.max_tickets_per_customer;
  info_.status = info.status;
}

void event_state::add_section(section_info section) {
  info_.sections.push_back(std::move(section));
}

outcome<section_info> event_state::plan_section(std::string name, section_layout layout,
                                                int64_t price_cents) const {
  if (info_.status == sale_status::closed)
    return errc::invalid_transition;
  if (info_.sections.size() >= limits_.max_sections_per_event)
    return errc::too_many_sections;
  if (check_layout(layout, limits_) || price_cents < 0)
    return errc::invalid_section;
  section_id id = info_.sections.empty() ? 1 : info_.sections.back().id + 1;
  return section_info{id, std::move(name), layout, price_cents};
}

std::optional<errc> event_state::admit_hold(customer_id customer, section_id section,
                                            uint32_t seats) {
  if (info_.status != sale_status::on_sale)
    return errc::sale_not_open;
  if (!find_section(section))
    return errc::section_not_found;
  auto current = usage_of(customer);
  if (current.holds + 1 > limits_.max_holds_per_customer)
    return errc::too_many_holds;
  if (uint64_t{current.tickets} + seats > info_.max_tickets_per_customer)
    return errc::limit_exceeded;
  auto& u = usage_[customer];
  u.holds += 1;
  u.tickets += seats;
  holds_total_ += 1;
  tickets_total_ += seats;
  return std::nullopt;
}

void event_state::apply(const customer_delta& delta) {
  auto i = usage_.find(delta.customer);
  auto holds = int64_t{i == usage_.end() ? 0 : i->second.holds} + delta.holds;
  auto tickets = int64_t{i == usage_.end() ? 0 : i->second.tickets} + delta.tickets;
  if (holds < 0 || tickets < 0) {
    // A section gave back more than was counted: the books are wrong.
    std::fprintf(stderr, "boxoffice: event invariant violated: negative usage\n");
    std::abort();
  }
  holds_total_ = static_cast<uint64_t>(static_cast<int64_t>(holds_total_) + delta.holds);
  tickets_total_ = static_cast<uint64_t>(static_cast<int64_t>(tickets_total_) + delta.tickets);
  if (holds == 0 && tickets == 0) {
    if (i != usage_.end())
      usage_.erase(i);
    return;
  }
  usage_[delta.customer] = usage{static_cast<uint32_t>(holds), static_cast<uint32_t>(tickets)};
}

uint64_t event_state::capacity() const {
  uint64_t total = 0;
  for (const auto& s : info_.sections)
    total += s.layout.capacity;
  return total;
}

event_state::usage event_state::usage_of(customer_id customer) const {
  auto i = usage_.find(customer);
  return i == usage_.end() ? usage{} : i->second;
}

} // namespace boxoffice
