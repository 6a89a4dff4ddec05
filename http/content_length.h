// A Content-Length that Pistache 0.0.5 can no longer be harmed by.
//
// 0.0.5 parses Content-Length with stoull, so "-5" becomes 2^64-5, and then
// reserves that many bytes for the body before reading it: std::length_error,
// answered "500 basic_string::_M_create" (an internal leaking out); a large
// positive value makes every such request allocate that much up front.
//
// install_checked_content_length() swaps the parser of the Content-Length
// header in Pistache's process-wide header registry for one that accepts
// only digits up to a limit: anything else is answered by Pistache itself,
// before any handler runs, with "400 Invalid Content-Length" or
// "413 Content-Length over the limit" (plain text: Pistache writes these
// responses, not us).
//
// It also makes the Content-Type parser lenient: a value Pistache cannot
// parse reaches the route as "no media type", which answers a 415 problem.
// After a refusal the connection is closed (connection_guard.h).
//
// REQUIRES: called before any endpoint serves (http_server::start does);
// the registry is read without a lock by the reactor threads afterwards.
// The limit is process-wide: the largest one installed wins.
#pragma once

#include <cstdint>

namespace boxoffice::http {

void install_checked_content_length(uint64_t content_length_max);

} // namespace boxoffice::http
