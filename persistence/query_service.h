// The detached workers that answer the API's database reads (query_store):
// event search, a customer's orders, and the readiness probe. Each worker
// owns one connection; a round-robin pool spreads the reads.
#pragma once

#include "persistence/query_store.h"

#include <caf/all.hpp>

#include <string>
#include <vector>

namespace boxoffice {

struct orders_request {
  customer_id customer = 0;
  uint32_t limit = 10;
  uint32_t offset = 0;
};

struct orders_page {
  uint64_t total = 0;
  std::vector<stored_order> orders;
};

struct order_lookup {
  customer_id customer = 0;
  event_id event = 0;
  section_id section = 0;
  order_id order = 0;
};

// Answered true when the database answers a query.
struct ping_request {};

// Replies: event_search -> event_page, orders_request -> orders_page,
// order_lookup -> stored_order (order_not_found), ping_request -> bool.
// Failures: storage_unavailable.
caf::actor spawn_query_workers(caf::actor_system& sys, uint32_t workers,
                               const std::string& database_url);

} // namespace boxoffice

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::event_search)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::event_page)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::orders_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::orders_page)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::order_lookup)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::stored_order)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::ping_request)
