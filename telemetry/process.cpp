#include "telemetry/process.h"

#include <chrono>
#include <cstdio>
#include <cstring>

namespace boxoffice::telemetry {

memory_use read_memory_use() {
  memory_use use;
  std::FILE* status = std::fopen("/proc/self/status", "r");
  if (status == nullptr)
    return use;
  char line[256];
  while (std::fgets(line, sizeof line, status) != nullptr) {
    unsigned long kib = 0;
    if (std::sscanf(line, "VmRSS: %lu kB", &kib) == 1)
      use.resident_bytes = static_cast<double>(kib) * 1024;
    else if (std::sscanf(line, "VmHWM: %lu kB", &kib) == 1)
      use.peak_resident_bytes = static_cast<double>(kib) * 1024;
  }
  std::fclose(status);
  return use;
}

void register_process_metrics(metrics::registry& r) {
  using namespace std::chrono;
  const auto started = steady_clock::now();
  const double start_time_s =
    duration<double>(system_clock::now().time_since_epoch()).count();
  r.sampled_gauge("process_resident_memory_bytes", "Resident memory of the process",
                  [] { return read_memory_use().resident_bytes; });
  r.sampled_gauge("process_peak_resident_memory_bytes", "Peak resident memory of the process",
                  [] { return read_memory_use().peak_resident_bytes; });
  r.sampled_gauge("process_start_time_seconds", "Start time of the process since the Unix epoch",
                  [=] { return start_time_s; });
  r.sampled_gauge("boxoffice_uptime_seconds", "Seconds since the server started",
                  [=] { return duration<double>(steady_clock::now() - started).count(); });
}

} // namespace boxoffice::telemetry
