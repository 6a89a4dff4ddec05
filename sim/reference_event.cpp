// The reference model's event part (quotas), the shape rule of a hold
// request, and the comparison of a reply with the model's (sim/reference.h).
#include "sim/reference.h"

#include <algorithm>

namespace boxoffice::sim {

std::optional<errc> model_hold_shape(const std::vector<std::string>& seats, int32_t quantity,
                                     const reservation_limits& limits) {
  if (!seats.empty() && quantity != 0)
    return errc::invalid_request;
  if (seats.empty() && quantity <= 0)
    return errc::invalid_quantity;
  uint64_t n = seats.empty() ? static_cast<uint64_t>(quantity) : seats.size();
  if (n > limits.max_seats_per_hold)
    return errc::too_many_seats;
  return std::nullopt;
}

// --- event_model -----------------------------------------------------------------

void event_model::restore(const stored_event& stored) {
  usage_.clear();
  for (const auto& [sid, s] : stored.sections) {
    for (const auto& [id, h] : s.holds)
      if (h.live) {
        usage_[h.rec.customer].holds += 1;
        usage_[h.rec.customer].tickets += h.rec.quantity;
      }
    for (const auto& [id, o] : s.orders)
      if (!o.cancelled)
        usage_[o.rec.customer].tickets += o.rec.quantity;
  }
}

std::optional<errc> event_model::admit(const event_info& info, const reservation_limits& limits,
                                       customer_id customer, section_id section,
                                       const std::vector<std::string>& seats, int32_t quantity) {
  if (auto bad = model_hold_shape(seats, quantity, limits))
    return bad;
  int64_t n = seats.empty() ? quantity : static_cast<int64_t>(seats.size());
  if (info.status != sale_status::on_sale)
    return errc::sale_not_open;
  if (std::none_of(info.sections.begin(), info.sections.end(),
                   [&](const section_info& s) { return s.id == section; }))
    return errc::section_not_found;
  auto& u = usage_[customer];
  auto max_tickets = info.max_tickets_per_customer ? info.max_tickets_per_customer
                                                   : limits.max_tickets_per_customer;
  if (u.holds + 1 > limits.max_holds_per_customer)
    return errc::too_many_holds;
  if (u.tickets + n > max_tickets)
    return errc::limit_exceeded;
  u.holds += 1;
  u.tickets += n;
  return std::nullopt;
}

std::string event_model::apply(const customer_delta& d) {
  auto& u = usage_[d.customer];
  u.holds += d.holds;
  u.tickets += d.tickets;
  if (u.holds < 0 || u.tickets < 0)
    return "customer " + std::to_string(d.customer) + "'s quota went negative";
  return {};
}

// --- comparing replies -------------------------------------------------------------

namespace {

std::string seats_text(const std::vector<std::string>& s) {
  std::string out;
  for (const auto& x : s)
    out += (out.empty() ? "" : ",") + x;
  return "[" + out + "]";
}

template <class A, class B>
std::string differ(const char* what, A got, B want) {
  return what + std::string{": "} + std::to_string(got) + ", the model " + std::to_string(want);
}

// The fields a hold and an order share.
template <class Info>
std::string compare_common(const Info& got, const Info& w) {
  if (got.customer != w.customer)
    return differ("customer", got.customer, w.customer);
  if (got.seats != w.seats)
    return "seats " + seats_text(got.seats) + ", the model " + seats_text(w.seats);
  if (got.quantity != w.quantity)
    return differ("quantity", got.quantity, w.quantity);
  if (got.total_cents != w.total_cents)
    return differ("total_cents", got.total_cents, w.total_cents);
  if (got.created_at != w.created_at)
    return differ("created_at", got.created_at, w.created_at);
  return {};
}

} // namespace

std::string compare(const model_reply& want, const hold_info& got) {
  if (want.refused)
    return "a hold, where the model refuses (" + std::string{to_string(*want.refused)} + ")";
  if (want.is_order)
    return "a hold, where the model answers an order";
  const auto& w = want.hold;
  if (got.ref.section != w.ref.section || got.ref.hold != w.ref.hold)
    return differ("hold id", got.ref.hold, w.ref.hold) + " (section " +
           std::to_string(w.ref.section) + ")";
  if (auto bad = compare_common(got, w); !bad.empty())
    return bad;
  if (got.expires_at != w.expires_at)
    return differ("expires_at", got.expires_at, w.expires_at);
  return {};
}

std::string compare(const model_reply& want, const order_info& got) {
  if (want.refused)
    return "an order, where the model refuses (" + std::string{to_string(*want.refused)} + ")";
  if (!want.is_order)
    return "an order, where the model answers a hold";
  const auto& w = want.order;
  if (got.ref.section != w.ref.section || got.ref.order != w.ref.order)
    return differ("order id", got.ref.order, w.ref.order);
  if (got.from_hold.hold != w.from_hold.hold)
    return differ("from hold", got.from_hold.hold, w.from_hold.hold);
  return compare_common(got, w);
}

} // namespace boxoffice::sim
