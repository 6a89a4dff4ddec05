// Read-only queries the HTTP API answers from the database rather than from
// the actors: event search with pagination, and a customer's orders across
// every event. Both read committed rows only, and every acknowledged change
// is committed before its 2xx, so they never miss what a client was told.
// Blocks: only the detached query workers call it (see http/).
// REQUIRES: one thread at a time per object.
#pragma once

#include "actors/domain.h"
#include "persistence/store.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace boxoffice {

class sql_connection;

struct event_search {
  std::string text;           // words; "" lists every event
  bool include_drafts = false;  // admins see drafts, customers do not
  uint32_t page = 1;          // 1-based
  uint32_t page_size = 10;
};

// Events without their sections (info.sections is empty), best match first:
// a word in the title counts more than one in the description or venue.
// Without words: by starts_at, then id.
struct event_page {
  uint64_t total = 0;  // matching events over all pages
  std::vector<event_info> events;
};

struct stored_order {
  event_id event = 0;
  section_id section = 0;
  order_record order;           // seats as indices into the section's grid
  section_layout layout;        // to turn seat indices into labels
  int64_t total_cents = 0;
  bool cancelled = false;
  timestamp_ms cancelled_at = 0;  // 0 unless cancelled
};

class query_store {
public:
  // Throws database_url_error for a URL no backend accepts.
  explicit query_store(const std::string& database_url);
  ~query_store();

  event_page search_events(const event_search& search);

  // The customer's orders, newest first, at most `limit` from `offset`.
  std::vector<stored_order> orders_of(customer_id customer, uint32_t limit, uint32_t offset);
  uint64_t order_count(customer_id customer);
  // One order, only if it is the customer's.
  std::optional<stored_order> find_order(customer_id customer, event_id event,
                                         section_id section, order_id order);

private:
  std::unique_ptr<sql_connection> db_;
};

} // namespace boxoffice
