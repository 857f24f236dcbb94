/**
 * `batchctl stats [--watch]`: counts, pause, workers, today's counters,
 * oldest pending task, rate.
 */
import type { Argv, CommandModule } from "yargs";
import {
  formatDuration,
  MAX_TIMER_MS,
  parseDuration,
} from "../common/duration.js";
import { ConnectionError, UsageError } from "../common/errors.js";
import { createSignal, withDeadline } from "../worker/signal.js";
import {
  connectQueue,
  LIST_NAMES,
  queueStats,
  type QueueContext,
  type QueueStats,
} from "../queue/index.js";
import { readConfig, withQueue, type GlobalArgs } from "./common.js";
import {
  count,
  print,
  relative,
  renderTable,
  terminalWidth,
} from "./format.js";

interface StatsArgs extends GlobalArgs {
  json: boolean;
  watch: boolean;
  interval: string;
}

/** The first read of `--watch` must answer within this, else exit 3. */
const FIRST_READ_TIMEOUT_MS = 5000;
/** Shortest `--interval`, so a typo cannot hammer Redis. */
const MIN_INTERVAL_MS = 200;

export const statsCommand: CommandModule<GlobalArgs, StatsArgs> = {
  command: "stats",
  describe: "counts of every list, workers, today's counters, rate",
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .option("json", {
        type: "boolean",
        default: false,
        describe: "print JSON (one line per refresh with --watch)",
      })
      .option("watch", {
        type: "boolean",
        default: false,
        describe: "refresh until Ctrl-C; the rate then comes from two samples",
      })
      .option("interval", {
        type: "string",
        default: "2s",
        describe: "refresh interval of --watch (500ms, 2s, 1m)",
      })
      .example("$0 stats", "one snapshot")
      .example("$0 stats --watch --interval 5s", "refresh every 5 seconds")
      .example(
        "$0 stats --json | jq .counts.procesar",
        "for scripts",
      ) as unknown as Argv<StatsArgs>,
  handler: async (argv) => {
    const intervalMs = parseDuration(argv.interval);
    if (
      intervalMs === undefined ||
      intervalMs < MIN_INTERVAL_MS ||
      intervalMs > MAX_TIMER_MS
    ) {
      const shortest = `${MIN_INTERVAL_MS}ms`;
      throw new UsageError(
        `--interval: "${argv.interval}" must be a duration from ${shortest} to 24d, e.g. 2s`,
      );
    }
    const config = readConfig(argv);
    const show = (stats: QueueStats) =>
      argv.json
        ? print(JSON.stringify(stats))
        : print(renderStats(stats, config.prefix));

    if (!argv.watch) {
      show(await withQueue(config, (queue) => queueStats(queue)));
      return;
    }
    // Watching survives Redis restarts: the connection retries forever,
    // but the first read must succeed so a wrong URL still exits 3.
    const queue = connectQueue(config, { persistent: true });
    try {
      await watch(queue, intervalMs, argv.json, show);
    } finally {
      await queue.transport.close();
    }
  },
};

async function watch(
  queue: QueueContext,
  intervalMs: number,
  isJson: boolean,
  show: (stats: QueueStats) => void,
): Promise<void> {
  const tick = createSignal();
  let onStop = () => {};
  const stopped = new Promise<undefined>((resolve) => {
    onStop = () => {
      resolve(undefined);
      tick.notify();
    };
  });
  process.once("SIGINT", onStop);
  process.once("SIGTERM", onStop);
  const isClearing = process.stdout.isTTY && !isJson;

  let stats: QueueStats | undefined = await withDeadline(
    queueStats(queue),
    FIRST_READ_TIMEOUT_MS,
    () =>
      new ConnectionError(`cannot reach Redis at ${queue.transport.target}`),
  );
  while (stats) {
    if (isClearing) process.stdout.write("\x1b[2J\x1b[H");
    show(stats);
    await Promise.race([tick.wait(intervalMs), stopped]);
    // While Redis is away the read waits for it; Ctrl-C still ends it.
    stats = await Promise.race([queueStats(queue, stats), stopped]);
  }
}

/** The people's view of one snapshot. */
export function renderStats(stats: QueueStats, prefix: string): string {
  const when = stats.at.replace("T", " ").slice(0, 19);
  const out: string[] = [`queue ${prefix}  at ${when} UTC`];
  out.push(`transport: ${stats.transport}`);
  out.push(`paused: ${pauseText(stats)}`);
  out.push("");

  const notes: Partial<Record<string, string>> = {
    procesar:
      stats.oldest_pending_age_ms === null
        ? ""
        : `oldest queued ${formatDuration(stats.oldest_pending_age_ms)} ago`,
  };
  const rows = LIST_NAMES.map((name) => [
    name,
    count(stats.counts[name]),
    notes[name] ?? "",
  ]);
  out.push(
    renderTable(
      [{ header: "LIST" }, { header: "COUNT", align: "right" }, { header: "" }],
      rows,
    ),
  );
  out.push(`rate: ${rateText(stats)}`);
  out.push("");
  out.push(workersText(stats));
  out.push(todayText(stats));
  if (stats.schedules.length > 0) out.push(schedulesText(stats));
  return out.join("\n");
}

function schedulesText(stats: QueueStats): string {
  const now = Date.parse(stats.at);
  const rows = stats.schedules.map((s) => [
    s.name,
    s.tipo,
    s.timezone === "UTC" ? s.cron : `${s.cron} (${s.timezone})`,
    s.next_run === null
      ? "-"
      : `in ${formatDuration(Math.max(0, Date.parse(s.next_run) - now))}`,
    s.next_run === null ? "" : s.next_run.replace("T", " ").slice(0, 19),
  ]);
  const table = renderTable(
    [
      { header: "SCHEDULE" },
      { header: "TIPO" },
      { header: "CRON" },
      { header: "NEXT RUN" },
      { header: "AT (UTC)" },
    ],
    rows,
    terminalWidth(),
  );
  return `schedules (queued once per tick by the live workers):\n${table}`;
}

function pauseText(stats: QueueStats): string {
  if (!stats.pause.paused) return "no";
  const left = stats.pause.expires_in_ms;
  return left === null
    ? "yes, until batchctl resume"
    : `yes, for ${formatDuration(left)} more`;
}

function rateText(stats: QueueStats): string {
  if (!stats.rate) return "-";
  const perSecond = stats.rate.per_second;
  const shown = perSecond >= 10 ? perSecond.toFixed(0) : perSecond.toFixed(1);
  const how =
    stats.rate.source === "samples"
      ? `over the last ${formatDuration(stats.rate.window_ms)}`
      : `from records finished in the last ${formatDuration(stats.rate.window_ms)}`;
  return `${shown} tasks/s (${how})`;
}

function workersText(stats: QueueStats): string {
  const alive = stats.workers.filter((w) => w.alive).length;
  const dead = stats.workers.length - alive;
  const requests = alive
    ? `, sending ${count(Math.round(stats.requests_per_min))} Redis requests/min`
    : "";
  const deadText = dead ? `, ${dead} dead (tasks recovered soon)` : "";
  const title = `workers: ${alive} alive${deadText}${requests}`;
  if (stats.workers.length === 0) return `${title}\n`;

  const rows = stats.workers.map((w) => [
    w.id,
    w.alive ? "alive" : "dead",
    w.heartbeat_age_ms === null
      ? "-"
      : `${formatDuration(w.heartbeat_age_ms)} ago`,
    count(w.in_flight),
    w.info ? String(w.info.concurrency) : "-",
    w.info ? count(w.info.processed) : "-",
    w.info ? count(w.info.failed) : "-",
    w.info ? relative(w.info.started_at) : "-",
    w.info ? w.info.transport : "-",
    w.info ? count(Math.round(w.info.requests_per_min)) : "-",
  ]);
  const table = renderTable(
    [
      { header: "WORKER" },
      { header: "STATE" },
      { header: "HEARTBEAT" },
      { header: "IN FLIGHT", align: "right" },
      { header: "CONC", align: "right" },
      { header: "DONE", align: "right" },
      { header: "FAILED", align: "right" },
      { header: "STARTED" },
      { header: "TRANSPORT" },
      { header: "REQ/MIN", align: "right" },
    ],
    rows,
    terminalWidth(),
  );
  return `${title}\n${table}`;
}

function todayText(stats: QueueStats): string {
  const { day, totals, by_tipo: byTipo } = stats.today;
  const tipos = Object.keys(byTipo).sort();
  if (tipos.length === 0) return `today (${day} UTC): nothing finished yet\n`;

  const row = (name: string, c: typeof totals) => [
    name,
    count(c.procesadas),
    count(c.fallidas),
    count(c.reintentos),
  ];
  const rows = tipos.map((tipo) => row(tipo, byTipo[tipo]!));
  rows.push(row("total", totals));
  const table = renderTable(
    [
      { header: "TIPO" },
      { header: "PROCESADAS", align: "right" },
      { header: "FALLIDAS", align: "right" },
      { header: "REINTENTOS", align: "right" },
    ],
    rows,
  );
  return `today (${day} UTC):\n${table}`;
}
