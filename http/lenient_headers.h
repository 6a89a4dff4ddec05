// A Content-Type header Pistache 0.0.5 cannot turn into its own refusal.
//
// 0.0.5 throws on a Content-Type it cannot parse ("garbage", or empty) and
// answers a plain-text 415 before any handler runs. After
// install_lenient_content_type(), such a value reaches the route as "no
// media type", which answers its own 415 problem (or ignores it on a
// bodiless request). (Content-Length needs no such care: the request framer
// hands Pistache only requests whose Content-Length it wrote itself.)
//
// REQUIRES: called before any endpoint serves (http_server::start does);
// the registry is read without a lock by the reactor threads afterwards.
#pragma once

namespace boxoffice::http {

void install_lenient_content_type();

} // namespace boxoffice::http
