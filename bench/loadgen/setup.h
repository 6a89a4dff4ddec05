// The control plane of a run, over libcurl: the admin creates the run's own
// event (sections, then on sale), customers sign up and log in, and the
// audit reads the event's counts back. Blocking calls; not measured.
#pragma once

#include "bench/loadgen/options.h"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace boxoffice::loadgen {

// A setup call that did not answer as expected; what() says which.
struct setup_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct http_answer {
  long status = 0;
  std::string body;
};

// One blocking request to the server of `o`; throws setup_error when there
// is no HTTP answer.
http_answer http_call(const options& o, const std::string& method, const std::string& path,
                      const std::string& body = "", const std::string& token = "");

struct sale {
  uint64_t event_id = 0;                 // 0 for the health scenario
  std::vector<uint32_t> section_ids;     // in creation order
  std::vector<std::string> tokens;       // one access token per customer
};

// Creates the event of the scenario (none for health) and the customers.
sale prepare_sale(const options& o);

} // namespace boxoffice::loadgen
