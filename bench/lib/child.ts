/**
 * Measured child processes: every worker of the bench (batchctl's binary,
 * the BullMQ worker, the floor, the direct pg loop) runs in a process of
 * its own with usage-preload.mjs, which reports its CPU time and peak RSS.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const PRELOAD = fileURLToPath(new URL("./usage-preload.mjs", import.meta.url));
/** The built binary, as users run it (BENCH_CLI: another build's). */
export const CLI =
  process.env.BENCH_CLI ??
  fileURLToPath(new URL("../../dist/src/cli.js", import.meta.url));
/** A bench worker written in TypeScript, run through tsx. */
export const benchWorker = (name: string) =>
  fileURLToPath(new URL(`../workers/${name}.ts`, import.meta.url));

/** CPU and memory of a finished child (from process.resourceUsage). */
export interface Usage {
  cpu_s: number;
  user_s: number;
  system_s: number;
  max_rss_mb: number;
  /** Event loop utilisation over the process's life (0..1). */
  elu: number;
  /** With BENCH_LOOP_DELAY=1: event loop delay and longest GC pause. */
  loop_delay_p99_ms?: number;
  loop_delay_max_ms?: number;
  gc_longest_ms?: number;
}

/** A running measured child. */
export interface MeasuredChild {
  child: ChildProcess;
  /** Stdout lines so far. */
  lines: string[];
  /** Resolves with the first stdout line that `match` accepts. */
  waitForLine(match: (line: string) => boolean): Promise<string>;
  /** Resolves once it exited, with its exit code and usage. */
  exited: Promise<{ code: number | null; usage: Usage | undefined }>;
  stop(): Promise<void>;
}

let serial = 0;

/**
 * Starts `script` (a .js file, or a .ts file through tsx) with `args` and
 * exactly `env` plus PATH; stderr goes to the bench's stderr.
 */
export function startMeasured(
  script: string,
  args: string[],
  env: Record<string, string>,
): MeasuredChild {
  const usageFile = join(
    tmpdir(),
    `batchctl-bench-usage-${process.pid}-${serial++}.json`,
  );
  const loaders = script.endsWith(".ts") ? ["--import", "tsx"] : [];
  const child = spawn(
    process.execPath,
    [...loaders, "--import", PRELOAD, script, ...args],
    {
      env: {
        PATH: process.env.PATH ?? "",
        ...env,
        BENCH_USAGE_FILE: usageFile,
      },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const lines: string[] = [];
  const waiters: {
    match: (line: string) => boolean;
    resolve: (l: string) => void;
  }[] = [];
  let rest = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split("\n");
    rest = parts.pop() ?? "";
    for (const line of parts) {
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (!waiter.match(line)) continue;
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const exited = new Promise<{ code: number | null; usage: Usage | undefined }>(
    (resolve) => {
      child.on("close", async (code) => {
        const usage = await readFile(usageFile, "utf8")
          .then((text) => JSON.parse(text) as Usage)
          .catch(() => undefined);
        await rm(usageFile, { force: true });
        resolve({ code, usage });
      });
    },
  );

  return {
    child,
    lines,
    waitForLine(match) {
      const seen = lines.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ match, resolve });
        void exited.then(({ code }) =>
          reject(
            new Error(`${script} exited (${code}) before the awaited line`),
          ),
        );
      });
    },
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
      }
      await exited;
    },
  };
}
