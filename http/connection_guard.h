// Closing a connection whose request Pistache 0.0.5 refused while reading
// its head (a bad or over-limit Content-Length). Pistache answers such a
// request at once but keeps the connection and never reads its body; the
// body's bytes are then parsed as further requests, which a client can use
// to smuggle requests past a proxy, and which answer the client's next
// request with garbage.
//
// guard_handler wraps the router's handler: when a header parser refused a
// request during a read (refuse_connection()), everything that arrives on
// that connection afterwards is dropped, and the connection is shut down as
// soon as the refusal is written. A body small enough to arrive with its
// head is dropped by Pistache itself: it parses one request per read.
#pragma once

#include <pistache/http.h>

#include <memory>

namespace boxoffice::http {

// Called by a header parser on a reactor thread before it throws.
void refuse_connection();

std::shared_ptr<Pistache::Http::Handler> guard_handler(
  std::shared_ptr<Pistache::Http::Handler> inner);

} // namespace boxoffice::http
