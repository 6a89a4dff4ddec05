#include "bench/loadgen/scenario.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <iterator>

namespace boxoffice::loadgen {

using nlohmann::json;

namespace {

uint32_t most_per_hold(scenario s) {
  return s == scenario::quantity ? 4 : 1;
}

uint32_t least_per_hold(scenario s) {
  return s == scenario::quantity ? 2 : 1;
}

bool unknown_outcome(const wire_response& r, const std::string& code) {
  return r.status == 0 || code == "request_timeout";
}

} // namespace

void sale_record::merge(sale_record&& other) {
  std::move(other.holds.begin(), other.holds.end(), std::back_inserter(holds));
  std::move(other.orders.begin(), other.orders.end(), std::back_inserter(orders));
  unknown_holds += other.unknown_holds;
  std::move(other.unknown_purchases.begin(), other.unknown_purchases.end(),
            std::back_inserter(unknown_purchases));
}

shared_run::shared_run(const options& o, const sale& s)
  : opts(o), the_sale(s), fits(new std::atomic<uint32_t>[s.section_ids.size()]) {
  for (std::size_t i = 0; i < s.section_ids.size(); ++i)
    fits[i] = most_per_hold(o.kind);
}

int shared_run::open_section(std::mt19937_64& rng, uint32_t least) const {
  auto n = the_sale.section_ids.size();
  if (n == 0)
    return -1;
  auto start = static_cast<std::size_t>(rng() % n);
  for (std::size_t k = 0; k < n; ++k) {
    auto i = (start + k) % n;
    if (fits[i].load(std::memory_order_relaxed) >= least)
      return static_cast<int>(i);
  }
  return -1;
}

void shared_run::refused(std::size_t section, uint32_t quantity) {
  auto& f = fits[section];
  auto seen = f.load();
  while (seen >= quantity && !f.compare_exchange_weak(seen, quantity - 1)) {
  }
}

shopper::shopper(shared_run& run, thread_part& part, uint32_t index)
  : run_(run), part_(part), index_(index), next_customer_(index),
    rng_(run.opts.seed * 0x9E3779B97F4A7C15ULL + index),
    event_path_("/v1/events/" + std::to_string(run.the_sale.event_id)),
    etags_(run.the_sale.section_ids.size()) {
}

bool shopper::next_request(std::string& request) {
  if (run_.stop.load(std::memory_order_relaxed))
    return false;
  pending p;
  if (!plan(p))
    return false;
  if (run_.requests.fetch_add(1, std::memory_order_relaxed) >= run_.opts.max_requests) {
    run_.stop = true;
    return false;
  }
  now_ = std::move(p);
  request = format(now_);
  return true;
}

bool shopper::plan(pending& p) {
  auto kind = run_.opts.kind;
  switch (kind) {
    case scenario::health:
      p.kind = op::health;
      return true;
    case scenario::browse:
      plan_read(p);
      return true;
    case scenario::seat_map:
    case scenario::seat_map_cached:
      p.kind = op::seat_map;
      p.section = static_cast<std::size_t>(rng_() % run_.the_sale.section_ids.size());
      return true;
    case scenario::event_page:
      p.kind = op::event;
      return true;
    case scenario::flash:
      if (!holds_.empty()) {
        p.kind = op::purchase;
        p.hold = holds_.front();
        holds_.pop_front();
        return true;
      }
      return plan_hold(p, 1, 1);
    case scenario::spread:
      return plan_hold(p, 1, 1);
    case scenario::quantity:
      return plan_hold(p, least_per_hold(kind), most_per_hold(kind));
    case scenario::mixed: {
      auto dice = rng_() % 100;
      if (dice >= 95 && !holds_.empty()) {
        p.kind = op::purchase;
        p.hold = holds_.front();
        holds_.pop_front();
        return true;
      }
      if (dice >= 80 && plan_hold(p, 1, 1))
        return true;
      plan_read(p);
      return true;
    }
  }
  return false;
}

bool shopper::plan_hold(pending& p, uint32_t least, uint32_t most) {
  auto section = run_.open_section(rng_, least);
  if (section < 0)
    return false;
  p.kind = op::hold;
  p.section = static_cast<std::size_t>(section);
  auto fits = std::min(most, run_.fits[p.section].load(std::memory_order_relaxed));
  p.quantity = least + static_cast<uint32_t>(rng_() % (std::max(fits, least) - least + 1));
  p.hold.customer = next_customer_;
  next_customer_ = (next_customer_ + run_.opts.connections) % run_.opts.customers;
  return true;
}

void shopper::plan_read(pending& p) {
  if (rng_() % 2 == 0) {
    p.kind = op::event;
    return;
  }
  p.kind = op::seat_map;
  p.section = static_cast<std::size_t>(rng_() % run_.the_sale.section_ids.size());
}

std::string shopper::format(const pending& p) {
  const auto& o = run_.opts;
  const auto& sale = run_.the_sale;
  std::string key;
  if (o.idempotency_keys && (p.kind == op::hold || p.kind == op::purchase))
    key = "Idempotency-Key: lg-" + std::to_string(sale.event_id) + "-" + std::to_string(index_)
          + "-" + std::to_string(++keys_) + "\r\n";
  switch (p.kind) {
    case op::health:
      return format_request("GET", "/v1/health", o.host, "", "");
    case op::event:
      return format_request("GET", event_path_, o.host, "", "");
    case op::seat_map: {
      std::string conditional;
      if (o.kind == scenario::seat_map_cached && !etags_[p.section].empty())
        conditional = "If-None-Match: " + etags_[p.section] + "\r\n";
      return format_request("GET", event_path_ + "/sections/"
                                     + std::to_string(sale.section_ids[p.section]) + "/seats",
                            o.host, "", "", conditional);
    }
    case op::hold:
      return format_request("POST", event_path_ + "/holds", o.host, sale.tokens[p.hold.customer],
                            "{\"section_id\":" + std::to_string(sale.section_ids[p.section])
                              + ",\"quantity\":" + std::to_string(p.quantity) + "}",
                            key);
    case op::purchase:
      return format_request("POST", "/v1/holds/" + p.hold.id + "/purchase", o.host,
                            sale.tokens[p.hold.customer], "", key);
  }
  return {};
}

void shopper::on_response(const wire_response& r, wire_clock::duration latency) {
  auto& s = part_.stats[static_cast<std::size_t>(now_.kind)];
  ++s.attempts;
  s.latency.add(static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::microseconds>(latency).count()));
  part_.live.answers.fetch_add(1, std::memory_order_relaxed);
  if (now_.kind == op::seat_map && !r.etag.empty())
    etags_[now_.section] = r.etag;
  // A 304 to a conditional read is its answer: "what you have is current".
  bool not_modified = r.status == 304 && run_.opts.kind == scenario::seat_map_cached;
  if ((r.status >= 200 && r.status < 300) || not_modified) {
    ++s.successes;
    part_.live.successes.fetch_add(1, std::memory_order_relaxed);
    on_success(r);
    return;
  }
  part_.live.errors.fetch_add(1, std::memory_order_relaxed);
  std::string code;
  if (r.status != 0) {
    auto j = json::parse(r.body, nullptr, false);
    if (j.is_object() && j.contains("code") && j["code"].is_string())
      code = j["code"].get<std::string>();
  }
  s.failures[r.status == 0 ? "0 " + r.error : std::to_string(r.status) + " " + code] += 1;
  on_failure(r, code);
}

void shopper::on_success(const wire_response& r) {
  if (now_.kind != op::hold && now_.kind != op::purchase)
    return;
  auto j = json::parse(r.body, nullptr, false);
  auto seats = j.is_object() ? j.value("seats", std::vector<std::string>{})
                             : std::vector<std::string>{};
  auto quantity = j.is_object() ? j.value("quantity", 0u) : 0u;
  auto id = j.is_object() ? j.value("id", std::string{}) : std::string{};
  auto section = run_.the_sale.section_ids[now_.section];
  if (now_.kind == op::hold) {
    part_.record.holds.push_back({id, section, quantity, std::move(seats)});
    if (run_.opts.kind == scenario::flash || run_.opts.kind == scenario::mixed)
      holds_.push_back({id, now_.hold.customer});
    return;
  }
  auto hold_id = j.is_object() ? j.value("hold_id", std::string{}) : std::string{};
  auto order_section = j.is_object() ? j.value("section_id", 0u) : 0u;
  part_.record.orders.push_back({id, hold_id, order_section, quantity, std::move(seats)});
}

void shopper::on_failure(const wire_response& r, const std::string& code) {
  if (now_.kind == op::hold) {
    if (unknown_outcome(r, code))
      ++part_.record.unknown_holds;
    else if (code == "not_enough_seats")
      run_.refused(now_.section, now_.quantity);
  } else if (now_.kind == op::purchase && unknown_outcome(r, code)) {
    part_.record.unknown_purchases.push_back(now_.hold.id);
  }
}

} // namespace boxoffice::loadgen
