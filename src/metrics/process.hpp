#pragma once
// Process metrics, read at scrape time (Linux: /proc/self, getrlimit, glibc mallinfo2).
//
// Registers the Prometheus client conventions' names
//   process_cpu_seconds_total (counter), process_resident_memory_bytes,
//   process_virtual_memory_bytes, process_open_fds, process_max_fds, process_start_time_seconds
// and the founding document's
//   bizra_uptime_seconds           seconds since add_process_metrics was called (call it at
//                                  startup; a monotonic clock, unaffected by clock steps);
//   bizra_memory_heap_used_bytes   bytes of malloc'd memory in use: mallinfo2 uordblks (in-use
//                                  chunks of all arenas) + hblkhd (chunks served by mmap);
//   bizra_memory_heap_total_bytes  bytes malloc holds from the kernel: mallinfo2 arena (sbrk and
//                                  arena heaps, free chunks included) + hblkhd.
// The heap figures cover glibc malloc only (not RocksDB's or other mmap'd memory; RSS is the
// whole process). A value that cannot be read (no /proc) is exposed as NaN.
// Registering twice throws std::logic_error (see metrics.hpp).

#include "metrics/metrics.hpp"

namespace bizra::metrics {

void add_process_metrics(Registry& registry);

}  // namespace bizra::metrics
