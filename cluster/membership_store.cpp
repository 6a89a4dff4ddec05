#include "cluster/membership_store.h"

#include "persistence/connection.h"
#include "persistence/database.h"

#include <soci/soci.h>

#include <algorithm>
#include <stdexcept>

namespace boxoffice::cluster {

namespace {

using rows = std::vector<std::vector<sql_value>>;

constexpr const char* lease_from_now =
  "now() + make_interval(secs => cast(:lease_ms as double precision) / 1000)";

// Locks the version row and bumps it: the first statement of every
// membership change, so that changes queue in one order and never deadlock
// on each other's member rows. It also NOTIFYs membership_channel.
int64_t bump_version(soci::session& sql) {
  auto r = query_rows(sql, "update cluster_version set version = version + 1 where id = 1"
                           " returning version", {}, {sql_type::bigint});
  if (r.size() != 1)
    throw std::runtime_error("cluster_version has no row: cluster schema not migrated");
  // Delivered to the listeners when (if) this change commits.
  query_rows(sql, std::string{"select 1 from pg_notify('"} + membership_channel + "', :version)",
             {{"version", std::to_string(r[0][0].number)}}, {sql_type::bigint});
  return r[0][0].number;
}

std::vector<node_incarnation> incarnations(const rows& r) {
  std::vector<node_incarnation> out;
  for (const auto& row : r)
    out.push_back({row[0].text, row[1].number});
  return out;
}

std::vector<sql_param> id_params(const node_incarnation& self) {
  return {{"node", self.node_id}, {"inc", static_cast<long long>(self.incarnation)}};
}

} // namespace

join_result join(soci::session& sql, const std::string& node_id,
                 const member_addresses& addresses, uint32_t lease_ms) {
  sql_transaction tx(sql, backend::postgresql);
  join_result out;
  out.version = bump_version(sql);
  const long long version = out.version;
  out.replaced = incarnations(query_rows(
    sql,
    "update cluster_members set state = 'dead', ended_by = 'replaced',"
    " changed_in_version = :version"
    " where node_id = :node and state <> 'dead' returning node_id, incarnation",
    {{"version", version}, {"node", node_id}}, {sql_type::text, sql_type::bigint}));
  // The version row lock serializes joins, so max + 1 cannot be taken twice.
  const auto next = query_rows(sql,
                               "select coalesce(max(incarnation), 0) + 1 from cluster_members"
                               " where node_id = :node",
                               {{"node", node_id}}, {sql_type::bigint});
  out.self = {node_id, next.at(0).at(0).number};
  execute_statement(sql,
                    std::string("insert into cluster_members (node_id, incarnation, http_address,"
                                " node_address, state, lease_expires_at, changed_in_version)"
                                " values (:node, :inc, :http, :addr, 'joining', ")
                      + lease_from_now + ", :version)",
                    {{"node", node_id},
                     {"inc", static_cast<long long>(out.self.incarnation)},
                     {"http", addresses.http_address},
                     {"addr", addresses.node_address},
                     {"lease_ms", static_cast<long long>(lease_ms)},
                     {"version", version}});
  tx.commit();
  return out;
}

std::optional<int64_t> change_state(soci::session& sql, const node_incarnation& self,
                                    member_state from, member_state to) {
  sql_transaction tx(sql, backend::postgresql);
  const long long version = bump_version(sql);
  auto params = id_params(self);
  params.emplace_back("version", version);
  params.emplace_back("from", std::string(to_string(from)));
  params.emplace_back("to", std::string(to_string(to)));
  params.emplace_back("ended",
                      std::string(to == member_state::dead ? to_string(end_reason::left) : ""));
  const auto changed = execute_statement(
    sql,
    "update cluster_members set state = :to, changed_in_version = :version,"
    " ended_by = nullif(:ended, '')"
    " where node_id = :node and incarnation = :inc and state = :from",
    params);
  if (changed != 1)
    return std::nullopt;  // the transaction rolls back: no version bump
  tx.commit();
  return version;
}

lease_renewal renew_lease(soci::session& sql, const node_incarnation& self, uint32_t lease_ms) {
  sql_transaction tx(sql, backend::postgresql);
  auto params = id_params(self);
  params.emplace_back("lease_ms", static_cast<long long>(lease_ms));
  lease_renewal out;
  out.renewed = execute_statement(sql,
                                  std::string("update cluster_members set lease_expires_at = ")
                                    + lease_from_now
                                    + " where node_id = :node and incarnation = :inc"
                                      " and state <> 'dead'",
                                  params)
                == 1;
  if (!out.renewed) {
    const auto why = query_rows(sql,
                                "select ended_by from cluster_members"
                                " where node_id = :node and incarnation = :inc",
                                id_params(self), {sql_type::text});
    if (!why.empty() && !why[0][0].is_null)
      out.ended_by = parse_end_reason(why[0][0].text);
  }
  tx.commit();
  return out;
}

dead_declaration declare_expired_dead(soci::session& sql) {
  sql_transaction tx(sql, backend::postgresql);
  dead_declaration out;
  // Polled by every node: only a transaction that has someone to declare
  // takes the version lock.
  const auto expired = query_number(sql, "select count(*) from cluster_members"
                                         " where state <> 'dead' and lease_expires_at < now()");
  if (expired.value_or(0) == 0) {
    tx.commit();
    return out;
  }
  const long long version = bump_version(sql);
  // Under read committed, a row renewed or declared by a transaction that
  // committed while this one waited for its lock is checked again, so a
  // renewed lease is not declared dead and nobody is declared twice.
  out.dead = incarnations(query_rows(
    sql,
    "update cluster_members set state = 'dead', ended_by = 'lease_expired',"
    " changed_in_version = :version"
    " where state <> 'dead' and lease_expires_at < now() returning node_id, incarnation",
    {{"version", version}}, {sql_type::text, sql_type::bigint}));
  if (out.dead.empty())
    return {};  // someone else declared them first; roll back the bump
  std::sort(out.dead.begin(), out.dead.end());
  out.version = version;
  tx.commit();
  return out;
}

bool holds_live_lease(soci::session& sql, const node_incarnation& self, lease_use use) {
  const char* const condition = use == lease_use::take
                                  ? " and state = 'active' and lease_expires_at > clock_timestamp()"
                                    " for share"
                                  : " and state in ('active', 'leaving')"
                                    " and lease_expires_at > clock_timestamp()";
  return !query_rows(sql,
                     std::string("select 1 from cluster_members"
                                 " where node_id = :node and incarnation = :inc")
                       + condition,
                     id_params(self), {sql_type::bigint})
            .empty();
}

membership_view read_membership(soci::session& sql) {
  sql_transaction tx(sql, backend::postgresql, sql_transaction::mode::snapshot_read);
  membership_view out;
  out.version = query_number(sql, "select version from cluster_version where id = 1").value_or(0);
  const auto r = query_rows(
    sql,
    "select node_id, incarnation, http_address, node_address, state,"
    " floor(extract(epoch from (lease_expires_at - now())) * 1000)::bigint,"
    " changed_in_version"
    " from cluster_members where state <> 'dead' order by node_id",
    {},
    {sql_type::text, sql_type::bigint, sql_type::text, sql_type::text, sql_type::text,
     sql_type::bigint, sql_type::bigint});
  for (const auto& row : r) {
    member m;
    m.id = {row[0].text, row[1].number};
    m.addresses = {row[2].text, row[3].text};
    m.state = parse_member_state(row[4].text).value_or(member_state::dead);
    m.lease_left_ms = row[5].number;
    m.changed_in_version = row[6].number;
    out.members.push_back(std::move(m));
  }
  tx.commit();
  return out;
}

namespace {

// The live incarnation of `node_id`, if in `from`, goes to `to`.
std::optional<node_incarnation> move_live_member(soci::session& sql, const std::string& node_id,
                                                 member_state from, member_state to) {
  for (const auto& m : read_membership(sql).members)
    if (m.id.node_id == node_id && m.state == from && change_state(sql, m.id, from, to))
      return m.id;
  return std::nullopt;
}

} // namespace

std::optional<node_incarnation> drain_member(soci::session& sql, const std::string& node_id) {
  return move_live_member(sql, node_id, member_state::active, member_state::leaving);
}

std::optional<node_incarnation> undrain_member(soci::session& sql, const std::string& node_id) {
  return move_live_member(sql, node_id, member_state::leaving, member_state::active);
}

} // namespace boxoffice::cluster
