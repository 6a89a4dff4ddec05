// Learns membership changes at once: every change bumps the version row
// and, in the same transaction, NOTIFYs membership_channel (delivered when
// it commits, never when it rolls back). The listener holds one PostgreSQL
// connection that LISTENs on it, on a thread of its own (it blocks in
// poll(2), so no actor ever does), and on each notification sends
// (notified_atom) to every target: the membership agent (which then reads
// the member list at once) and the link manager (which then links to a new
// member at once). Polling (cluster.poll_ms) stays the fallback: a lost
// connection is opened again after a second, and a notification lost
// meanwhile is read at the next poll.
#pragma once

#include <caf/all.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace boxoffice::cluster {

using notified_atom = caf::atom_constant<caf::atom("cl_notify")>;

class membership_listener {
public:
  // Starts listening on `database_url` (PostgreSQL).
  membership_listener(std::string database_url, std::vector<caf::actor> targets);
  ~membership_listener();  // stops the thread (within about 250 ms)
  membership_listener(const membership_listener&) = delete;
  membership_listener& operator=(const membership_listener&) = delete;

private:
  void run();

  std::string url_;
  std::vector<caf::actor> targets_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

} // namespace boxoffice::cluster
