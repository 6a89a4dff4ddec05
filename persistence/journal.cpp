#include "persistence/journal.h"

#include "actors/mailbox.h"
#include "persistence/worker.h"
#include "persistence/write_keys.h"
#include "telemetry/instruments.h"

#include <spdlog/spdlog.h>

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <optional>
#include <string_view>

namespace boxoffice {

namespace {

// --- The writer --------------------------------------------------------------

// One accepted write, and who waits for it.
struct entry {
  journal_write write;
  caf::typed_response_promise<committed_atom> rp;
  // Set when a write it depends on failed before it was sent: it is never
  // sent, and is answered this error in its turn.
  std::optional<errc> doomed;
  uint32_t keys_begin = 0;  // its changes' keys in batch::per_change
  uint32_t keys_end = 0;
};

struct batch {
  std::vector<entry> entries;
  std::vector<change_keys> per_change;  // the keys of every change, in order
  key_set keys;
  size_t rows = 0;
  uint64_t seq = 0;
  std::optional<commit_result> result;  // per entry, once the committer answered
};

struct journal_state {
  static inline const char* name = "boxoffice.journal";
  journal_settings settings;
  committer_actor committer;
  batch open;               // the batch being collected
  std::deque<batch> flight;  // sent, oldest first; answered in this order
  key_set flight_keys;       // the keys of every batch in flight
  size_t rows_in_flight = 0;
  bool due = false;         // the open batch's wait ran out while it could not be sent
  uint64_t batch_seq = 0;   // tells the open batch's flush timer from an older one
  uint64_t sent_seq = 0;
  // Who waits for the journal to be empty (shutdown), and whether a write
  // failed since the first of them asked.
  std::vector<caf::typed_response_promise<committed_atom>> draining;
  bool drain_failed = false;
};

using journal_ptr = journal_actor::stateful_pointer<journal_state>;

void flush(journal_ptr self);

// A write of `open` that reads or writes a key a failed write wrote would
// build on a change that is not there: it fails too, with the same error
// (and so, in turn, whatever depends on it). Writes that reach the journal
// later are made by sections that know of the failure, or are refused by
// the database's own checks (batch_writer.cpp), as with one commit in flight.
void doom_dependents(journal_state& st, const key_set& failed, errc why) {
  if (failed.empty())
    return;
  key_set doomed;
  for (auto& e : st.open.entries) {
    if (e.doomed)
      continue;
    bool depends = false;
    for (auto i = e.keys_begin; i < e.keys_end && !depends; ++i)
      depends = failed.written(st.open.per_change[i]) || doomed.written(st.open.per_change[i]);
    if (!depends)
      continue;
    e.doomed = why;
    for (auto i = e.keys_begin; i < e.keys_end; ++i)
      doomed.add(st.open.per_change[i]);
  }
}

// Answers the batches whose commit is known, in the order they were sent,
// stopping at the first still in flight: a write is never answered before
// one the journal took earlier (the directory relies on it), and a section
// learns the outcomes of its writes in the order it made them.
void settle(journal_ptr self) {
  auto& st = self->state;
  while (!st.flight.empty() && st.flight.front().result) {
    auto b = std::move(st.flight.front());
    st.flight.pop_front();
    st.flight_keys.remove(b.keys);
    st.rows_in_flight -= b.rows;
    key_set failed;
    std::optional<errc> first_failure;
    for (size_t i = 0; i < b.entries.size(); ++i) {
      auto& e = b.entries[i];
      auto why = i < b.result->failed.size() ? b.result->failed[i] : errc::storage_unavailable;
      if (!why) {
        e.rp.deliver(committed_atom::value);
        continue;
      }
      e.rp.deliver(make_error(*why));
      if (!first_failure)
        first_failure = why;
      for (auto k = e.keys_begin; k < e.keys_end; ++k)
        failed.add(b.per_change[k]);
    }
    if (first_failure) {
      st.drain_failed = true;
      doom_dependents(st, failed, *first_failure);
    }
  }
  if (st.due || !st.draining.empty() || st.open.rows >= st.settings.batch_rows_max ||
      st.settings.batch_wait_ms == 0)
    flush(self);
  if (!st.flight.empty() || !st.open.entries.empty())
    return;
  // Nothing is left: the drains are answered; if a write failed meanwhile,
  // with its error, so that shutdown does not report a flush that was not.
  for (auto& rp : std::exchange(st.draining, {})) {
    if (st.drain_failed)
      rp.deliver(make_error(errc::storage_unavailable));
    else
      rp.deliver(committed_atom::value);
  }
  st.drain_failed = false;
}

caf::result<committed_atom> drain(journal_ptr self) {
  auto& st = self->state;
  if (st.open.entries.empty() && st.flight.empty())
    return committed_atom::value;
  auto rp = self->make_response_promise<committed_atom>();
  if (st.draining.empty())
    st.drain_failed = false;
  st.draining.push_back(rp);
  flush(self);
  return rp;
}

// The committer's answer, per sent write, spread over the batch's entries.
void answered(journal_ptr self, uint64_t seq, const std::vector<size_t>& sent,
              std::optional<commit_result> result) {
  auto& st = self->state;
  auto b = std::find_if(st.flight.begin(), st.flight.end(),
                        [seq](const batch& x) { return x.seq == seq; });
  if (b == st.flight.end())
    return;
  commit_result per_entry;
  per_entry.failed.resize(b->entries.size());
  for (size_t i = 0; i < b->entries.size(); ++i)
    per_entry.failed[i] = b->entries[i].doomed;
  for (size_t j = 0; j < sent.size(); ++j)
    per_entry.failed[sent[j]] = !result ? errc::storage_unavailable
                                : j < result->failed.size() ? result->failed[j]
                                                            : errc::storage_unavailable;
  b->result = std::move(per_entry);
  settle(self);
}

// Sends the open batch if a commit may start: fewer than
// batches_in_flight_max in flight, and no change of it depends on a change
// of a batch in flight (or the other way round) — those commit one after
// the other, as with one batch in flight, so that the database applies
// every pair of dependent changes in the order the journal took them.
void flush(journal_ptr self) {
  auto& st = self->state;
  if (st.open.entries.empty())
    return;
  if (st.flight.size() >= std::max<uint32_t>(st.settings.batches_in_flight_max, 1)
      || st.flight_keys.conflicts(st.open.keys)) {
    st.due = true;
    return;
  }
  st.due = false;
  auto b = std::exchange(st.open, batch{});
  b.seq = ++st.sent_seq;
  commit_batch out;
  std::vector<size_t> sent;
  for (size_t i = 0; i < b.entries.size(); ++i) {
    if (b.entries[i].doomed)
      continue;
    sent.push_back(i);
    out.writes.push_back(std::move(b.entries[i].write));
  }
  st.flight_keys.add(b.keys);
  st.rows_in_flight += b.rows;
  auto seq = b.seq;
  bool nothing_to_send = sent.empty();
  st.flight.push_back(std::move(b));
  if (nothing_to_send)
    return answered(self, seq, sent, commit_result{});
  self->request(st.committer, caf::infinite, std::move(out))
    .then(
      [=](commit_result& result) { answered(self, seq, sent, std::move(result)); },
      [=](caf::error& err) {
        spdlog::error("journal: committer failed: {}", self->system().render(err));
        answered(self, seq, sent, std::nullopt);
      });
}

caf::result<committed_atom> accept(journal_ptr self, journal_write& write) {
  telemetry::observe_mailbox(telemetry::actor_kind::journal, mailbox_depth(self));
  auto& st = self->state;
  auto rows = write.changes.size();
  if (st.open.rows + st.rows_in_flight + rows > st.settings.queue_rows_max)
    return make_error(errc::overloaded);
  auto rp = self->make_response_promise<committed_atom>();
  bool first = st.open.entries.empty();
  auto& b = st.open;
  entry e{std::move(write), rp, std::nullopt, static_cast<uint32_t>(b.per_change.size()), 0};
  for (const auto& c : e.write.changes) {
    b.per_change.push_back(keys_of(c));
    b.keys.add(b.per_change.back());
  }
  e.keys_end = static_cast<uint32_t>(b.per_change.size());
  b.entries.push_back(std::move(e));
  b.rows += rows;
  if (st.settings.batch_wait_ms == 0 || b.rows >= st.settings.batch_rows_max) {
    flush(self);
  } else if (first) {
    self->delayed_send(self, std::chrono::milliseconds{st.settings.batch_wait_ms},
                       flush_atom::value, ++st.batch_seq);
  }
  return rp;
}

journal_actor::behavior_type journal_main(journal_ptr self, journal_settings settings,
                                          committer_actor committer) {
  self->state.settings = settings;
  self->state.committer = std::move(committer);
  return {
    [=](journal_write& write) { return accept(self, write); },
    [=](flush_atom) { return drain(self); },
    [=](flush_atom, uint64_t seq) {
      if (seq == self->state.batch_seq)
        flush(self);
    },
  };
}

// --- The committer and the loader: the blocking side ---------------------------

// What a committed batch did, for /metrics.
void count_outcomes(const std::vector<change>& changes) {
  using telemetry::outcome;
  for (const auto& c : changes) {
    if (std::holds_alternative<hold_placed>(c))
      telemetry::count_reservation(outcome::held);
    else if (std::holds_alternative<hold_extended>(c))
      telemetry::count_reservation(outcome::extended);
    else if (auto* ended = std::get_if<hold_ended>(&c))
      telemetry::count_reservation(ended->why == hold_end::expired ? outcome::expired
                                                                    : outcome::released);
    else if (std::holds_alternative<order_placed>(c))
      telemetry::count_reservation(outcome::purchased);
    else if (std::holds_alternative<order_cancelled>(c))
      telemetry::count_reservation(outcome::cancelled);
  }
}

errc to_errc(const store_error& e) {
  return e.why == store_error::kind::conflict ? errc::storage_conflict : errc::storage_unavailable;
}

// The store, made on first use and again after it failed to be made, so that
// a database that is down at start does not stop the node.
struct store_holder {
  store_factory make;
  std::unique_ptr<store> db;
  bool crash_after_commit = false;  // see fault_requested
  bool fenced = false;              // cluster mode: every commit through the fence

  store& get() {
    if (!db)
      db = make();
    return *db;
  }
};

// Applies `writes` in one transaction; in cluster mode through the fence,
// which refuses the writes of events this node no longer holds: those get
// not_owner (their section undoes them) and are counted. Throws store_error.
void apply(store_holder& holder, const std::vector<journal_write>& writes,
           std::vector<std::optional<errc>>& failed, size_t first) {
  if (!holder.fenced) {
    std::vector<change> all;
    for (const auto& w : writes)
      all.insert(all.end(), w.changes.begin(), w.changes.end());
    holder.get().apply(all);
    count_outcomes(all);
    return;
  }
  const auto lost = holder.get().apply_fenced(writes);
  uint64_t refused = 0;
  for (size_t i = 0; i < writes.size(); ++i) {
    if (std::binary_search(lost.begin(), lost.end(), writes[i].event)) {
      failed[first + i] = errc::not_owner;
      ++refused;
    } else {
      count_outcomes(writes[i].changes);
    }
  }
  if (refused > 0) {
    telemetry::count_fenced_commits(refused);
    spdlog::warn("journal: {} writes fenced: this node no longer owns their events", refused);
  }
}

commit_result commit(store_holder& holder, commit_batch& batch) {
  commit_result result;
  result.failed.resize(batch.writes.size());
  size_t rows = 0;
  for (const auto& w : batch.writes)
    rows += w.changes.size();
  try {
    auto started = std::chrono::steady_clock::now();
    apply(holder, batch.writes, result.failed, 0);
    telemetry::observe_commit(
      rows, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return result;
  } catch (const store_error& e) {
    telemetry::count_database_error("journal commit");
    if (e.why != store_error::kind::conflict) {
      spdlog::warn("journal: commit of {} writes failed: {}", batch.writes.size(), e.what());
      result.failed.assign(batch.writes.size(), to_errc(e));
      return result;
    }
  } catch (const std::exception& e) {
    telemetry::count_database_error("journal commit");
    spdlog::error("journal: commit failed: {}", e.what());
    result.failed.assign(batch.writes.size(), errc::storage_unavailable);
    return result;
  }
  // The database refused one write in the batch: commit the others one by
  // one, so only the write it refuses fails.
  result.failed.assign(batch.writes.size(), std::nullopt);
  for (size_t i = 0; i < batch.writes.size(); ++i) {
    try {
      apply(holder, {batch.writes[i]}, result.failed, i);
    } catch (const store_error& e) {
      spdlog::error("journal: write refused by the database: {}", e.what());
      result.failed[i] = to_errc(e);
    }
  }
  return result;
}

// BOXOFFICE_FAULT=crash_after_commit, for tests only: the process ends right
// after its first commit, before any write of it is answered, as a crash
// between the two would end it (tests/e2e/exactly_once_test.cpp).
bool fault_requested() {
  const char* fault = std::getenv("BOXOFFICE_FAULT");
  return fault != nullptr && std::string_view{fault} == "crash_after_commit";
}

committer_actor::behavior_type committer_main(committer_actor::pointer,
                                              std::shared_ptr<store_holder> holder) {
  return {[holder](commit_batch& batch) {
    auto result = commit(*holder, batch);
    bool committed = std::any_of(result.failed.begin(), result.failed.end(),
                                 [](const auto& f) { return !f.has_value(); });
    if (holder->crash_after_commit && committed) {
      spdlog::critical("journal: BOXOFFICE_FAULT=crash_after_commit: exiting after a commit");
      spdlog::default_logger()->flush();
      std::_Exit(70);
    }
    return result;
  }};
}

loader_actor::behavior_type loader_main(loader_actor::pointer,
                                        std::shared_ptr<store_holder> holder) {
  return {[holder](load_atom, event_id id) -> caf::result<event_snapshot> {
    try {
      auto started = std::chrono::steady_clock::now();
      auto snapshot = holder->get().load_event(id);
      spdlog::info("loader: event {} read in {:.0f} ms", id,
                   std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now()
                                                             - started).count());
      // The database client's buffers of a large event are free now, but
      // glibc keeps them in this thread's arena: give them back to the
      // system (a million-seat event, issue 17: 37 MB of resident set).
      malloc_trim(0);
      if (!snapshot)
        return make_error(errc::event_not_found);
      return std::move(*snapshot);
    } catch (const std::exception& e) {
      telemetry::count_database_error("event load");
      spdlog::warn("loader: event {} could not be loaded: {}", id, e.what());
      return make_error(errc::storage_unavailable);
    }
  }};
}

template <class Handle, class F>
Handle spawn_blocking(caf::actor_system& sys, F fun, store_factory make, thread_model model,
                      bool crash_after_commit = false, bool fenced = false) {
  auto holder = std::make_shared<store_holder>(
    store_holder{std::move(make), nullptr, crash_after_commit, fenced});
  if (model == thread_model::detached)
    return sys.spawn<caf::detached>(fun, holder);
  return sys.spawn(fun, holder);
}

} // namespace

journal_actor spawn_journal(caf::actor_system& sys, const journal_settings& settings,
                            committer_actor committer) {
  return sys.spawn(journal_main, settings, std::move(committer));
}

committer_actor spawn_committer(caf::actor_system& sys, store_factory make_store,
                                thread_model model, commit_mode mode) {
  bool fault = fault_requested();
  if (fault)
    spdlog::warn("journal: BOXOFFICE_FAULT=crash_after_commit is set: the process exits after"
                 " its first commit (a test fault; never set it in production)");
  return spawn_blocking<committer_actor>(sys, committer_main, std::move(make_store), model, fault,
                                         mode == commit_mode::fenced);
}

committer_actor spawn_committers(caf::actor_system& sys, const store_factory& make_store,
                                 uint32_t count, commit_mode mode) {
  if (count <= 1)
    return spawn_committer(sys, make_store, thread_model::detached, mode);
  return caf::actor_cast<committer_actor>(spawn_worker_pool(sys, count, [&sys, make_store, mode] {
    return spawn_committer(sys, make_store, thread_model::detached, mode);
  }));
}

loader_actor spawn_loader(caf::actor_system& sys, store_factory make_store, thread_model model) {
  return spawn_blocking<loader_actor>(sys, loader_main, std::move(make_store), model);
}

loader_actor spawn_loaders(caf::actor_system& sys, const store_factory& make_store,
                           uint32_t count) {
  if (count <= 1)
    return spawn_loader(sys, make_store);
  return caf::actor_cast<loader_actor>(spawn_worker_pool(
    sys, count, [&sys, make_store] { return spawn_loader(sys, make_store); }));
}

} // namespace boxoffice
