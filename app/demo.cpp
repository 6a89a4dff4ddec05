#include "app/demo.h"

#include "actors/wall_clock.h"
#include "persistence/account_store.h"

#include <chrono>
#include <stdexcept>

namespace boxoffice {

namespace {

constexpr auto answer_timeout = std::chrono::seconds(10);

template <class Reply, class Req>
caf::expected<Reply> ask(caf::scoped_actor& self, const directory_actor& dir, Req req) {
  caf::expected<Reply> result = caf::sec::request_timeout;
  self->request(dir, answer_timeout, std::move(req))
    .receive([&](Reply& reply) { result = std::move(reply); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

std::vector<account> usable_demo_accounts(account_store& store) {
  std::vector<account> usable;
  for (const auto& demo : {demo_admin, demo_customer}) {
    auto found = store.find_account_by_email(demo.email);
    if (found && found->password_hash != disabled_password_hash)
      usable.push_back(*found);
  }
  return usable;
}

} // namespace

caf::expected<event_view> create_demo_event(caf::actor_system& sys, const directory_actor& dir) {
  caf::scoped_actor self{sys};
  using namespace std::chrono;
  auto in_a_month = duration_cast<milliseconds>(system_clock::now().time_since_epoch() + hours(720));
  auto event = ask<event_info>(self, dir,
                               create_event_request{"boxoffice demo night",
                                                    "A made-up concert to try boxoffice on.",
                                                    "Demo Hall", in_a_month.count(), 0, {}});
  if (!event)
    return event.error();
  struct section_plan {
    const char* name;
    section_layout layout;
    int64_t price_cents;
  };
  const section_plan plans[] = {
    {"Stalls", reserved_layout(20, 30), 8900},
    {"Circle", reserved_layout(10, 24), 6500},
    {"Balcony", reserved_layout(8, 20), 4500},
    {"Standing", general_layout(500), 3500},
  };
  for (const auto& plan : plans) {
    auto added = ask<section_info>(self, dir,
                                   add_section_request{event->id, plan.name, plan.layout,
                                                       plan.price_cents, {}});
    if (!added)
      return added.error();
  }
  auto on_sale = ask<event_info>(self, dir, set_status_request{event->id, sale_status::on_sale});
  if (!on_sale)
    return on_sale.error();
  return ask<event_view>(self, dir, event_request{event->id});
}

void create_demo_accounts(const std::string& database_url, const account_rules& rules) {
  ensure_admin(database_url, demo_admin.email, demo_admin.password, rules);
  account_store store{database_url};
  auto hash = hash_password(demo_customer.password, rules.hashing);
  if (auto existing = store.find_account_by_email(demo_customer.email)) {
    store.update_account(existing->id, hash, account_role::customer);
    return;
  }
  store.create_account(demo_customer.email, hash, account_role::customer, system_clock_ms());
}

std::vector<std::string> usable_demo_accounts(const std::string& database_url) {
  account_store store{database_url};
  std::vector<std::string> emails;
  for (const auto& a : usable_demo_accounts(store))
    emails.push_back(a.email);
  return emails;
}

void refuse_demo_accounts(const std::string& database_url) {
  auto usable = usable_demo_accounts(database_url);
  if (usable.empty())
    return;
  std::string names;
  for (const auto& email : usable)
    names += (names.empty() ? "" : ", ") + email;
  throw std::runtime_error("this database has the demo accounts of `serve --demo` (" + names
                           + "), whose passwords are published; disable them with `boxoffice "
                             "remove-demo-accounts` (same --config), or serve with --demo");
}

std::vector<std::string> remove_demo_accounts(const std::string& database_url) {
  account_store store{database_url};
  std::vector<std::string> removed;
  for (const auto& a : usable_demo_accounts(store))
    if (store.disable_account(a.id, system_clock_ms()))
      removed.push_back(a.email);
  return removed;
}

} // namespace boxoffice
