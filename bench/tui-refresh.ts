/**
 * bench:tui — one TUI refresh on a P:fallidas of 1,000 records against one
 * of 1,000,000, in one run: refresh time (header stats + the visible
 * window, as the UI polls them) and the process's memory with the UI
 * mounted. The TUI reads only the window, so both should be within 20%.
 *
 *   npm run bench:tui            (needs Redis on REDIS_URL or 127.0.0.1:6379)
 *
 * Uses its own prefix (bench:tui:<random>) and deletes it at the end.
 */
import { randomBytes } from "node:crypto";
import { render } from "ink-testing-library";
import { createElement } from "react";
import {
  createKeys,
  defineScript,
  type QueueContext,
} from "../src/queue/index.js";
import { createTcpTransport } from "../src/queue/transports/tcp.js";
import { App } from "../src/ui/App.js";
import type { QueueSource } from "../src/ui/data.js";
import { createQueueSource } from "../src/ui/queue-source.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const SIZES = [1_000, 1_000_000];
/** Records pushed per script call: keeps each call short for other clients. */
const FILL_CHUNK = 20_000;
/** Rows an 80x24 UI shows, and what it fetches: the page plus a margin. */
const PAGE = 17;
const FETCH = PAGE * 2;
const REFRESHES = 100;
/** Pause between two refreshes of one list (the UI waits --refresh ms). */
const REFRESH_GAP_MS = 10;
const MOUNTED_MS = 3000;

/**
 * KEYS: list. ARGV: count, first number, template with two %08d (id).
 * LPUSHes `count` records built from the template, 1000 per command.
 */
const fillScript = defineScript(
  "bench-fill",
  `
local n, first, tpl = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local batch = {}
for i = first, first + n - 1 do
  batch[#batch + 1] = string.format(tpl, i, i)
  if #batch == 1000 then
    redis.call('LPUSH', KEYS[1], unpack(batch))
    batch = {}
  end
end
if #batch > 0 then redis.call('LPUSH', KEYS[1], unpack(batch)) end
return n
`,
);

/** A failure record as the worker writes it, with `%08d` for the number. */
function template(): string {
  const at = new Date().toISOString();
  return JSON.stringify({
    id: "bench-ID",
    tipo: "notificar_ticket_creado",
    tarea: {
      tipo: "notificar_ticket_creado",
      ticket_id: "0b7d3c1e-8f4a-4f5e-9a1b-ID",
    },
    intentos: 1,
    encolada_en: at,
    iniciada_en: at,
    terminada_en: at,
    duracion_ms: 7,
    worker: "bench-worker",
    error: {
      mensaje: "ticket 0b7d3c1e-8f4a-4f5e-9a1b-ID does not exist",
      clase: "permanente",
      codigo: "P0001",
    },
  })
    .replace("bench-ID", "bench-%08d")
    .replace("9a1b-ID", "9a1b-%012d")
    .replace("9a1b-ID does", "9a1b-%012d does");
}

async function fill(ctx: QueueContext, count: number): Promise<number> {
  const started = performance.now();
  const tpl = template().replace("%012d does", "000000000000 does");
  for (let first = 0; first < count; first += FILL_CHUNK) {
    const n = Math.min(FILL_CHUNK, count - first);
    await ctx.transport.script(fillScript, [ctx.keys.failed], [n, first, tpl]);
  }
  return performance.now() - started;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

interface Result {
  size: number;
  fillMs: number;
  refreshMs: number;
  refreshP95Ms: number;
  heapMb: number;
  rssMb: number;
}

interface Subject {
  size: number;
  ctx: QueueContext;
  source: QueueSource;
  fillMs: number;
  times: number[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One refresh = what the poll hook does each tick. */
async function refresh(subject: Subject): Promise<number> {
  const started = performance.now();
  await Promise.all([
    subject.source.snapshot(),
    subject.source.window("fallidas", 0, FETCH, ""),
  ]);
  return performance.now() - started;
}

/** Heap and RSS with the real UI mounted and refreshing every 100 ms. */
async function mountedMemory(source: QueueSource) {
  const app = render(
    createElement(App, {
      source,
      refreshMs: 100,
      isReadOnly: true,
      width: 80,
      height: 24,
      initialList: "fallidas",
      copy: () => undefined,
      onQuit: () => undefined,
    }),
  );
  await sleep(MOUNTED_MS);
  const frame = app.lastFrame() ?? "";
  if (!frame.includes("bench-0"))
    throw new Error(`the UI shows no rows:\n${frame}`);
  gc();
  const memory = process.memoryUsage();
  app.unmount();
  gc();
  return { heapMb: memory.heapUsed / 2 ** 20, rssMb: memory.rss / 2 ** 20 };
}

const transport = createTcpTransport({ url: REDIS_URL, persistent: false });
const subjects: Subject[] = [];
try {
  for (const size of SIZES) {
    const ctx = {
      transport,
      keys: createKeys(`bench:tui:${randomBytes(3).toString("hex")}`),
    };
    const fillMs = await fill(ctx, size);
    const source = createQueueSource(ctx, { isReadOnly: true });
    subjects.push({ size, ctx, source, fillMs, times: [] });
  }

  // Alternate the two lists so machine noise hits both alike; the pause
  // lets the rate be measured from two samples, as in the UI.
  for (let i = 0; i < REFRESHES + 5; i += 1) {
    for (const subject of subjects) {
      const ms = await refresh(subject);
      if (i >= 5) subject.times.push(ms);
      await sleep(REFRESH_GAP_MS);
    }
  }

  const results: Result[] = [];
  for (const subject of subjects) {
    const sorted = [...subject.times].sort((a, b) => a - b);
    results.push({
      size: subject.size,
      fillMs: subject.fillMs,
      refreshMs: median(subject.times),
      refreshP95Ms: sorted[Math.floor(sorted.length * 0.95)] as number,
      ...(await mountedMemory(subject.source)),
    });
  }
  report(results);
} finally {
  for (const subject of subjects) {
    await transport.command("UNLINK", subject.ctx.keys.failed);
  }
  await transport.close();
}

function report(results: Result[]): void {
  const fmt = (n: number) => n.toFixed(2).padStart(8);
  console.log(
    "records     fill s  refresh ms (median)  p95 ms  heap MB   rss MB",
  );
  for (const r of results) {
    console.log(
      `${r.size.toLocaleString("en-US").padStart(9)} ${(r.fillMs / 1000).toFixed(1).padStart(8)} ${fmt(r.refreshMs)}             ${fmt(r.refreshP95Ms)} ${fmt(r.heapMb)} ${fmt(r.rssMb)}`,
    );
  }
  const [small, large] = results as [Result, Result];
  const ratio = (a: number, b: number) => a / b;
  const timeRatio = ratio(large.refreshMs, small.refreshMs);
  const heapRatio = ratio(large.heapMb, small.heapMb);
  console.log(
    `1M vs 1k: refresh x${timeRatio.toFixed(2)}, heap x${heapRatio.toFixed(2)} (limit x1.20)`,
  );
  const isWithin = timeRatio <= 1.2 && heapRatio <= 1.2;
  console.log(isWithin ? "OK: within 20%" : "NOT within 20%");
  process.exitCode = isWithin ? 0 : 1;
}
