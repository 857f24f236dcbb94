// Preloaded into every process the bench measures (`node --import`):
// writes the process's own resource usage to BENCH_USAGE_FILE when it
// exits, so CPU seconds and peak RSS come from the kernel, not from polls.
// With BENCH_LOOP_DELAY=1 it also samples the event loop's delay (every
// millisecond) and the longest garbage collection pause, which explain a
// latency tail that the queue's own round trips do not.
import { readFileSync, writeFileSync } from "node:fs";
import {
  monitorEventLoopDelay,
  performance,
  PerformanceObserver,
} from "node:perf_hooks";

const file = process.env.BENCH_USAGE_FILE;
const delays =
  process.env.BENCH_LOOP_DELAY === "1"
    ? monitorEventLoopDelay({ resolution: 1 })
    : undefined;
let longestGcMs = 0;
if (delays) {
  delays.enable();
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      longestGcMs = Math.max(longestGcMs, entry.duration);
    }
  }).observe({ entryTypes: ["gc"] });
}

/**
 * Peak RSS of this process, in MB. On Linux, `VmHWM` of its own memory:
 * `resourceUsage().maxRSS` (getrusage) keeps, across the exec that
 * started this process, the peak of the process that forked it, so a
 * worker spawned by a bench grown to 177 MB reported 177 MB whatever it
 * used itself.
 */
function peakRssMb(usage) {
  try {
    const status = readFileSync("/proc/self/status", "utf8");
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
    if (kb !== undefined) return Number(kb) / 1024;
  } catch {
    // Not Linux: getrusage's figure, in kilobytes.
  }
  return usage.maxRSS / 1024;
}

if (file) {
  process.on("exit", () => {
    const usage = process.resourceUsage();
    const ms = (ns) => Math.round(ns / 1e5) / 10;
    writeFileSync(
      file,
      JSON.stringify({
        cpu_s: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
        user_s: usage.userCPUTime / 1e6,
        system_s: usage.systemCPUTime / 1e6,
        max_rss_mb: peakRssMb(usage),
        // Share of its life the event loop spent running code (0..1).
        elu: performance.eventLoopUtilization().utilization,
        ...(delays && {
          loop_delay_p99_ms: ms(delays.percentile(99)),
          loop_delay_max_ms: ms(delays.max),
          gc_longest_ms: Math.round(longestGcMs * 10) / 10,
        }),
      }),
    );
  });
}
