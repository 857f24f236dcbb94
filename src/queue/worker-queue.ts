/**
 * The queue operations a worker performs: claim, acknowledge, retry,
 * heartbeat, recover dead workers' tasks, promote due retries.
 */
import { createHash } from "node:crypto";
import { entryToWire } from "../common/bytes.js";
import { isTipo } from "../common/task.js";
import type { QueueKeys } from "./keys.js";
import { statsDay } from "./keys.js";
import { NO_TIPO } from "./read.js";
import { serializeRecord, type TaskRecord } from "./records.js";
import {
  acknowledgeScript,
  claimScript,
  promoteAndClaimScript,
  promoteScript,
  returnInFlightScript,
  unclaimScript,
  upkeepScript,
} from "./scripts.js";
import type { Arg, Command, RedisTransport } from "./transport.js";

/** What tells one acknowledgement write apart from every other. */
export interface WriteId {
  /** Unique among the worker's writes. */
  id: string;
  /** Its place in the worker's order of writes. */
  seq: number;
  /** The lowest `seq` whose reply has not come yet: older ids are done. */
  oldest: number;
}

/** Default cap of `P:procesadas` (DESIGN.md section 2). */
export const DEFAULT_PROCESSED_CAP = 10_000;
/** Stats hashes expire after this long (90 days). */
const STATS_TTL_SECONDS = 90 * 24 * 3600;
/** Most due tasks one promote call moves per zset. */
const PROMOTE_LIMIT = 1000;

/** The outcome of one task, as acknowledged to Redis. */
export type Ack =
  | {
      kind: "procesada";
      raw: string;
      record: TaskRecord;
      /**
       * Keys to UNLINK in the same step that records this outcome
       * (`limpiar_cache`): how many existed is written into the record's
       * `resultado.borradas`, in Redis and in `record` once acknowledged.
       */
      deletes?: string[];
    }
  | { kind: "fallida"; raw: string; record: TaskRecord }
  | {
      kind: "reintento";
      raw: string;
      record: TaskRecord;
      /** The task as it will be fetched again (with id and intentos). */
      retryTask: string;
      /** Epoch ms when it becomes due. */
      retryAt: number;
    };

/** What a worker's heartbeat key holds, read back by `stats` and the UI. */
export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  started_at: string;
  concurrency: number;
  in_flight: number;
  processed: number;
  failed: number;
  transport: string;
  /** Requests sent to Redis so far, and per minute lately. */
  requests: number;
  requests_per_min: number;
  version: string;
}

/**
 * The heartbeat key's value: the worker's info plus when it was written
 * and for how long, so a reader computes its age from the key's PTTL
 * (Redis's clock, no skew between hosts).
 */
export interface WorkerHeartbeat extends WorkerInfo {
  heartbeat_at: string;
  heartbeat_ttl_ms: number;
}

/** What `acknowledgeAndClaim` did. */
export interface AckResult {
  /** Outcomes not written: their in-flight copy was gone. */
  skipped: Ack[];
  /** The tasks claimed after the outcomes were written; null: paused. */
  claimed: string[] | null;
}

/** Options of `createWorkerQueue`. */
export interface WorkerQueueOptions {
  transport: RedisTransport;
  keys: QueueKeys;
  worker: string;
  /** Most records kept in `P:procesadas`. */
  processedCap?: number;
}

/** The worker's view of the queue; see each method. */
export interface WorkerQueue {
  /**
   * true when the transport cannot block (REST): the worker polls, `claim`
   * also promotes due retries, and `upkeep` replaces the separate
   * heartbeat, recovery and promotion jobs, so that an idle worker sends
   * few requests.
   */
  readonly isPolling: boolean;
  /**
   * Moves up to `max` tasks into this worker's in-flight list; null:
   * paused. When polling, first moves due retries and scheduled tasks.
   */
  claim(max: number): Promise<string[] | null>;
  /**
   * Blocks up to `timeoutSeconds` for one task (TCP only). Undefined when
   * the transport cannot block.
   */
  claimBlocking?(timeoutSeconds: number): Promise<string | null>;
  /** Ends a pending claimBlocking early. */
  interruptBlocking(): void;
  /** Puts a claimed task back at the head of the queue. */
  unclaim(raw: string): Promise<void>;
  /**
   * Writes outcomes atomically: each record lands in its list (or the task
   * in `P:reintentos`), its in-flight copy is removed, counters move. An
   * outcome whose in-flight copy is gone (written before, or its task was
   * returned to the queue) is skipped; returns the skipped ones.
   */
  acknowledge(acks: Ack[]): Promise<Ack[]>;
  /**
   * `acknowledge`, then `claim(max)`, in one request: a busy worker
   * writes what finished and fetches what comes next in one round trip.
   * With max 0 it claims (and promotes) nothing. `write` (see
   * ack-buffer.ts) is unique per write of this worker and the same when a
   * write is sent again after a lost reply: a write whose id was applied
   * already records nothing (without one, the in-flight copies alone
   * decide, and a second copy of the same text may take the first one's
   * record).
   */
  acknowledgeAndClaim(
    acks: Ack[],
    max: number,
    write?: WriteId,
  ): Promise<AckResult>;
  /** Moves due retries and scheduled tasks to the queue; returns how many. */
  promoteDue(now: number): Promise<number>;
  /** Registers the worker and refreshes its heartbeat for `ttlMs`. */
  heartbeat(info: WorkerInfo, ttlMs: number): Promise<void>;
  /**
   * heartbeat and recoverDeadWorkers in one request: registers and
   * refreshes this worker, returns the tasks of dead workers to the queue.
   */
  upkeep(
    info: WorkerInfo,
    ttlMs: number,
  ): Promise<{ worker: string; count: number }[]>;
  /** Returns tasks of workers whose heartbeat expired; per dead worker. */
  recoverDeadWorkers(): Promise<{ worker: string; count: number }[]>;
  /** Requests the transport has sent so far. */
  requests(): number;
  /** Requests sent again after a failure that may have run them. */
  uncertainRequests(): number;
  /** This worker's in-flight list, head first. */
  inFlightEntries(): Promise<string[]>;
  /** Returns this worker's in-flight tasks to the queue and unregisters. */
  releaseAll(): Promise<number>;
  /**
   * Counts what `--drain` waits for: pending, retries, due scheduled
   * tasks, every in-flight list.
   */
  remainingWork(): Promise<number>;
}

/** Creates the worker's queue operations. */
export function createWorkerQueue(options: WorkerQueueOptions): WorkerQueue {
  const { transport, keys, worker } = options;
  const cap = options.processedCap ?? DEFAULT_PROCESSED_CAP;
  const inFlight = keys.inFlight(worker);

  const returnTasksOf = (id: string, force: boolean) =>
    transport.script<number>(
      returnInFlightScript,
      [keys.heartbeat(id), keys.inFlight(id), keys.workers, keys.pending],
      [id, force ? "1" : "0"],
    );

  const blocking = transport.blockingMove?.bind(transport);

  async function acknowledgeAndClaim(
    acks: Ack[],
    max: number,
    write?: WriteId,
  ): Promise<AckResult> {
    const day = keys.stats(statsDay(new Date()));
    const fixedKeys = [
      inFlight,
      keys.processed,
      keys.failed,
      keys.retries,
      day,
      keys.pending,
      keys.pause,
      keys.scheduled,
      keys.workers,
      keys.acknowledged(worker),
    ];
    // A polling worker promotes due retries with every claim (isPolling).
    const promoteAt = !blocking && max > 0 ? Date.now() : 0;
    const { args, deleteKeys } = ackArguments(acks);
    const fixedArgs = [cap, STATS_TTL_SECONDS, max, promoteAt, PROMOTE_LIMIT];
    const [skipped, deleted, claimed] = await transport.script<
      [number[], number[], string[] | null]
    >(
      acknowledgeScript,
      [...fixedKeys, ...deleteKeys],
      [
        ...fixedArgs,
        worker,
        ...(write ? [write.id, write.seq, write.oldest] : ["", 0, 0]),
        ...args,
      ],
    );
    fillDeleted(acks, deleted);
    const skippedAcks = skipped.map((position) => acks[Number(position)]!);
    return { skipped: skippedAcks, claimed: claimed ?? null };
  }

  return {
    isPolling: !blocking,
    claim: (max) =>
      blocking
        ? transport.script<string[] | null>(
            claimScript,
            [keys.pending, inFlight, keys.pause, keys.workers],
            [max, worker],
          )
        : transport.script<string[] | null>(
            promoteAndClaimScript,
            [
              keys.pending,
              inFlight,
              keys.pause,
              keys.retries,
              keys.scheduled,
              keys.workers,
            ],
            [max, Date.now(), PROMOTE_LIMIT, worker],
          ),
    claimBlocking: blocking
      ? (timeoutSeconds) => blocking(keys.pending, inFlight, timeoutSeconds)
      : undefined,
    interruptBlocking: () => transport.interruptBlocking?.(),
    async unclaim(raw) {
      await transport.script(unclaimScript, [inFlight, keys.pending], [raw]);
    },
    async acknowledge(acks) {
      if (acks.length === 0) return [];
      return (await acknowledgeAndClaim(acks, 0)).skipped;
    },
    acknowledgeAndClaim,
    promoteDue: (now) =>
      transport.script<number>(
        promoteScript,
        [keys.retries, keys.scheduled, keys.pending],
        [now, PROMOTE_LIMIT],
      ),
    async heartbeat(info, ttlMs) {
      const value: WorkerHeartbeat = {
        ...info,
        heartbeat_at: new Date().toISOString(),
        heartbeat_ttl_ms: ttlMs,
      };
      await transport.transaction([
        ["SADD", keys.workers, worker],
        ["SET", keys.heartbeat(worker), JSON.stringify(value), "PX", ttlMs],
      ]);
    },
    async upkeep(info, ttlMs) {
      const flat = await transport.script<(string | number)[]>(
        upkeepScript,
        [keys.workers, keys.heartbeat(worker), keys.pending],
        [
          worker,
          JSON.stringify(info),
          ttlMs,
          keys.heartbeat(""),
          keys.inFlight(""),
        ],
      );
      const recovered: { worker: string; count: number }[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        recovered.push({ worker: String(flat[i]), count: Number(flat[i + 1]) });
      }
      return recovered;
    },
    async recoverDeadWorkers() {
      const members = await transport.command<string[]>(
        "SMEMBERS",
        keys.workers,
      );
      const recovered: { worker: string; count: number }[] = [];
      for (const id of members) {
        if (id === worker) continue;
        const count = await returnTasksOf(id, false);
        if (count >= 0) recovered.push({ worker: id, count });
      }
      return recovered;
    },
    requests: () => transport.stats().requests,
    uncertainRequests: () => transport.stats().uncertain,
    inFlightEntries: () =>
      transport.command<string[]>("LRANGE", inFlight, 0, -1),
    async releaseAll() {
      const count = await returnTasksOf(worker, true);
      await transport.command("DEL", keys.heartbeat(worker));
      return count;
    },
    async remainingWork() {
      const members = await transport.command<string[]>(
        "SMEMBERS",
        keys.workers,
      );
      // Scheduled tasks count once due: the promotion moves them to the
      // queue; one due next week is not work for this drain.
      const replies = await transport.pipeline([
        ["LLEN", keys.pending],
        ["ZCARD", keys.retries],
        ["ZCOUNT", keys.scheduled, "-inf", Date.now()],
        ...members.map((id): Command => ["LLEN", keys.inFlight(id)]),
      ]);
      return replies.reduce<number>((sum, n) => sum + Number(n), 0);
    },
  };
}

const ACK_KINDS = { procesada: "p", fallida: "f", reintento: "r" } as const;

/**
 * Entries longer than this (64 KiB) are named by their SHA-1 in an
 * acknowledgement instead of being sent back: a 10 MB entry sent back
 * would pass the 10 MiB request limit of a REST endpoint, and then could
 * never be acknowledged at all.
 */
export const ACK_BY_DIGEST_CHARS = 64 * 1024;

/** The kind and the entry (or its digest) as the script takes them. */
function ackTarget(kind: "p" | "f" | "r", raw: string): [string, string] {
  if (raw.length <= ACK_BY_DIGEST_CHARS) return [kind, raw];
  const digest = createHash("sha1").update(entryToWire(raw)).digest("hex");
  return [kind.toUpperCase(), digest];
}

/**
 * Stands for `resultado.borradas` in the JSON of a record whose keys the
 * acknowledgement deletes; the script writes the count in its place.
 */
const DELETED_MARK = "\u0000batchctl:borradas";
const DELETED_MARK_JSON = JSON.stringify(DELETED_MARK);

/**
 * A record whose `resultado.borradas` Redis fills in: the JSON before and
 * after the count. `resultado` is the record's last field, so the last
 * mark is ours even when the task's own text holds the same characters.
 * A record serialised without its result (serializeRecord's fallback)
 * has no mark: tail "" and the count is left out.
 */
function splitAtDeletedMark(record: TaskRecord): [string, string] {
  const resultado = record.resultado as Record<string, unknown>;
  const text = serializeRecord({
    ...record,
    resultado: { ...resultado, borradas: DELETED_MARK },
  });
  const at = text.lastIndexOf(DELETED_MARK_JSON);
  if (at < 0) return [text, ""];
  return [text.slice(0, at), text.slice(at + DELETED_MARK_JSON.length)];
}

/** The script arguments of one acknowledgement batch. */
function ackArguments(acks: Ack[]): { args: Arg[]; deleteKeys: string[] } {
  const args: Arg[] = [];
  const deleteKeys: string[] = [];
  for (const ack of acks) {
    // Known tipos only: a producer's made-up tipos would each add a
    // field to the day's hash, without bound.
    const tipo = isTipo(ack.record.tipo) ? ack.record.tipo : NO_TIPO;
    const field = `${tipo}:${ack.kind}s`;
    const target = ackTarget(ACK_KINDS[ack.kind], ack.raw);
    if (ack.kind === "reintento") {
      args.push(...target, ack.retryTask, ack.retryAt, field, "", 0);
      continue;
    }
    const deletes = ack.kind === "procesada" ? (ack.deletes ?? []) : [];
    if (deletes.length === 0) {
      args.push(...target, serializeRecord(ack.record), 0, field, "", 0);
      continue;
    }
    const [head, tail] = splitAtDeletedMark(ack.record);
    args.push(...target, head, 0, field, tail, deletes.length);
    deleteKeys.push(...deletes);
  }
  return { args, deleteKeys };
}

/** Writes each written outcome's count of deleted keys into its record. */
function fillDeleted(acks: Ack[], deleted: number[]): void {
  let next = 0;
  for (const ack of acks) {
    if (ack.kind !== "procesada" || !ack.deletes?.length) continue;
    const existed = deleted[next++];
    if (existed === undefined || existed < 0) continue;
    (ack.record.resultado as Record<string, unknown>).borradas = existed;
  }
}
