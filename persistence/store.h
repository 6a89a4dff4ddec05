// The blocking storage interface: everything boxoffice reads from or writes
// to its database. Implementations block (SOCI), so they are only ever
// called from a detached actor (the journal's committer, the loader) or from
// main() before serving; never from a section, event or directory actor.
// REQUIRES: one thread at a time per store object.
#pragma once

#include "actors/changes.h"
#include "actors/domain.h"

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace boxoffice {

struct store_error : std::runtime_error {
  enum class kind : uint8_t {
    unavailable,  // connection lost or refused: retry later
    conflict,     // a constraint refused the batch (a seat sold twice)
    other,
  };
  store_error(kind k, const std::string& what) : std::runtime_error(what), why(k) {}
  kind why;
};

class store {
public:
  virtual ~store() = default;

  // Applies every change of the batch in one transaction, in order: all or
  // nothing. Throws store_error; after a throw nothing of the batch is stored.
  virtual void apply(const std::vector<change>& batch) = 0;

  // Cluster mode: as apply, but first, inside the same transaction, the
  // fence checks that this node still holds the ownership each write was
  // made under (journal_write::owner); the writes of the events it no longer
  // holds are dropped and those events returned (ascending), the rest is
  // committed all or nothing. A store without a fence (tests) applies all.
  virtual std::vector<event_id> apply_fenced(const std::vector<journal_write>& writes) {
    std::vector<change> all;
    for (const auto& w : writes)
      all.insert(all.end(), w.changes.begin(), w.changes.end());
    apply(all);
    return {};
  }

  // Ids of every stored event, ascending.
  virtual std::vector<event_id> event_ids() = 0;

  // Everything needed to bring an event back: its info with sections, and for
  // each section the holds still live (even if past their deadline: the
  // section expires them), the sold orders, and next ids above every id
  // ever used in that section. nullopt if there is no such event.
  virtual std::optional<event_snapshot> load_event(event_id id) = 0;
};

// Makes a store with its own connection; each detached actor owns one.
using store_factory = std::function<std::unique_ptr<store>()>;

} // namespace boxoffice
