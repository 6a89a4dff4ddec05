// Process-level metrics: resident and peak memory, start time and uptime,
// read from /proc when /metrics is rendered.
#pragma once

#include "telemetry/metrics.h"

namespace boxoffice::telemetry {

void register_process_metrics(metrics::registry& r);

// VmRSS and VmHWM of this process in bytes (0 if /proc cannot be read).
struct memory_use {
  double resident_bytes = 0;
  double peak_resident_bytes = 0;
};
memory_use read_memory_use();

} // namespace boxoffice::telemetry
