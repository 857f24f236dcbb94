/**
 * Runs one raw queue entry to an outcome: decode, validate, run the
 * handler, classify a failure, decide on a retry. A failing task is data:
 * this function never throws.
 */
import { randomUUID } from "node:crypto";
import { ConnectionError, TaskError, toError } from "../common/errors.js";
import {
  decodeTaskText,
  TASK_ID_PATTERN,
  TaskValidationError,
  validateTask,
} from "../common/task.js";
import { isConnectionFailure } from "../db/index.js";
import { RAW_RECORD_LIMIT, type Ack, type TaskRecord } from "../queue/index.js";
import {
  DeferredDeletes,
  runHandler,
  type HandlerContext,
} from "./handlers/index.js";
import { mayRetry, retryDelay, type RetryPolicy } from "./retry-policy.js";
import { withDeadline } from "./signal.js";

/** Options of `runTask`. */
export interface RunTaskOptions {
  worker: string;
  policy: RetryPolicy;
  /** A handler still running after this long fails as transient. */
  taskTimeoutMs: number;
  ctx: HandlerContext;
}

/** What running a task produced. */
export interface TaskRun {
  ack: Ack;
  /**
   * The database could not be reached: the attempt does not count and the
   * worker should stop fetching until it answers again.
   */
  isDatabaseDown: boolean;
}

/** What could be read of a raw entry before validation. */
interface Decoded {
  value?: unknown;
  id: string;
  tipo: string | null;
  previousAttempts: number;
  encoladaEn: string | null;
  error?: TaskError;
}

/** Largest `intentos` a task may carry (the schema's bound). */
const MAX_ATTEMPTS_FIELD = 1000;

function decode(raw: string): Decoded {
  let value: unknown;
  try {
    value = decodeTaskText(raw);
  } catch (error) {
    const base = { id: randomUUID(), tipo: null, previousAttempts: 0 };
    return { ...base, encoladaEn: null, error: toTaskError(error) };
  }

  const fields = (
    typeof value === "object" && value !== null ? value : {}
  ) as Record<string, unknown>;
  const { id, tipo, intentos, encolada_en: encoladaEn } = fields;
  return {
    value,
    id: typeof id === "string" && TASK_ID_PATTERN.test(id) ? id : randomUUID(),
    tipo: typeof tipo === "string" ? tipo.slice(0, 100) : null,
    // Only a count the schema accepts (0..1000): 1e308 is no attempt count.
    previousAttempts:
      typeof intentos === "number" &&
      Number.isInteger(intentos) &&
      intentos > 0 &&
      intentos <= MAX_ATTEMPTS_FIELD
        ? intentos
        : 0,
    encoladaEn: typeof encoladaEn === "string" ? encoladaEn.slice(0, 40) : null,
  };
}

function toTaskError(error: unknown): TaskError {
  if (error instanceof TaskError) return error;
  if (error instanceof TaskValidationError) {
    return new TaskError("validacion", error.message);
  }
  if (error instanceof ConnectionError) {
    return new TaskError("transitorio", error.message, "REDIS_UNREACHABLE");
  }
  return new TaskError("permanente", toError(error).message, "INTERNAL");
}

/** Runs one raw entry and returns its acknowledgement. Never throws. */
export async function runTask(
  raw: string,
  options: RunTaskOptions,
): Promise<TaskRun> {
  const started = Date.now();
  const decoded = decode(raw);
  const attempt = decoded.previousAttempts + 1;
  let resultado: unknown;
  let failure = decoded.error;

  if (!failure) {
    try {
      const task = validateTask(decoded.value);
      const ms = options.taskTimeoutMs;
      const outcome = runHandler(task, options.ctx);
      resultado =
        outcome instanceof DeferredDeletes
          ? outcome
          : await withDeadline(
              outcome,
              ms,
              () =>
                new TaskError(
                  "transitorio",
                  `task did not finish within ${ms} ms`,
                  "TIMEOUT",
                ),
            );
    } catch (error) {
      failure = toTaskError(error);
    }
  }

  const finished = Date.now();
  // An invalid task cannot be replayed as it is: past RAW_RECORD_LIMIT its
  // record keeps the cut text, so that a producer's megabytes of junk do
  // not become megabytes in fallidas for every reader of it.
  const isBulkyJunk =
    failure?.clase === "validacion" && raw.length > RAW_RECORD_LIMIT;
  const record: TaskRecord = {
    id: decoded.id,
    tipo: decoded.tipo,
    ...(decoded.value === undefined || isBulkyJunk
      ? rawFields(raw)
      : { tarea: decoded.value }),
    intentos: attempt,
    encolada_en: decoded.encoladaEn,
    iniciada_en: isoTime(started),
    terminada_en: isoTime(finished),
    duracion_ms: finished - started,
    worker: options.worker,
  };

  if (resultado instanceof DeferredDeletes) {
    // `borradas` is written by the acknowledgement that deletes the keys.
    const { claves } = resultado;
    record.resultado = { claves: claves.length, borradas: null };
    const ack: Ack = { kind: "procesada", raw, record, deletes: claves };
    return { ack, isDatabaseDown: false };
  }
  if (!failure) {
    record.resultado = resultado ?? null;
    return { ack: { kind: "procesada", raw, record }, isDatabaseDown: false };
  }

  record.error = {
    mensaje: failure.message,
    clase: failure.clase,
    ...(failure.codigo ? { codigo: failure.codigo } : {}),
  };
  const isDatabaseDown = isConnectionFailure(failure);
  // An outage is not the task's fault: that attempt is not counted.
  const counted = isDatabaseDown ? attempt - 1 : attempt;
  const retryable =
    failure.clase === "transitorio" &&
    (isDatabaseDown || mayRetry(options.policy, attempt));
  if (!retryable) {
    return { ack: { kind: "fallida", raw, record }, isDatabaseDown };
  }

  const retryAt = finished + retryDelay(options.policy, Math.max(counted, 1));
  const retryTask = JSON.stringify({
    ...(decoded.value as object),
    id: decoded.id,
    intentos: counted,
  });
  return {
    ack: { kind: "reintento", raw, record, retryTask, retryAt },
    isDatabaseDown,
  };
}

let lastIsoMs = Number.NaN;
let lastIso = "";

/**
 * `new Date(ms).toISOString()`, remembered for the last millisecond: a
 * busy worker stamps dozens of records within the same one.
 */
function isoTime(ms: number): string {
  if (ms !== lastIsoMs) {
    lastIsoMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

function rawFields(raw: string): Pick<TaskRecord, "crudo" | "crudo_bytes"> {
  if (raw.length <= RAW_RECORD_LIMIT) return { crudo: raw };
  return {
    crudo: raw.slice(0, RAW_RECORD_LIMIT),
    crudo_bytes: Buffer.byteLength(raw),
  };
}
