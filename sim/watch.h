// The watch: feeds the reference model (sim/reference.h) every message the
// real event and section actors handle, in the order they handle it, and
// judges every reply a customer gets against the model's answer.
//
// It sees each actor's next message before the step loop runs it (CAF's test
// coordinator runs one message per step), so it knows the order each section
// handled its requests in, the time it handled them, and which commit answer
// (by request id, through the journal) belongs to which change. A reply is
// final once the section handled its commit answer; a success before that is
// an acknowledgement before the commit. The section's reports to its event
// (customer_delta) are checked against the model's too.
//
// One event per run (the scenarios make one). Actors that died (a node
// crash, or an exit message: one event killed with its sections) leave their
// pending replies in doubt: the client may get an error for them, never a
// wrong success.
#pragma once

#include "sim/reference.h"

#include <caf/all.hpp>

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

namespace boxoffice::sim {

class watch {
public:
  watch(const sim_db& db, const reservation_limits& limits);

  void node_started(caf::actor_id journal, caf::actor_id loader, caf::actor_id directory);
  // Everything of the node is gone.
  void node_died();
  // The live event actor and its live sections: whom the actor_crash fault may kill.
  std::vector<caf::actor_addr> crash_targets() const;
  // Every event and section actor seen (to end them at once when a run ends).
  std::vector<caf::actor_addr> all_actors() const;

  // Before `actor` handles `msg` (null: it only starts).
  void before(caf::scheduled_actor* actor, const caf::mailbox_element* msg, timestamp_ms now);
  // After it ran: actors it spawned (ids above `latest_before`) among `jobs`.
  void after(caf::actor_id actor, caf::actor_id latest_before,
             const std::deque<caf::resumable*>& jobs);

  // Empty, or why this reply differs from the model's.
  std::string reply(caf::actor_id client, const caf::expected<hold_info>& r);
  std::string reply(caf::actor_id client, const caf::expected<order_info>& r);
  // A retry that got the kept answer of its key from the store.
  std::string replayed(customer_id scope, const std::string& key, const hold_info* h,
                       const order_info* o) const;

  // The live model of a section (null if none runs).
  const section_model* section(section_id id) const;

  std::string error;  // the first contradiction found; the run fails on it
  uint64_t compared = 0;  // replies compared with the model

private:
  enum class kind : uint8_t { other, directory, event, section, journal, loader };
  struct section_run {
    caf::actor_id event_actor = 0;
    caf::actor_addr addr;
    section_id id = 0;
    std::unique_ptr<section_model> model;
    bool dead = false;
    struct pending {
      caf::actor_id client = 0;
      answer_key key;
      model_change change;
    };
    std::deque<pending> unsent;               // made, their write not yet at the journal
    std::unordered_map<uint64_t, pending> sent;  // by the write's request id
  };
  struct event_run {
    event_id event = 0;
    caf::actor_addr addr;
    event_model model;
    std::optional<stored_event> snapshot;  // what it was loaded from
    std::vector<caf::actor_id> sections;
    bool dead = false;
  };
  struct prediction {
    caf::actor_id section = 0;  // 0: the event answered
    bool final = false;
    model_reply answer;
  };

  kind kind_of(caf::scheduled_actor* actor);
  void on_event(caf::scheduled_actor* actor, const caf::mailbox_element* msg);
  void on_section(caf::scheduled_actor* actor, const caf::mailbox_element* msg, timestamp_ms now);
  void on_journal(const caf::mailbox_element* msg);
  void start_section(caf::scheduled_actor* actor, timestamp_ms now);
  template <class Change>
  void made(caf::actor_id section, section_run& s, caf::actor_id client, const answer_key& key,
            Change&& c);
  void predict(caf::actor_id client, caf::actor_id section, bool final, model_reply answer);
  bool in_doubt(const prediction& p) const;
  template <class Info>
  std::string judge(caf::actor_id client, const caf::expected<Info>& r);
  void contradiction(const std::string& what);

  const sim_db& db_;
  reservation_limits limits_;
  caf::actor_id journal_ = 0, loader_ = 0, directory_ = 0;
  // Which directory started each event actor: a dead node's directory may
  // still start one from a load it had asked for (it is born dead).
  std::unordered_map<caf::actor_id, caf::actor_id> started_by_;
  std::unordered_map<caf::actor_id, kind> kinds_;
  std::map<caf::actor_id, event_run> events_;
  std::unordered_map<caf::actor_id, section_run> sections_;
  std::unordered_map<caf::actor_id, std::pair<caf::actor_id, section_id>> spawned_;
  std::unordered_map<caf::actor_id, prediction> predictions_;
  std::map<std::pair<customer_id, std::string>, std::vector<model_reply>> kept_;  // written answers by key
  std::optional<stored_event> loaded_;  // the loader's last read, for the next event actor
};

} // namespace boxoffice::sim
