// Writing a response: JSON bodies and problem+json errors, with the headers
// each implies. Every response goes through these, which close the
// request's trace (request_trace.h): its metrics and its log line. Safe to call from any thread (a CAF worker included): the
// peer is checked and held for the duration of the send, and a writer whose
// connection is gone is dropped quietly.
#pragma once

#include "http/problem.h"

#include <pistache/http.h>

#include <string>

namespace boxoffice::http {

// Any body with its Content-Type. Queued for the reactor, which writes it;
// a client already gone is logged as 499 and nothing is sent.
void send_body(Pistache::Http::ResponseWriter& w, Pistache::Http::Code code,
               const char* content_type, const std::string& body);

// No body (204).
void send_empty(Pistache::Http::ResponseWriter& w, Pistache::Http::Code code);

// Content-Type: application/json.
void send_json(Pistache::Http::ResponseWriter& w, Pistache::Http::Code code,
               const std::string& body);

// Content-Type: application/problem+json; Allow and Retry-After when set.
void send_problem(Pistache::Http::ResponseWriter& w, const problem& p);

} // namespace boxoffice::http
