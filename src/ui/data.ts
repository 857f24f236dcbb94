/**
 * What the TUI needs from a queue: the `QueueSource` it polls and acts
 * through. The real one (queue-source.ts) calls the shared operations of
 * src/queue; the UI itself never builds a Redis key.
 */
import type { Task } from "../common/task.js";
import type {
  FailureGroup,
  ListName,
  QueueStats,
  RecordsRetry,
} from "../queue/index.js";

export type { FailureGroup, ListName, QueueStats, RecordsRetry };

/** One entry of a list, decoded for display. */
export interface Row {
  /** Stable identity for keeping the selection: the id, else the raw text. */
  key: string;
  id: string | null;
  tipo: string | null;
  /** The time the age column counts from (ISO), when known. */
  at: string | null;
  /** For zsets: when it is due (epoch ms). */
  dueAt?: number;
  intentos: number;
  /** Failure records: the error's class and first line. */
  clase?: string;
  errorLine?: string;
  /** procesando: the worker running it. */
  worker?: string;
  durationMs?: number;
  /** The whole entry as stored. */
  raw: string;
  /** Position in the list (or in the filtered list). */
  index: number;
}

/** A window of rows of one list. */
export interface RowWindow {
  list: ListName;
  filter: string;
  /** Rows in the list (or matches of the filter among those scanned). */
  total: number;
  offset: number;
  rows: Row[];
  /** With a filter: how many entries were searched, of how many. */
  scanned?: { searched: number; of: number };
}

/** Failure groups of the newest failures, with the records of each. */
export interface GroupsResult {
  groups: (FailureGroup & { raws: string[] })[];
  scanned: number;
  total: number;
}

/** The data and actions behind the TUI. */
export interface QueueSource {
  /**
   * Where it points, for the header: transport and host (`tcp host:port`,
   * `rest host`), never a password or token.
   */
  readonly target: string;
  readonly prefix: string;
  /** Counts, workers, pause and rate (measured between two calls). */
  snapshot(): Promise<QueueStats>;
  /** Rows `offset..offset+limit-1` of `list`, optionally filtered. */
  window(
    list: ListName,
    offset: number,
    limit: number,
    filter: string,
  ): Promise<RowWindow>;
  /** Every row a bulk action on `list` with `filter` covers (capped). */
  shown(list: ListName, filter: string): Promise<RowWindow>;
  groups(): Promise<GroupsResult>;
  /** Retries failure records given newest first (as listed). */
  retry(raws: string[]): Promise<RecordsRetry>;
  remove(list: ListName, raws: string[]): Promise<number>;
  purgeCache(keys: string[]): Promise<number>;
  setPaused(isPaused: boolean): Promise<void>;
  /** Validates (zod), stamps and queues one task. */
  enqueue(task: Record<string, unknown>): Promise<Task>;
  /** Calls `listener` when Redis is lost or back; returns an unsubscribe. */
  watchConnection?(listener: ConnectionListener): () => void;
}

/** Told when the connection to Redis is lost (`isUp` false) or restored. */
export type ConnectionListener = (isUp: boolean, reason?: string) => void;
