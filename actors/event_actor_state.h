// The event actor's state, shared by its two files: event_actor.cpp (the
// reservations) and event_queue.cpp (the waiting room). Internal to actors/.
#pragma once

#include "actors/event_actor.h"
#include "actors/event_state.h"
#include "actors/waiting_room.h"
#include "telemetry/instruments.h"

#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

namespace boxoffice {

struct event_actor_state {
  static inline const char* name = "boxoffice.event";
  event_context ctx;
  std::optional<event_state> rules;
  std::map<section_id, section_actor> sections;  // ordered like info().sections
  // Views asked while the sections' counts are being gathered wait for the
  // next round, which starts when that one ends: one round serves any
  // number of readers (a crowd refreshing the event page), and every reader
  // gets counts taken after it asked.
  std::vector<caf::typed_response_promise<event_view>> viewers;      // the next round
  std::vector<caf::typed_response_promise<event_view>> in_round;     // the round under way
  bool gathering = false;
  // The waiting room, and the joins waiting for their entry's commit: a
  // customer's repeated joins wait for the same commit, then get one entry.
  std::optional<waiting_room> room;
  std::unordered_map<uint64_t, std::vector<caf::typed_response_promise<queue_status>>> joining;
  bool ticking = false;
  telemetry::queue_gauges queue_metrics;
};

using event_self = event_actor::stateful_pointer<event_actor_state>;

} // namespace boxoffice
