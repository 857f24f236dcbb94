/**
 * Records written to `P:procesadas` and `P:fallidas` (DESIGN.md section 4):
 * enough to understand and replay a task.
 */
import type { ErrorClass } from "../common/errors.js";

/** The error part of a failure record. */
export interface RecordError {
  mensaje: string;
  clase: ErrorClass;
  codigo?: string;
}

/** One entry of `P:procesadas` or `P:fallidas`. */
export interface TaskRecord {
  id: string;
  /** The task's tipo, or null when it had none readable. */
  tipo: string | null;
  /** The task as received, when it was valid JSON (see `crudo`). */
  tarea?: unknown;
  /**
   * The raw text, cut at RAW_RECORD_LIMIT: when it was not valid JSON, or
   * when it was refused as invalid and longer than that limit.
   */
  crudo?: string;
  /** Size in bytes of the raw text, when `crudo` was cut. */
  crudo_bytes?: number;
  intentos: number;
  encolada_en: string | null;
  iniciada_en: string;
  terminada_en: string;
  duracion_ms: number;
  worker: string;
  resultado?: unknown;
  error?: RecordError;
}

/** How much of an unparseable raw task a failure record keeps (64 KiB). */
export const RAW_RECORD_LIMIT = 64 * 1024;

/** Parses a stored record; returns undefined when it is not one. */
export function parseRecord(text: string): TaskRecord | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== "object" || value === null) return undefined;
    if (typeof (value as { id?: unknown }).id !== "string") return undefined;
    return value as TaskRecord;
  } catch {
    return undefined;
  }
}

/**
 * The JSON of a record. A record that cannot be serialised (a value nested
 * too deep, a BigInt from a driver) is written without its task and result
 * rather than blocking the acknowledgement forever.
 */
export function serializeRecord(record: TaskRecord): string {
  try {
    return JSON.stringify(record);
  } catch (error) {
    const { tarea: _t, resultado: _r, ...rest } = record;
    const reason = error instanceof Error ? error.message : String(error);
    return JSON.stringify({
      ...rest,
      crudo: `(task not recordable: ${reason})`,
    });
  }
}
