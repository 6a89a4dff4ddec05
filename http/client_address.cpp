#include "http/client_address.h"

#include <arpa/inet.h>

#include <algorithm>

namespace boxoffice::http {

namespace {

// The canonical text of an IPv4 or IPv6 literal; empty if it is not one.
std::string normalized(std::string text) {
  auto first = text.find_first_not_of(" \t");
  auto last = text.find_last_not_of(" \t");
  if (first == std::string::npos)
    return {};
  text = text.substr(first, last - first + 1);
  if (text.size() > 2 && text.front() == '[' && text.back() == ']')
    text = text.substr(1, text.size() - 2);
  unsigned char bytes[16];
  char out[INET6_ADDRSTRLEN];
  for (int family : {AF_INET, AF_INET6})
    if (inet_pton(family, text.c_str(), bytes) == 1 &&
        inet_ntop(family, bytes, out, sizeof out) != nullptr)
      return out;
  return {};
}

} // namespace

client_address_rule::client_address_rule(const std::vector<std::string>& trusted_proxies) {
  for (const auto& p : trusted_proxies)
    if (auto n = normalized(p); !n.empty())
      trusted_.push_back(n);
}

std::string client_address_rule::of(const Pistache::Http::Request& req) const {
  auto peer = req.address().host();
  if (trusted_.empty() || std::find(trusted_.begin(), trusted_.end(), normalized(peer))
                            == trusted_.end())
    return peer;
  auto forwarded = req.headers().tryGetRaw("X-Forwarded-For");
  if (!forwarded)
    return peer;
  const auto& list = forwarded->value();
  auto comma = list.rfind(',');
  auto last = normalized(comma == std::string::npos ? list : list.substr(comma + 1));
  return last.empty() ? peer : last;
}

} // namespace boxoffice::http
