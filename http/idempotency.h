// Idempotency-Key: a client that repeats a POST, PATCH or DELETE with the
// same key gets the first answer again instead of a second effect, so a
// purchase retried after a timeout never buys twice.
//
// One actor keeps the keys whose first request is still running (a repeat
// meanwhile is 409 idempotency_key_in_use); answers are replayed from the
// database for idempotency.ttl_s, across restarts. The answer of a write
// the actors commit (hold, extend, release, purchase, cancel; create and
// edit an event, add a section) is committed by the journal in the
// transaction of its change, so a crash cannot keep the change and lose the
// answer; other answers (refusals, account writes) go to the database
// through a detached worker once sent. The same key with another method, path or body is 422
// idempotency_key_reused. Keys are per caller (account id; 0 for calls
// without a token). Answers that say "try again" (429, 5xx) are not kept, so
// a retry runs again. Auth routes do not use this: their answers carry
// secrets that must not be stored.
#pragma once

#include "actors/domain.h"
#include "config/settings.h"
#include "http/gateway.h"

#include <caf/all.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace boxoffice::http {

// Keys longer than this are refused (400).
constexpr size_t idempotency_key_bytes_max = 255;

caf::actor spawn_idempotency(caf::actor_system& sys, const std::string& database_url,
                             const idempotency_settings& settings,
                             std::chrono::milliseconds request_timeout);

// The hash of what makes two requests "the same".
std::string request_fingerprint(const std::string& method, const std::string& resource,
                                const std::string& body);

// Renders the actors' reply that the journal kept (answer_saved); nullopt
// for text that is not such a reply.
using answer_renderer = std::function<std::optional<reply>(const std::string& answer)>;

// Wraps `inner`: replays the kept answer for (scope, key), refuses a key in
// use or reused, or runs inner and keeps its answer before sending it.
// With `journaled`, inner's actors commit its 2xx answers themselves, and
// `journaled` renders them for a repeat; only its other answers are kept here.
job with_idempotency(caf::actor keeper, customer_id scope, std::string key,
                     std::string fingerprint, std::chrono::milliseconds timeout, job inner,
                     answer_renderer journaled = {});

// True for answers a repeat must get again.
bool worth_keeping(const reply& r);

} // namespace boxoffice::http
