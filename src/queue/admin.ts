/**
 * Operator actions that remove things, shared by the CLI and the TUI:
 * delete entries by id, purge a whole list, purge cache keys. Each leaves
 * an entry in the audit list.
 */
import { NotFoundError, UsageError } from "../common/errors.js";
import {
  TaskValidationError,
  validateTask,
  type Task,
} from "../common/task.js";
import { purgeScript } from "./admin-scripts.js";
import {
  AUDIT_CAP,
  appendAudit,
  auditEntry,
  auditTemplate,
  listSome,
  type AuditAction,
} from "./audit.js";
import { groupFailures } from "./failures.js";
import { queueKeyIssue, type QueueKeys } from "./keys.js";
import { enqueueTasks, type QueueContext } from "./operations.js";
import { unlinkKeys } from "./slots.js";
import { sweepList } from "./sweep.js";

/** The lists and zsets an operator may delete from or purge. */
export const ADMIN_LISTS = [
  "procesar",
  "reintentos",
  "programadas",
  "procesadas",
  "fallidas",
] as const;
export type AdminList = (typeof ADMIN_LISTS)[number];

/** A list or zset of the queue, by key. */
interface ListTarget {
  name: AdminList;
  key: string;
  kind: "list" | "zset";
}

/**
 * Resolves a list name. Throws UsageError for `procesando` (tasks in
 * flight belong to the worker running them) and for unknown names.
 */
export function adminList(keys: QueueKeys, name: string): ListTarget {
  if (name === "procesando" || name.startsWith("procesando:")) {
    throw new UsageError(
      "procesando: in-flight tasks belong to their worker; stop it (they return to procesar)",
    );
  }
  const targets: Record<AdminList, ListTarget> = {
    procesar: { name: "procesar", key: keys.pending, kind: "list" },
    reintentos: { name: "reintentos", key: keys.retries, kind: "zset" },
    programadas: { name: "programadas", key: keys.scheduled, kind: "zset" },
    procesadas: { name: "procesadas", key: keys.processed, kind: "list" },
    fallidas: { name: "fallidas", key: keys.failed, kind: "list" },
  };
  if (!Object.hasOwn(targets, name)) {
    throw new UsageError(
      `unknown list ${JSON.stringify(name)} (one of ${ADMIN_LISTS.join(", ")})`,
    );
  }
  return targets[name as AdminList];
}

/** Options of `deleteRecords`. */
export interface DeleteOptions {
  /** Only this list; default every list but the in-flight ones. */
  from?: string;
  origin?: string;
  /** The selection as the audit entry shows it (e.g. `--group 2`). */
  selection?: string;
}

/** What `deleteRecords` removed. */
export interface DeleteResult {
  deleted: number;
  /** Entries removed per list. */
  byList: Partial<Record<AdminList, number>>;
  /** Ids with no entry in the lists searched. */
  notFound: string[];
}

/**
 * Removes every entry (task or record) whose id is one of `ids` from
 * `from`, or from every list but the in-flight ones, reading each list in
 * windows. Each removal is atomic; one audit entry follows when anything
 * was removed. Throws UsageError for no ids or a bad list name.
 */
export async function deleteRecords(
  ctx: QueueContext,
  ids: string[],
  options: DeleteOptions = {},
): Promise<DeleteResult> {
  if (ids.length === 0) throw new UsageError("say which ids to delete");
  const targets = options.from
    ? [adminList(ctx.keys, options.from)]
    : ADMIN_LISTS.map((name) => adminList(ctx.keys, name));
  const wanted = new Set(ids);
  const found = new Set<string>();
  const result: DeleteResult = { deleted: 0, byList: {}, notFound: [] };

  let failure: unknown;
  try {
    for (const target of targets) {
      const removed = await sweepList({
        transport: ctx.transport,
        key: target.key,
        kind: target.kind,
        choose: (entries) => ({
          take: entries
            .filter((entry) => wanted.has(idOf(entry, wanted) ?? ""))
            .map((entry) => ({ entry })),
        }),
        onTaken: (take, taken) => {
          for (const [i, t] of take.entries()) {
            if (taken[i]) found.add(idOf(t.entry) ?? "");
          }
        },
      });
      if (removed > 0) result.byList[target.name] = removed;
      result.deleted += removed;
    }
  } catch (error) {
    failure = error;
  }
  if (result.deleted > 0) {
    const where = options.from ? ` from ${options.from}` : "";
    await appendAudit(ctx, {
      command: "delete",
      count: result.deleted,
      detail: `${options.selection ?? listSome(ids)}${where}`,
      origin: options.origin,
    }).catch((error: unknown) => (failure ??= error));
  }
  if (failure) throw failure;

  result.notFound = ids.filter((id) => !found.has(id));
  return result;
}

/**
 * The `id` of a JSON entry. With a few `wanted` ids, entries that contain
 * none of them as text are not parsed at all.
 */
function idOf(entry: string, wanted?: Set<string>): string | undefined {
  if (wanted && wanted.size <= 20) {
    if (![...wanted].some((id) => entry.includes(id))) return undefined;
  }
  try {
    const id = (JSON.parse(entry) as { id?: unknown }).id;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}

/** A purge of more than one entry was asked for without confirmation. */
export class ConfirmationError extends UsageError {
  /** How many entries it would remove. */
  readonly count: number;

  constructor(list: string, count: number) {
    super(`purge ${list} would remove ${count} entries; add --yes to confirm`);
    this.count = count;
  }
}

/** Options of `purgeList`. */
export interface PurgeOptions {
  /** Confirmed: required to remove more than one entry. */
  yes?: boolean;
  origin?: string;
}

/**
 * Empties one list or zset (never an in-flight list) and records it in
 * the audit list, in one script. Returns how many entries it removed.
 * Throws ConfirmationError (with the count) when it holds more than one
 * entry and `yes` is not set, UsageError for a bad list name.
 */
export async function purgeList(
  ctx: QueueContext,
  list: string,
  options: PurgeOptions = {},
): Promise<number> {
  const target = adminList(ctx.keys, list);
  const action: AuditAction = {
    command: "purge",
    count: 0,
    detail: target.name,
    origin: options.origin,
  };

  const removed = await ctx.transport.script<number>(
    purgeScript,
    [target.key, ctx.keys.audit],
    [
      target.kind,
      options.yes ? "1" : "0",
      auditTemplate(auditEntry(action)),
      AUDIT_CAP,
    ],
  );
  if (removed < 0) throw new ConfirmationError(target.name, -removed);
  return removed;
}

/** What `purgeCacheNow` did: the `limpiar_cache` result shape. */
export interface CachePurge {
  /** Keys asked for. */
  claves: number;
  /** Keys that existed and were deleted. */
  borradas: number;
}

/**
 * Checks cache key names as a `limpiar_cache` task would: 1 to 1000 exact
 * names, none under the queue's own prefix. Throws UsageError.
 */
function checkCacheKeys(keys: QueueKeys, claves: string[]): Task {
  let task: Task;
  try {
    task = validateTask({ tipo: "limpiar_cache", claves });
  } catch (error) {
    if (!(error instanceof TaskValidationError)) throw error;
    throw new UsageError(error.issues.join("; "));
  }
  const issue = queueKeyIssue(keys, claves);
  if (issue) throw new UsageError(issue);
  return task;
}

/**
 * Deletes exactly the keys `claves` now (UNLINK, never a pattern; on a
 * Redis Cluster one per hash slot) and returns how many existed; then
 * appends an audit entry (cache keys live outside the queue's hash slot,
 * so the two cannot share a script).
 * Throws UsageError for keys of the queue itself or bad names.
 */
export async function purgeCacheNow(
  ctx: QueueContext,
  claves: string[],
  options: { origin?: string } = {},
): Promise<CachePurge> {
  // A key named twice is one key: else it would count as one that was missing.
  const unique = [...new Set(claves)];
  checkCacheKeys(ctx.keys, unique);

  const borradas = await unlinkKeys(ctx.transport, unique);
  await appendAudit(ctx, {
    command: "purge-cache",
    count: borradas,
    detail: `now: ${listSome(unique)}`,
    origin: options.origin,
  });
  return { claves: unique.length, borradas };
}

/**
 * Queues a `limpiar_cache` task for `claves` (a worker deletes them) and
 * appends an audit entry. Returns the queued task (with its id).
 * Throws UsageError for keys of the queue itself or bad names.
 */
export async function queueCachePurge(
  ctx: QueueContext,
  claves: string[],
  options: { origin?: string } = {},
): Promise<Task & { id: string }> {
  const task = checkCacheKeys(ctx.keys, claves);

  const [queued] = await enqueueTasks(ctx, [task]);
  const id = queued!.id!;
  await appendAudit(ctx, {
    command: "purge-cache",
    count: claves.length,
    detail: `queued as task ${id}: ${listSome(claves)}`,
    origin: options.origin,
  });
  return { ...queued!, id };
}

/**
 * The task ids of failure group `n` as `ls fallidas --group` numbers the
 * groups (same scan and cap), for `retry --group` and `delete --group`.
 * An id with records in several groups is acted on in all of them.
 * Throws UsageError for a bad number, NotFoundError when there is no such
 * group (the list changed since it was shown, or it was never there).
 */
export async function failureGroupIds(
  ctx: QueueContext,
  n: number,
): Promise<string[]> {
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(
      `--group: must be a group number from ls fallidas --group, not ${n}`,
    );
  }

  const { groups } = await groupFailures(ctx);
  const group = groups.find((g) => g.n === n);
  if (!group) {
    throw new NotFoundError(
      `no failure group ${n} (there are ${groups.length}); see batchctl ls fallidas --group`,
    );
  }
  return [...new Set(group.ids)];
}
