#include "persistence/journal.h"

#include "actors/mailbox.h"
#include "persistence/worker.h"
#include "telemetry/instruments.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string_view>

namespace boxoffice {

namespace {

// --- The writer --------------------------------------------------------------

struct journal_state {
  static inline const char* name = "boxoffice.journal";
  journal_settings settings;
  committer_actor committer;
  // The batch being collected, and who waits for it.
  std::vector<journal_write> writes;
  std::vector<caf::typed_response_promise<committed_atom>> waiting;
  size_t rows = 0;
  size_t rows_in_flight = 0;
  bool in_flight = false;
  bool due = false;        // the batch's wait ran out while a commit was in flight
  uint64_t batch_seq = 0;  // tells a batch's flush timer from an older one
  // Who waits for the journal to be empty (shutdown).
  std::vector<caf::typed_response_promise<committed_atom>> draining;
};

using journal_ptr = journal_actor::stateful_pointer<journal_state>;

void flush(journal_ptr self);

void settle(journal_ptr self, std::vector<caf::typed_response_promise<committed_atom>> waiting,
            const commit_result& result) {
  for (size_t i = 0; i < waiting.size(); ++i) {
    auto failed = i < result.failed.size() ? result.failed[i] : errc::storage_unavailable;
    if (failed)
      waiting[i].deliver(make_error(*failed));
    else
      waiting[i].deliver(committed_atom::value);
  }
  auto& st = self->state;
  st.in_flight = false;
  st.rows_in_flight = 0;
  if (st.due || !st.draining.empty() || st.rows >= st.settings.batch_rows_max ||
      st.settings.batch_wait_ms == 0)
    flush(self);
  if (st.in_flight)
    return;
  // Nothing is left: the drains are answered; if the last commit failed,
  // with its error, so that shutdown does not report a flush that was not.
  bool failed = std::any_of(result.failed.begin(), result.failed.end(),
                            [](const auto& f) { return f.has_value(); });
  for (auto& rp : std::exchange(st.draining, {})) {
    if (failed)
      rp.deliver(make_error(errc::storage_unavailable));
    else
      rp.deliver(committed_atom::value);
  }
}

caf::result<committed_atom> drain(journal_ptr self) {
  auto& st = self->state;
  if (st.writes.empty() && !st.in_flight)
    return committed_atom::value;
  auto rp = self->make_response_promise<committed_atom>();
  st.draining.push_back(rp);
  flush(self);
  return rp;
}

void flush(journal_ptr self) {
  auto& st = self->state;
  if (st.writes.empty())
    return;
  if (st.in_flight) {
    st.due = true;
    return;
  }
  st.in_flight = true;
  st.due = false;
  st.rows_in_flight = std::exchange(st.rows, 0);
  auto waiting = std::exchange(st.waiting, {});
  auto count = waiting.size();
  self->request(st.committer, caf::infinite, commit_batch{std::exchange(st.writes, {})})
    .then(
      [=](commit_result& result) mutable { settle(self, std::move(waiting), result); },
      [=](caf::error& err) mutable {
        spdlog::error("journal: committer failed: {}", self->system().render(err));
        commit_result all_failed;
        all_failed.failed.assign(count, errc::storage_unavailable);
        settle(self, std::move(waiting), all_failed);
      });
}

caf::result<committed_atom> accept(journal_ptr self, journal_write& write) {
  telemetry::observe_mailbox(telemetry::actor_kind::journal, mailbox_depth(self));
  auto& st = self->state;
  auto rows = write.changes.size();
  if (st.rows + st.rows_in_flight + rows > st.settings.queue_rows_max)
    return make_error(errc::overloaded);
  auto rp = self->make_response_promise<committed_atom>();
  bool first = st.writes.empty();
  st.writes.push_back(std::move(write));
  st.waiting.push_back(rp);
  st.rows += rows;
  if (st.settings.batch_wait_ms == 0 || st.rows >= st.settings.batch_rows_max) {
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
      auto snapshot = holder->get().load_event(id);
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
