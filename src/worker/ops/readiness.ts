/**
 * `/readyz`: Redis and PostgreSQL answer, and the fetch loop is not stuck.
 */
import { toError } from "../../common/errors.js";
import { withDeadline } from "../signal.js";
import type { WorkerMonitor } from "./monitor.js";

/** Longest wait for each service's answer; kept under a probe's timeout. */
export const READY_CHECK_TIMEOUT_MS = 2000;
/** A result is reused this long, so a burst of probes costs one check. */
const READY_CACHE_MS = 1000;
/**
 * Extra time over the task timeout that a worker whose slots are all busy
 * may go without an outcome before its loop counts as stuck.
 */
const BUSY_SLACK_MS = 30_000;

/** One check's outcome. */
export interface CheckResult {
  ok: boolean;
  /** How long it took (services), or since the loop's last activity. */
  ms: number;
  error?: string;
}

/** The body of `/readyz`. */
export interface ReadyReport {
  ready: boolean;
  checks: {
    redis: CheckResult;
    postgres: CheckResult;
    fetch_loop: CheckResult;
  };
}

/** Options of `createReadiness`. */
export interface ReadinessOptions {
  monitor: WorkerMonitor;
  /** A round trip to Redis (PING through the worker's transport). */
  pingRedis: () => Promise<unknown>;
  /** A trivial query on the worker's database. */
  pingPostgres: () => Promise<unknown>;
  /**
   * Longest quiet time of a loop with free slots: a few of its longest
   * waits (a blocking claim, an idle poll, a paused check).
   */
  idleBoundMs: number;
  /** `--task-timeout` in ms: bounds a loop whose slots are all busy. */
  taskTimeoutMs: number;
}

/** Answers whether the worker is ready; see ReadyReport. */
export interface Readiness {
  check(): Promise<ReadyReport>;
}

async function timed(ping: () => Promise<unknown>): Promise<CheckResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  try {
    await withDeadline(
      ping(),
      READY_CHECK_TIMEOUT_MS,
      () => new Error(`no answer within ${READY_CHECK_TIMEOUT_MS} ms`),
    );
    return { ok: true, ms: ms() };
  } catch (error) {
    return { ok: false, ms: ms(), error: toError(error).message };
  }
}

/** Creates the readiness check. */
export function createReadiness(options: ReadinessOptions): Readiness {
  const { monitor } = options;
  let cached: { at: number; report: Promise<ReadyReport> } | undefined;

  function loopCheck(): CheckResult {
    if (!monitor.isStarted) {
      return { ok: false, ms: 0, error: "not started (waiting for Redis)" };
    }
    if (monitor.isStopping) return { ok: false, ms: 0, error: "stopping" };
    const quiet = Date.now() - (monitor.lastActivityAt ?? 0);
    const isBusy = monitor.inFlight >= monitor.concurrency;
    const bound = isBusy
      ? options.taskTimeoutMs + BUSY_SLACK_MS
      : options.idleBoundMs;
    if (quiet <= bound) return { ok: true, ms: quiet };
    return { ok: false, ms: quiet, error: `no progress for ${quiet} ms` };
  }

  async function run(): Promise<ReadyReport> {
    const [redis, postgres] = await Promise.all([
      timed(options.pingRedis),
      timed(options.pingPostgres),
    ]);
    const fetchLoop = loopCheck();
    return {
      ready: redis.ok && postgres.ok && fetchLoop.ok,
      checks: { redis, postgres, fetch_loop: fetchLoop },
    };
  }

  return {
    check() {
      const now = Date.now();
      if (!cached || now - cached.at > READY_CACHE_MS) {
        cached = { at: now, report: run() };
      }
      return cached.report;
    },
  };
}
