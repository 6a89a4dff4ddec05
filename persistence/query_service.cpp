#include "persistence/query_service.h"

#include "actors/protocol.h"

#include <spdlog/spdlog.h>

#include <memory>

namespace boxoffice {

namespace {

struct worker_state {
  std::unique_ptr<query_store> store;
};

template <class T, class F>
caf::result<T> guarded(const char* what, F work) {
  try {
    return work();
  } catch (const store_error& e) {
    spdlog::error("query {} failed: {}", what, e.what());
    return make_error(errc::storage_unavailable);
  }
}

caf::behavior query_worker(caf::stateful_actor<worker_state>* self, std::string url) {
  self->state.store = std::make_unique<query_store>(url);
  return {
    [=](const event_search& q) {
      return guarded<event_page>("search", [&] { return self->state.store->search_events(q); });
    },
    [=](const orders_request& q) {
      return guarded<orders_page>("orders", [&] {
        orders_page page;
        page.total = self->state.store->order_count(q.customer);
        page.orders = self->state.store->orders_of(q.customer, q.limit, q.offset);
        return page;
      });
    },
    [=](const order_lookup& q) {
      return guarded<stored_order>("order", [&]() -> caf::result<stored_order> {
        auto found = self->state.store->find_order(q.customer, q.event, q.section, q.order);
        if (!found)
          return make_error(errc::order_not_found);
        return *found;
      });
    },
    [=](const ping_request&) {
      // The cheapest real query: one page of one event.
      return guarded<bool>("ping", [&] {
        self->state.store->search_events(event_search{"", true, 1, 1});
        return true;
      });
    },
  };
}

} // namespace

caf::actor spawn_query_workers(caf::actor_system& sys, uint32_t workers,
                               const std::string& database_url) {
  auto factory = [&sys, database_url] {
    return caf::actor_cast<caf::actor>(sys.spawn<caf::detached>(query_worker, database_url));
  };
  return caf::actor_pool::make(sys.dummy_execution_unit(), workers, factory,
                               caf::actor_pool::round_robin());
}

} // namespace boxoffice
