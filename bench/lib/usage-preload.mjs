// Preloaded into every process the bench measures (`node --import`):
// writes the process's own resource usage to BENCH_USAGE_FILE when it
// exits, so CPU seconds and peak RSS come from the kernel, not from polls.
import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

const file = process.env.BENCH_USAGE_FILE;
if (file) {
  process.on("exit", () => {
    const usage = process.resourceUsage();
    writeFileSync(
      file,
      JSON.stringify({
        cpu_s: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
        user_s: usage.userCPUTime / 1e6,
        system_s: usage.systemCPUTime / 1e6,
        // maxRSS is in kilobytes.
        max_rss_mb: usage.maxRSS / 1024,
        // Share of its life the event loop spent running code (0..1).
        elu: performance.eventLoopUtilization().utilization,
      }),
    );
  });
}
