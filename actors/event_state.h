// The rules of an event, with no actors in it: its sale window
// (draft -> on_sale -> closed), its sections, and the per-customer limits
// that span sections. A hold is admitted here before its section sees it;
// admission reserves the customer's quota. Every decrease arrives as a
// customer_delta from the section: a hold refused or not committed, a
// release, an expiry, a purchase (one hold fewer) or a cancel.
// REQUIRES: external synchronization (the event actor owns it).
#pragma once

#include "actors/domain.h"
#include "actors/errc.h"
#include "actors/limits.h"

#include <optional>
#include <unordered_map>

namespace boxoffice {

class event_state {
public:
  // REQUIRES: info.sections passed check_layout (see add_section).
  event_state(event_info info, const reservation_limits& limits);

  // Counts the live holds and orders of restored sections into the quotas.
  void count_restored(const section_snapshot& section);

  const event_info& info() const { return info_; }
  const section_info* find_section(section_id id) const;

  // draft -> on_sale -> closed, or draft -> closed; the same status again is
  // accepted and changes nothing. check_status only says whether it may.
  std::optional<errc> check_status(sale_status next) const;
  std::optional<errc> set_status(sale_status next);
  // Title, description, venue, start, ticket limit and status from `info`
  // (its id and sections are ignored).
  // REQUIRES: check_status(info.status) passed; max_tickets_per_customer > 0.
  void set_details(const event_info& info);

  // The section a request would add (with the next id), or why not: the
  // event is closed, it has max_sections_per_event, or the layout is bad.
  outcome<section_info> plan_section(std::string name, section_layout layout,
                                     int64_t price_cents) const;
  // REQUIRES: `section` came from plan_section, with nothing added since.
  void add_section(section_info section);

  // Admits a hold of `seats` seats by `customer` in `section`, reserving
  // quota, or says why not.
  std::optional<errc> admit_hold(customer_id customer, section_id section, uint32_t seats);
  void apply(const customer_delta& delta);

  struct usage {
    uint32_t holds = 0;
    uint32_t tickets = 0;
  };
  usage usage_of(customer_id customer) const;

  // The stock as the quotas count it: every live hold (admitted, even if its
  // section has not placed it yet) and every ticket sold, across sections.
  uint64_t capacity() const;
  uint64_t tickets_counted() const { return tickets_total_; }
  uint64_t holds_counted() const { return holds_total_; }

private:
  event_info info_;
  reservation_limits limits_;
  std::unordered_map<customer_id, usage> usage_;  // only customers with something live
  uint64_t tickets_total_ = 0;  // sums of usage_
  uint64_t holds_total_ = 0;
};

} // namespace boxoffice
