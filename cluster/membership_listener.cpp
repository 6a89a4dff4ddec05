#include "cluster/membership_listener.h"

#include "cluster/membership_store.h"
#include "persistence/database.h"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>

#include <poll.h>

namespace boxoffice::cluster {

namespace {

// Waits for notifications on `conn` until `stop`; false when the connection
// broke.
bool listen_on(PGconn* conn, const std::atomic<bool>& stop, const std::vector<caf::actor>& to) {
  while (!stop.load()) {
    pollfd p{PQsocket(conn), POLLIN, 0};
    if (p.fd < 0)
      return false;
    const int ready = ::poll(&p, 1, 250);  // wakes to see `stop`
    if (ready < 0 && errno != EINTR)
      return false;
    if (ready <= 0)
      continue;
    if (PQconsumeInput(conn) != 1)
      return false;
    bool changed = false;
    while (PGnotify* n = PQnotifies(conn)) {
      changed = true;
      PQfreemem(n);
    }
    if (changed)
      for (const auto& target : to)
        caf::anon_send(target, notified_atom::value);
  }
  return true;
}

} // namespace

membership_listener::membership_listener(std::string database_url,
                                         std::vector<caf::actor> targets)
    : url_(std::move(database_url)), targets_(std::move(targets)) {
  thread_ = std::thread([this] { run(); });
}

membership_listener::~membership_listener() {
  stop_ = true;
  if (thread_.joinable())
    thread_.join();
}

void membership_listener::run() {
  while (!stop_.load()) {
    try {
      auto sql = open_session(url_);
      execute_sql(*sql, std::string{"listen "} + membership_channel);
      auto* backend = static_cast<soci::postgresql_session_backend*>(sql->get_backend());
      if (listen_on(backend->conn_, stop_, targets_))
        return;
      spdlog::warn("cluster: membership notifications lost their connection; polling meanwhile");
    } catch (const std::exception& e) {
      spdlog::warn("cluster: cannot listen for membership changes ({}); polling meanwhile",
                   e.what());
    }
    // The listener's own thread, never an actor's: a 1 s pause before it
    // reconnects, in steps that still see `stop` (polling covers meanwhile).
    for (int i = 0; i < 4 && !stop_.load(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

} // namespace boxoffice::cluster
