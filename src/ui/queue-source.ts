/**
 * The QueueSource of a real queue: every read and action goes through the
 * shared operations of src/queue.
 */
import { TIPOS, type Task } from "../common/task.js";
import {
  appendAudit,
  deleteEntries,
  enqueueTasks,
  groupFailures,
  listWindow,
  pause,
  purgeCacheNow,
  queueStats,
  resume,
  retryRecords,
  type ListName,
  type QueueContext,
  type QueueStats,
} from "../queue/index.js";
import type { QueueSource, RowWindow } from "./data.js";
import { toRow } from "./format.js";

/**
 * A text filter searches at most this many entries from the head of a
 * list, so its cost stays bounded on a list of a million; the view says
 * how many were searched.
 */
export const FILTER_SCAN_LIMIT = 10_000;
/** The audit entries of the TUI's actions say where they came from. */
const ORIGIN = { origin: "tui" };
/** Groups and "retry all shown" cover at most the newest this many. */
export const BULK_LIMIT = 10_000;

/** True when an entry matches `filter`: a tipo name, or text in it. */
export function matchesFilter(
  raw: string,
  tipo: string | null,
  filter: string,
): boolean {
  const query = filter.trim().toLowerCase();
  if (query === "") return true;
  if ((TIPOS as string[]).includes(query)) return tipo === query;
  return raw.toLowerCase().includes(query);
}

/** Creates the source for `queue`; `isReadOnly` refuses every action. */
export function createQueueSource(
  queue: QueueContext,
  options: { isReadOnly: boolean },
): QueueSource {
  let previous: QueueStats | undefined;
  const guard = () => {
    if (options.isReadOnly) throw new Error("read-only: actions are off");
  };

  const filtered = async (
    list: ListName,
    offset: number,
    limit: number,
    filter: string,
  ): Promise<RowWindow> => {
    const query = filter.trim().toLowerCase();
    // A tipo filter uses the shared tipo scan; text is matched here.
    const isTipo = (TIPOS as string[]).includes(query);
    const scan = await listWindow(queue, list, {
      offset: 0,
      limit: FILTER_SCAN_LIMIT,
      ...(isTipo && { tipo: query, scanCap: FILTER_SCAN_LIMIT }),
    });
    const rows = scan.entries
      .map(toRow)
      .filter((row) => matchesFilter(row.raw, row.tipo, filter))
      .map((row, index) => ({ ...row, index }));
    return {
      list,
      filter,
      total: rows.length,
      offset,
      rows: rows.slice(offset, offset + limit),
      scanned: { searched: scan.scanned, of: scan.total },
    };
  };

  return {
    target: `${queue.transport.kind} ${queue.transport.target}`,
    prefix: queue.keys.prefix,
    async snapshot() {
      previous = await queueStats(queue, previous);
      return previous;
    },
    async window(list, offset, limit, filter) {
      if (filter.trim() !== "") return filtered(list, offset, limit, filter);
      const window = await listWindow(queue, list, { offset, limit });
      return {
        list,
        filter,
        total: window.total,
        offset: window.offset,
        rows: window.entries.map(toRow),
      };
    },
    shown: (list, filter) => filtered(list, 0, BULK_LIMIT, filter),
    async groups() {
      const found = await groupFailures(queue, { limit: BULK_LIMIT });
      // Groups name their records by id; the actions need them as stored.
      const records = await listWindow(queue, "fallidas", {
        offset: 0,
        limit: found.scanned,
      });
      const rawOf = new Map(records.entries.map((e) => [e.id, e.raw]));
      const groups = found.groups.map((group) => ({
        ...group,
        raws: group.ids.flatMap((id) => rawOf.get(id) ?? []),
      }));
      return { groups, scanned: found.scanned, total: found.total };
    },
    async retry(raws) {
      guard();
      // Shown newest first; queued oldest first, as they originally ran.
      return retryRecords(queue, [...raws].reverse(), ORIGIN);
    },
    async remove(list, raws) {
      guard();
      return deleteEntries(queue, list, raws, ORIGIN);
    },
    async purgeCache(keys) {
      guard();
      return (await purgeCacheNow(queue, keys, ORIGIN)).borradas;
    },
    async setPaused(isPaused) {
      guard();
      if (isPaused) await pause(queue, ORIGIN);
      else await resume(queue, ORIGIN);
    },
    async enqueue(task): Promise<Task> {
      guard();
      const [queued] = await enqueueTasks(queue, [task], ORIGIN);
      const id = queued?.id ?? "?";
      const detail = `${String(task.tipo)} ${id}`;
      await appendAudit(queue, {
        command: "enqueue",
        count: 1,
        detail,
        ...ORIGIN,
      });
      return queued as Task;
    },
  };
}
