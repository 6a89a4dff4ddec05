#include "persistence/query_service.h"

#include "persistence/worker.h"

#include <memory>

namespace boxoffice {

namespace {

struct worker_state {
  std::unique_ptr<query_store> store;
};

caf::behavior query_worker(caf::stateful_actor<worker_state>* self, std::string url) {
  self->state.store = std::make_unique<query_store>(url);
  return {
    [=](const event_search& q) {
      return store_call<event_page>("query search", [&] { return self->state.store->search_events(q); });
    },
    [=](const orders_request& q) {
      return store_call<orders_page>("query orders", [&] {
        orders_page page;
        page.total = self->state.store->order_count(q.customer);
        page.orders = self->state.store->orders_of(q.customer, q.limit, q.offset);
        return page;
      });
    },
    [=](const order_lookup& q) {
      return store_call<stored_order>("query order", [&]() -> caf::result<stored_order> {
        auto found = self->state.store->find_order(q.customer, q.event, q.section, q.order);
        if (!found)
          return make_error(errc::order_not_found);
        return *found;
      });
    },
    [=](const ping_request&) {
      // The cheapest real query: one page of one event.
      return store_call<bool>("query ping", [&] {
        self->state.store->search_events(event_search{"", true, 1, 1});
        return true;
      });
    },
  };
}

} // namespace

caf::actor spawn_query_workers(caf::actor_system& sys, uint32_t workers,
                               const std::string& database_url) {
  return spawn_worker_pool(sys, workers, [&sys, database_url] {
    return sys.spawn<caf::detached>(query_worker, database_url);
  });
}

} // namespace boxoffice
