#include "sim/scenario.h"

#include <yaml-cpp/yaml.h>

#include <sstream>
#include <stdexcept>

namespace boxoffice::sim {

namespace {

double uniform(std::mt19937_64& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}
uint32_t pick(std::mt19937_64& rng, uint32_t lo, uint32_t hi) {
  return std::uniform_int_distribution<uint32_t>(lo, hi)(rng);
}

template <class T>
void read(const YAML::Node& node, const char* key, T& into) {
  if (node[key])
    into = node[key].as<T>();
}

} // namespace

scenario preset(const std::string& name) {
  scenario s;
  s.name = name;
  s.limits.hold_ttl_s = 120;
  s.limits.hold_max_lifetime_s = 300;
  s.limits.max_tickets_per_customer = 6;
  s.limits.max_holds_per_customer = 2;
  if (name == "small")
    return s;
  if (name == "flash") {
    // 10,000 seats, 100,000 customers, 15 virtual minutes.
    s.reserved_sections = 4;
    s.rows = 50;
    s.seats_per_row = 40;
    s.general_sections = 1;
    s.general_capacity = 2000;
    s.customers = 100'000;
    s.sale_s = 900;
    s.journal = journal_settings{512, 1, 65536, 4};
    s.reorder = 0.2;
    s.timer_race = 0.001;
    s.steps_max = 100'000'000;
    s.behaviour.think_s_max = 30;
    s.behaviour.retries_max = 1;
    return s;
  }
  if (name == "soak") {
    s.reserved_sections = 2;
    s.rows = 10;
    s.seats_per_row = 10;
    s.general_capacity = 50;
    s.customers = 2000;
    s.sale_s = 3600;
    s.arrival = "uniform";
    return s;
  }
  throw std::invalid_argument("unknown scenario '" + name + "' (small, flash, soak or a .yaml file)");
}

scenario load_scenario(const std::string& path) {
  YAML::Node root = YAML::LoadFile(path);
  auto s = preset(root["base"] ? root["base"].as<std::string>() : "small");
  s.name = path;
  read(root, "reserved_sections", s.reserved_sections);
  read(root, "rows", s.rows);
  read(root, "seats_per_row", s.seats_per_row);
  read(root, "general_sections", s.general_sections);
  read(root, "general_capacity", s.general_capacity);
  read(root, "customers", s.customers);
  read(root, "sale_s", s.sale_s);
  read(root, "arrival", s.arrival);
  read(root, "reorder", s.reorder);
  read(root, "timer_race", s.timer_race);
  read(root, "steps_max", s.steps_max);
  read(root, "ops_max", s.ops_max);
  if (auto b = root["behaviour"]) {
    auto& m = s.behaviour;
    read(b, "named", m.named);
    read(b, "best", m.best);
    read(b, "general", m.general);
    read(b, "abandon", m.abandon);
    read(b, "release", m.release);
    read(b, "extend", m.extend);
    read(b, "buy", m.buy);
    read(b, "cancel", m.cancel);
    read(b, "late", m.late);
    read(b, "quantity_max", m.quantity_max);
    read(b, "think_s_max", m.think_s_max);
    read(b, "retries_max", m.retries_max);
  }
  if (auto l = root["limits"]) {
    read(l, "hold_ttl_s", s.limits.hold_ttl_s);
    read(l, "hold_max_lifetime_s", s.limits.hold_max_lifetime_s);
    read(l, "max_seats_per_hold", s.limits.max_seats_per_hold);
    read(l, "max_holds_per_customer", s.limits.max_holds_per_customer);
    read(l, "max_tickets_per_customer", s.limits.max_tickets_per_customer);
  }
  if (s.arrival != "burst" && s.arrival != "uniform")
    throw std::invalid_argument(path + ": arrival: burst or uniform");
  if (s.reserved_sections + s.general_sections == 0 || s.customers == 0 || s.sale_s == 0)
    throw std::invalid_argument(path + ": needs a section, a customer and a sale_s");
  return s;
}

void draw_faults(scenario& s, const std::string& faults, std::mt19937_64& rng) {
  s.faults_name = faults;
  auto& f = s.faults;
  f = fault_plan{};
  if (faults == "none")
    return;
  std::vector<std::string> names;
  if (faults == "swarm") {
    // Swarm testing: each fault on or off by the seed, so that faults also
    // get runs without the others masking them.
    for (const char* n : {"commit_fail", "latency", "outage", "crash", "crash_after_commit",
                          "actor_crash", "clock_jump", "timeout", "slow_disk"})
      if (uniform(rng, 0, 1) < 0.5)
        names.push_back(n);
  } else {
    std::stringstream list{faults};
    for (std::string n; std::getline(list, n, ',');)
      names.push_back(n);
  }
  for (const auto& n : names) {
    if (n == "commit_fail") {
      f.commit_fail = uniform(rng, 0.01, 0.2);
    } else if (n == "latency") {
      f.commit_latency_ms_max = pick(rng, 5, 300);
    } else if (n == "slow_disk") {
      // Commits of seconds: writes queue past the gateway's 5 s timeout
      // (actors.request_timeout_ms); the keys stay in use until the actors
      // answer (keyed_write_timeout_ms).
      f.commit_latency_ms_max = pick(rng, 2000, 4000);
    } else if (n == "outage") {
      f.outage_at_s = pick(rng, 0, s.sale_s / 2);
      f.outage_s = pick(rng, 1, std::max<uint32_t>(s.sale_s / 10, 2));
    } else if (n == "crash") {
      f.node_crashes = pick(rng, 1, 3);
    } else if (n == "actor_crash") {
      f.actor_crashes = pick(rng, 1, 3);
    } else if (n == "crash_after_commit") {
      f.crash_after_commit = uniform(rng, 0.002, 0.03);
    } else if (n == "clock_jump") {
      f.clock_jumps = pick(rng, 1, 3);
      f.clock_jump_s_max = pick(rng, 1, s.limits.hold_ttl_s * 2);
    } else if (n == "timeout") {
      // Clients give up on a slow server: a timeout comes with latency.
      f.client_timeout_ms = pick(rng, 20, 250);
      if (f.commit_latency_ms_max == 0)
        f.commit_latency_ms_max = pick(rng, f.client_timeout_ms, 400);
    } else {
      throw std::invalid_argument("unknown fault '" + n + "' (commit_fail, latency, outage, crash,"
                                  " crash_after_commit, actor_crash, clock_jump, timeout,"
                                  " slow_disk)");
    }
  }
}

void draw_interleaving(scenario& s, std::mt19937_64& rng) {
  s.reorder = uniform(rng, 0, s.reorder * 2 > 1 ? 1 : s.reorder * 2);
  s.timer_race = uniform(rng, 0, s.timer_race * 2);
}

void print(std::ostream& out, const scenario& s) {
  const auto& b = s.behaviour;
  const auto& f = s.faults;
  out << "scenario=" << s.name << " reserved_sections=" << s.reserved_sections << " rows=" << s.rows
      << " seats_per_row=" << s.seats_per_row << " general_sections=" << s.general_sections
      << " general_capacity=" << s.general_capacity << " customers=" << s.customers
      << " sale_s=" << s.sale_s << " arrival=" << s.arrival << "\n"
      << "behaviour named=" << b.named << " best=" << b.best << " general=" << b.general
      << " abandon=" << b.abandon << " release=" << b.release << " extend=" << b.extend
      << " buy=" << b.buy << " cancel=" << b.cancel << " late=" << b.late << " quantity_max=" << b.quantity_max
      << " think_s_max=" << b.think_s_max << " retries_max=" << b.retries_max << "\n"
      << "limits hold_ttl_s=" << s.limits.hold_ttl_s
      << " hold_max_lifetime_s=" << s.limits.hold_max_lifetime_s
      << " max_tickets_per_customer=" << s.limits.max_tickets_per_customer
      << " max_holds_per_customer=" << s.limits.max_holds_per_customer
      << " journal batch_rows_max=" << s.journal.batch_rows_max
      << " batch_wait_ms=" << s.journal.batch_wait_ms
      << " batches_in_flight_max=" << s.journal.batches_in_flight_max << "\n"
      << "interleaving reorder=" << s.reorder << " timer_race=" << s.timer_race
      << " steps_max=" << s.steps_max << " ops_max=" << s.ops_max << "\n"
      << "faults=" << s.faults_name << " commit_fail=" << f.commit_fail
      << " commit_latency_ms_max=" << f.commit_latency_ms_max << " outage_at_s=" << f.outage_at_s
      << " outage_s=" << f.outage_s << " crash_after_commit=" << f.crash_after_commit
      << " node_crashes=" << f.node_crashes << " actor_crashes=" << f.actor_crashes
      << " clock_jumps=" << f.clock_jumps
      << " clock_jump_s_max=" << f.clock_jump_s_max
      << " client_timeout_ms=" << f.client_timeout_ms << "\n";
}

} // namespace boxoffice::sim
