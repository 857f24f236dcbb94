/**
 * stdout as a pipe: a slow reader still gets every line before batchctl
 * exits, and a reader that goes away (`| head -1`) ends the command quietly,
 * a worker after finishing its tasks (and with exit 1: its logs are gone).
 * Output that cannot be written (a full disk) is an error, in one line.
 */
import { spawn } from "node:child_process";
import { open, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CLI, exitOf } from "../helpers/cli.js";
import { openE2e, type E2eContext } from "../helpers/e2e.js";
import { pushRaw } from "../helpers/worker.js";

const TASKS = 20_000;
const TASK = JSON.stringify({ tipo: "procesar_tickets_vencidos" });

describe("batchctl writing to a pipe", () => {
  let ctx: E2eContext;
  let file: string;

  beforeAll(async () => {
    ctx = await openE2e("stdout_pipe");
    file = join(tmpdir(), `batchctl-pipe-${process.pid}.ndjson`);
    await writeFile(file, `${TASK}\n`.repeat(TASKS));
  });
  afterEach(() => ctx.cleanup());
  afterAll(() => ctx?.close());

  it("hands every line to a slow reader before it exits", async () => {
    const run = ctx.start(["enqueue", "--file", file]);
    run.child.stdout!.pause();
    // Let the process finish writing while nobody reads the pipe.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    run.child.stdout!.resume();
    const { code } = await run.exited;

    expect(code).toBe(0);
    expect(run.lines).toHaveLength(TASKS);
    expect(run.stderr()).toBe("");
  });

  it("exits 0 without a stack trace when the reader goes away", async () => {
    await pushRaw(ctx.queue, ...Array<string>(TASKS).fill(TASK));
    const run = ctx.start(["ls", "procesar", "--limit", "10000"]);
    run.child.stdout!.once("data", () => run.child.stdout!.destroy());
    const { code } = await run.exited;

    expect(code).toBe(0);
    expect(run.stderr()).toBe("");
  });

  it("stops a worker whose log reader went away, its tasks all recorded", async () => {
    await pushRaw(ctx.queue, ...Array<string>(TASKS).fill(TASK));
    const run = ctx.start(["work", "--concurrency", "4"]);
    run.child.stdout!.once("data", () => run.child.stdout!.destroy());
    const { code } = await run.exited;

    const { done, left, inFlight } = await places();
    expect(code).toBe(1);
    expect(run.stderr()).toBe("");
    expect(done).toBeGreaterThan(0);
    expect(done + left).toBe(TASKS);
    expect(inFlight).toEqual([]);
  });

  /** Tasks recorded, still queued, and the in-flight lists left. */
  async function places() {
    const { keys, transport } = ctx.queue;
    return {
      done: await transport.command<number>("LLEN", keys.processed),
      left: await transport.command<number>("LLEN", keys.pending),
      inFlight: await transport.command<string[]>(
        "KEYS",
        `${keys.prefix}:procesando:*`,
      ),
    };
  }

  /** Runs batchctl with stdout on /dev/full; its exit code and stderr. */
  async function toFullDisk(args: string[]) {
    const full = await open("/dev/full", "w");
    try {
      const child = spawn(process.execPath, [CLI, ...args], {
        env: ctx.env(),
        stdio: ["ignore", full.fd, "pipe"],
      });
      let stderr = "";
      child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk));
      const code = await exitOf(child);
      return { code, stderr };
    } finally {
      await full.close();
    }
  }

  it("fails in one line when its output cannot be written", async () => {
    await pushRaw(ctx.queue, TASK);

    const results = [
      await toFullDisk(["stats"]),
      await toFullDisk(["ls", "procesar", "--json"]),
    ];

    expect(results).toEqual(
      Array(2).fill({
        code: 1,
        stderr:
          "batchctl: cannot write the output: ENOSPC: no space left on device, write\n",
      }),
    );
  });

  it("stops a worker that cannot write its logs, losing no task", async () => {
    await pushRaw(ctx.queue, ...Array<string>(200).fill(TASK));

    const { code, stderr } = await toFullDisk(["work", "--drain"]);

    const { done, left, inFlight } = await places();
    expect(code).toBe(1);
    expect(stderr).toContain("cannot write the output: ENOSPC");
    expect(done + left).toBe(200);
    expect(inFlight).toEqual([]);
  });
});
