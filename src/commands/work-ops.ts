/**
 * The operations side of `batchctl work`: its metrics endpoint and its
 * periodic tasks. Flag names and defaults are exported so that deploy/
 * is tested against them.
 */
import { readFileSync } from "node:fs";
import type { Argv } from "yargs";
import { ConfigError, UsageError, toError } from "../common/errors.js";
import type { Logger } from "../common/logger.js";
import {
  checkScheduleNames,
  checkTimezone,
  DEFAULT_SCHEDULE_TZ,
  parseSchedule,
  parseScheduleFile,
  type Schedule,
} from "../common/schedule.js";
import type { Database } from "../db/index.js";
import type { QueueContext } from "../queue/index.js";
import {
  createReadiness,
  createScheduler,
  createWorkerMetrics,
  createWorkerMonitor,
  DEFAULT_METRICS_HOST,
  startOpsServer,
  type OpsServer,
  type Scheduler,
  type Timings,
  type Worker,
} from "../worker/index.js";

/** The flags of `work` that deploy/ relies on, as typed on a command line. */
export const WORK_FLAGS = {
  metricsPort: "metrics-port",
  metricsHost: "metrics-host",
  schedule: "schedule",
  scheduleFile: "schedule-file",
  scheduleTz: "schedule-tz",
  shutdownTimeout: "shutdown-timeout",
} as const;

/** Environment variables of the same settings (flags override them). */
export const WORK_ENV = {
  metricsPort: "BATCH_METRICS_PORT",
  metricsHost: "BATCH_METRICS_HOST",
  scheduleFile: "BATCH_SCHEDULE_FILE",
  scheduleTz: "BATCH_SCHEDULE_TZ",
} as const;

/** Default of `--shutdown-timeout`, seconds. */
export const DEFAULT_SHUTDOWN_TIMEOUT_S = 25;
/**
 * A loop with free slots is stuck after this long without a sign of life
 * (it shows one at least every second or every idle poll).
 */
const MIN_IDLE_BOUND_MS = 30_000;

/** The parsed operations flags. */
export interface OpsArgs {
  metricsPort?: number;
  metricsHost?: string;
  schedule?: string[];
  scheduleFile?: string;
  scheduleTz?: string;
}

/** Declares the operations flags on `work`. */
export function withOpsOptions<T>(yargs: Argv<T>): Argv<T & OpsArgs> {
  const group = "Operations:";
  return yargs
    .option(WORK_FLAGS.metricsPort, {
      type: "number",
      describe: `serve /metrics, /healthz, /readyz; 0: a free port (env ${WORK_ENV.metricsPort})`,
      group,
    })
    .option(WORK_FLAGS.metricsHost, {
      type: "string",
      describe: `address to listen on (env ${WORK_ENV.metricsHost}; ${DEFAULT_METRICS_HOST})`,
      group,
    })
    .option(WORK_FLAGS.schedule, {
      type: "string",
      array: true,
      describe:
        "periodic task 'tipo[ {json}]=cron' (5 fields, or 6 with seconds); repeatable",
      group,
    })
    .option(WORK_FLAGS.scheduleFile, {
      type: "string",
      describe: `file with one --schedule per line, # comments (env ${WORK_ENV.scheduleFile})`,
      group,
    })
    .option(WORK_FLAGS.scheduleTz, {
      type: "string",
      describe: `time zone of the cron patterns (env ${WORK_ENV.scheduleTz}, default UTC)`,
      group,
    }) as Argv<T & OpsArgs>;
}

/** What `readOps` found valid. */
export interface OpsSettings {
  metrics?: { port: number; host: string };
  schedules: Schedule[];
}

function pick(flag: string | undefined, env: string | undefined) {
  return flag !== undefined ? flag : env === "" ? undefined : env;
}

function readPort(argv: OpsArgs, env: NodeJS.ProcessEnv): number | undefined {
  const fromFlag = argv.metricsPort !== undefined;
  const raw = fromFlag ? String(argv.metricsPort) : env[WORK_ENV.metricsPort];
  if (raw === undefined || raw === "") return undefined;
  const port = Number(raw);
  if (Number.isInteger(port) && port >= 0 && port <= 65_535) return port;
  const name = fromFlag ? `--${WORK_FLAGS.metricsPort}` : WORK_ENV.metricsPort;
  const message = `${name}: must be a port from 0 to 65535 (0 picks a free one)`;
  throw fromFlag ? new UsageError(message) : new ConfigError(message);
}

/**
 * Reads and checks the operations settings, before anything is touched:
 * a bad port, time zone, schedule or schedule file is a one-line error
 * (exit 2). Throws UsageError or ConfigError.
 */
export function readOps(
  argv: OpsArgs & { drain: boolean },
  env: NodeJS.ProcessEnv = process.env,
): OpsSettings {
  const port = readPort(argv, env);
  const tzFlag = argv.scheduleTz !== undefined;
  const timezone = checkTimezone(
    pick(argv.scheduleTz, env[WORK_ENV.scheduleTz]) ?? DEFAULT_SCHEDULE_TZ,
    tzFlag ? `--${WORK_FLAGS.scheduleTz}` : WORK_ENV.scheduleTz,
  );
  const flag = `--${WORK_FLAGS.schedule}`;
  const schedules = (argv.schedule ?? []).map((spec) =>
    parseSchedule(spec, flag, timezone),
  );
  const file = pick(argv.scheduleFile, env[WORK_ENV.scheduleFile]);
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      throw new UsageError(
        `--${WORK_FLAGS.scheduleFile}: cannot read ${file} (${toError(error).message})`,
      );
    }
    schedules.push(...parseScheduleFile(text, file, timezone));
  }
  checkScheduleNames(schedules);
  if (schedules.length > 0 && argv.drain) {
    throw new UsageError(
      `${flag}: cannot be combined with --drain (a draining worker exits when the queue is empty)`,
    );
  }
  const host = pick(argv.metricsHost, env[WORK_ENV.metricsHost]);
  return {
    metrics:
      port === undefined
        ? undefined
        : { port, host: host ?? DEFAULT_METRICS_HOST },
    schedules,
  };
}

/** What `attachOps` needs besides the settings. */
export interface OpsContext {
  worker: Worker;
  id: string;
  queue: QueueContext;
  db: Database;
  logger: Logger;
  timings: Timings;
  taskTimeoutMs: number;
  version: string;
  transport: string;
}

/** The running endpoint and scheduler; `close` stops both. */
export interface AttachedOps {
  server?: OpsServer;
  scheduler?: Scheduler;
  close(): Promise<void>;
}

/**
 * Starts the metrics endpoint now (it answers while the worker starts)
 * and the schedules once the worker has started; both follow the
 * worker's events. Throws ConfigError when the port cannot be bound.
 */
export async function attachOps(
  settings: OpsSettings,
  ctx: OpsContext,
): Promise<AttachedOps> {
  const { worker, logger } = ctx;
  const monitor = createWorkerMonitor(worker.events);
  let server: OpsServer | undefined;
  if (settings.metrics) {
    const { port, host } = settings.metrics;
    const readiness = createReadiness({
      monitor,
      pingRedis: () => ctx.queue.transport.command("PING"),
      pingPostgres: () => ctx.db.ping(),
      idleBoundMs: idleBound(ctx.timings),
      taskTimeoutMs: ctx.taskTimeoutMs,
    });
    const metrics = await createWorkerMetrics({
      events: worker.events,
      monitor,
      queue: ctx.queue,
      worker: ctx.id,
      version: ctx.version,
      transport: ctx.transport,
    });
    server = await startOpsServer({
      port,
      host,
      metrics,
      readiness,
      logger,
    }).catch((error: unknown) => {
      const flag = `--${WORK_FLAGS.metricsPort}`;
      throw new ConfigError(
        `${flag}: cannot listen on ${host}:${port} (${toError(error).message})`,
      );
    });
    logger.info({ port: server.port, host }, "metrics endpoint listening");
  }

  let scheduler: Scheduler | undefined;
  if (settings.schedules.length > 0) {
    const running = createScheduler({
      queue: ctx.queue,
      schedules: settings.schedules,
      worker: ctx.id,
      events: worker.events,
      logger,
    });
    worker.events.on("worker:started", () => running.start());
    worker.events.on("worker:stopping", () => void running.stop());
    scheduler = running;
  }

  return {
    server,
    scheduler,
    async close() {
      await Promise.allSettled([scheduler?.stop(), server?.close()]);
    },
  };
}

/** The quiet time after which a loop with free slots counts as stuck. */
function idleBound(timings: Timings): number {
  return Math.max(
    MIN_IDLE_BOUND_MS,
    3 * timings.maxPollMs,
    3 * timings.pausedPollMs,
    3 * timings.blockSeconds * 1000,
  );
}
