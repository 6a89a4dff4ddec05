// The client's address: the TCP peer, unless the peer is one of
// http.trusted_proxies, in which case the last address of X-Forwarded-For
// (the one that proxy added). Used for the request log and the per-address
// login rate limits; a client cannot choose its own address by sending the
// header itself, because only a trusted peer's header is read.
#pragma once

#include <pistache/http.h>

#include <string>
#include <vector>

namespace boxoffice::http {

class client_address_rule {
public:
  explicit client_address_rule(const std::vector<std::string>& trusted_proxies);
  std::string of(const Pistache::Http::Request& req) const;

private:
  std::vector<std::string> trusted_;  // normalized (inet_ntop of inet_pton)
};

} // namespace boxoffice::http
