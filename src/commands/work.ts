/**
 * `batchctl work`: the headless consumer.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Argv, CommandModule } from "yargs";
import { MAX_TIMER_MS } from "../common/duration.js";
import { ConfigError, UsageError } from "../common/errors.js";
import { createLogger } from "../common/logger.js";
import { createDatabase, DEFAULT_STATEMENT_TIMEOUT_MS } from "../db/index.js";
import {
  connectQueue,
  createKeys,
  createWorkerQueue,
  taskKeyIssue,
} from "../queue/index.js";
import {
  createWorker,
  DEFAULT_RETRY_POLICY,
  DEFAULT_TIMINGS,
} from "../worker/index.js";
import { withDeadline } from "../worker/signal.js";
import { readConfig, type GlobalArgs } from "./common.js";
import { VERSION } from "./version.js";
import {
  attachOps,
  DEFAULT_SHUTDOWN_TIMEOUT_S,
  readOps,
  WORK_FLAGS,
  withOpsOptions,
  type OpsArgs,
} from "./work-ops.js";

interface WorkArgs extends GlobalArgs, OpsArgs {
  concurrency: number;
  maxAttempts: number;
  retryBase: number;
  retryMax: number;
  taskTimeout: number;
  shutdownTimeout: number;
  heartbeatTtl: number;
  keepProcessed: number;
  drain: boolean;
  taskLog: boolean;
  pollInterval: number;
}

/** Longest wait for the pool and Redis to close before the process exits. */
const CLOSE_TIMEOUT_MS = 1000;

/** Longest idle poll interval, shown in --help. */
const MAX_POLL_MS = DEFAULT_TIMINGS.maxPollMs;

/**
 * Longest value of the flags in seconds that set a timer; also the most
 * PostgreSQL's statement_timeout (an int of ms) takes for --task-timeout.
 */
const MAX_TIMER_S = Math.floor(MAX_TIMER_MS / 1000);

/** Most tasks one worker may run at once (a pg pool of this size). */
const MAX_CONCURRENCY = 1024;

function checkArgs(argv: WorkArgs): void {
  const checks: [boolean, string][] = [
    [
      Number.isInteger(argv.concurrency) &&
        argv.concurrency >= 1 &&
        argv.concurrency <= MAX_CONCURRENCY,
      `--concurrency: must be a whole number from 1 to ${MAX_CONCURRENCY}`,
    ],
    [
      Number.isInteger(argv.maxAttempts) && argv.maxAttempts >= 1,
      "--max-attempts: must be a whole number of at least 1",
    ],
    [argv.retryBase >= 0, "--retry-base: must be at least 0"],
    [
      argv.retryMax >= argv.retryBase,
      "--retry-max: must be at least --retry-base",
    ],
    [
      argv.taskTimeout >= 0.001 && argv.taskTimeout <= MAX_TIMER_S,
      `--task-timeout: must be from 0.001 to ${MAX_TIMER_S} (seconds)`,
    ],
    [
      argv.shutdownTimeout >= 0 && argv.shutdownTimeout <= MAX_TIMER_S,
      `--shutdown-timeout: must be from 0 to ${MAX_TIMER_S} (seconds)`,
    ],
    [
      argv.heartbeatTtl >= 1 && argv.heartbeatTtl <= MAX_TIMER_S,
      `--heartbeat-ttl: must be from 1 to ${MAX_TIMER_S} (seconds)`,
    ],
    [
      Number.isInteger(argv.keepProcessed) && argv.keepProcessed >= 1,
      "--keep-processed: must be a whole number of at least 1",
    ],
    [
      argv.pollInterval >= 10 && argv.pollInterval <= 60_000,
      "--poll-interval: must be from 10 to 60000 (ms)",
    ],
  ];
  for (const [isValid, message] of checks) {
    if (!isValid) throw new UsageError(message);
  }
}

export const workCommand: CommandModule<GlobalArgs, WorkArgs> = {
  command: "work",
  describe: "consume the queue: fetch, validate, run, record, retry",
  builder: (yargs: Argv<GlobalArgs>) =>
    withOpsOptions(yargs)
      .option("concurrency", {
        type: "number",
        default: 8,
        describe:
          "tasks run at once (pg pool size); " +
          "while tasks are short, up to twice as many are claimed",
      })
      .option("max-attempts", {
        type: "number",
        default: DEFAULT_RETRY_POLICY.maxAttempts,
        describe: "attempts before a transient failure is final",
      })
      .option("retry-base", {
        type: "number",
        default: DEFAULT_RETRY_POLICY.baseMs,
        describe: "backoff base in ms (full jitter, doubling)",
      })
      .option("retry-max", {
        type: "number",
        default: DEFAULT_RETRY_POLICY.maxMs,
        describe: "longest backoff in ms",
      })
      .option("task-timeout", {
        type: "number",
        default: DEFAULT_STATEMENT_TIMEOUT_MS / 1000,
        describe: "seconds before a running task fails as transient",
      })
      .option(WORK_FLAGS.shutdownTimeout, {
        type: "number",
        default: DEFAULT_SHUTDOWN_TIMEOUT_S,
        describe: "seconds a stop waits for in-flight tasks",
      })
      .option("heartbeat-ttl", {
        type: "number",
        default: DEFAULT_TIMINGS.heartbeatTtlMs / 1000,
        describe: "seconds without heartbeat before a worker counts as dead",
      })
      .option("keep-processed", {
        type: "number",
        default: 10_000,
        describe: "records kept in the procesadas list",
      })
      .option("drain", {
        type: "boolean",
        default: false,
        describe:
          "exit 0 once the queue, retries and in-flight lists are empty",
      })
      .option("poll-interval", {
        type: "number",
        default: DEFAULT_TIMINGS.pollMs,
        describe: `REST only: ms between polls (idle: up to ${MAX_POLL_MS})`,
      })
      .option("task-log", {
        type: "boolean",
        default: true,
        describe: "log one line per finished task (--no-task-log to turn off)",
      })
      .example("$0 work", "consume cola:batch:procesar until stopped")
      .example(
        "$0 work --concurrency 32 --drain",
        "process everything queued, then exit",
      )
      .example(
        "REDIS_REST_TOKEN=... $0 work --redis-rest-url https://x.upstash.io",
        "consume over Redis REST, polling every 500 ms when busy",
      )
      .example(
        "$0 work --metrics-port 9464 --schedule 'procesar_tickets_vencidos=*/5 * * * *'",
        "serve metrics; queue one task every 5 minutes (once, however many workers)",
      ) as unknown as Argv<WorkArgs>,
  handler: async (argv) => {
    checkArgs(argv);
    const config = readConfig(argv);
    const ops = readOps(argv);
    const queueKeys = createKeys(config.prefix);
    for (const schedule of ops.schedules) {
      const issue = taskKeyIssue(queueKeys, schedule.task as { tipo: string });
      if (issue !== undefined) {
        throw new UsageError(`${schedule.source}: ${schedule.name}: ${issue}`);
      }
    }
    if (config.production && !config.databaseUrl) {
      throw new ConfigError(
        "DATABASE_URL_BATCH: is required when NODE_ENV=production (PGlite is for development)",
      );
    }
    const logger = createLogger({
      level: config.logLevel,
      destination: process.stdout,
    });
    if (!config.databaseUrl) {
      logger.warn(
        `DATABASE_URL_BATCH not set: using embedded PostgreSQL (PGlite) in ${config.pgliteDir}`,
      );
    }

    const id = `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
    // Whole ms: statement_timeout takes an integer.
    const taskTimeoutMs = Math.round(argv.taskTimeout * 1000);
    const db = await createDatabase({
      url: config.databaseUrl,
      dataDir: config.pgliteDir,
      poolSize: argv.concurrency,
      statementTimeoutMs: taskTimeoutMs,
      prepareStatements: config.pgPrepare,
      onError: (err: Error) =>
        logger.warn({ err }, "database connection error"),
      onNotice: (message) => logger.warn(message),
    });
    // A wrong URL, password or database name must stop the start, not fail
    // every task; later outages only pause the worker.
    await db.ping().catch(async (error: unknown) => {
      await db.close();
      throw error;
    });
    const { transport, keys } = connectQueue(config, {
      persistent: true,
      onLost: (reason) =>
        logger.warn({ reason }, "Redis connection lost; reconnecting"),
      onRestored: () => logger.info("Redis connection restored"),
    });
    // Whole ms: Redis refuses `SET ... PX 1500.5`.
    const ttl = Math.round(argv.heartbeatTtl * 1000);
    const timings = {
      ...DEFAULT_TIMINGS,
      heartbeatTtlMs: ttl,
      heartbeatMs: ttl / 3,
      recoverMs: ttl / 3,
      pollMs: argv.pollInterval,
      maxPollMs: Math.max(DEFAULT_TIMINGS.maxPollMs, argv.pollInterval),
    };
    const transportName = `${transport.kind} ${transport.target}`;
    const worker = createWorker({
      id,
      queue: createWorkerQueue({
        transport,
        keys,
        worker: id,
        processedCap: argv.keepProcessed,
      }),
      db,
      ctx: { db, functions: config.functions, redis: transport, keys },
      concurrency: argv.concurrency,
      policy: {
        maxAttempts: argv.maxAttempts,
        baseMs: argv.retryBase,
        maxMs: argv.retryMax,
      },
      taskTimeoutMs,
      drain: argv.drain,
      shutdownTimeoutMs: argv.shutdownTimeout * 1000,
      logTasks: argv.taskLog,
      timings,
      logger,
      transport: transportName,
      version: VERSION,
    });
    const attached = await attachOps(ops, {
      worker,
      id,
      queue: { transport, keys },
      db,
      logger,
      timings,
      taskTimeoutMs,
      version: VERSION,
      transport: transportName,
    }).catch(async (error: unknown) => {
      await Promise.allSettled([db.close(), transport.close()]);
      throw error;
    });

    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      process.on(signal, () => worker.stop(signal));
    }
    try {
      await worker.run();
    } finally {
      await attached.close();
      // Bounded: after an abandoned stop the pool would wait for the queries
      // of the returned tasks; exiting closes their connections anyway.
      await withDeadline(
        Promise.allSettled([db.close(), transport.close()]),
        CLOSE_TIMEOUT_MS,
        () => new Error("close timed out"),
      ).catch(() => {});
    }
  },
};
