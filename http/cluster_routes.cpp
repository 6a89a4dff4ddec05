// Cluster mode, for operators (admins): GET /v1/cluster (the members, their
// states, incarnations and owned-event counts, and this node's own view)
// and GET /v1/cluster/events/:event_id (which node owns an event, at which
// epoch, and where placement puts it). On a single node both answer 404
// cluster_disabled. The JSON is made in cluster/status.h.
#include "http/api.h"
#include "http/gateway.h"

namespace boxoffice::http {

namespace Http = Pistache::Http;
namespace Rest = Pistache::Rest;

namespace {

problem cluster_disabled() {
  problem p;
  p.status = 404;
  p.code = "cluster_disabled";
  p.title = "Cluster mode is off";
  p.detail = "This node runs alone (cluster.enabled: false)";
  return p;
}

template <class Msg>
void ask_cluster(api_context& api, Http::ResponseWriter& w, Msg msg) {
  auto node = api.cluster;
  auto timeout = api.gate->timeout();
  api.gate->submit(w, [node, timeout, msg](caf::event_based_actor* self, reply_fn done) {
    self->request(node, timeout, msg)
      .then([done](std::string& json) { done(json_reply(200, std::move(json))); },
            [done](caf::error& err) { done(error_reply(err)); });
  });
}

void get_cluster(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  authenticate(req, api, access::admin);
  if (!api.cluster)
    throw refusal{cluster_disabled()};
  ask_cluster(api, w, caf::make_message(cluster_atom::value));
}

void get_event_owner(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  authenticate(req, api, access::admin);
  if (!api.cluster)
    throw refusal{cluster_disabled()};
  ask_cluster(api, w, caf::make_message(cluster_atom::value, event_param(req)));
}

} // namespace

void add_cluster_routes(std::vector<route>& routes, std::shared_ptr<api_context> api) {
  auto bind = [api](api_handler h) { return bind_api(api, h); };
  routes.push_back({Http::Method::Get, "/v1/cluster", bind(get_cluster)});
  routes.push_back({Http::Method::Get, "/v1/cluster/events/:event_id", bind(get_event_owner)});
}

} // namespace boxoffice::http
