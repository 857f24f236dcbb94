/**
 * Read operations shared by the CLI and the TUI: a window of one list, and
 * finding a task by id. They read only what they show: LRANGE/ZRANGE with
 * start and stop, never a whole list (except the bounded `tipo` scan).
 */
import type { QueueContext } from "./operations.js";
import { findInListScript } from "./scripts.js";
import type { Command } from "./transport.js";

/** The lists and zsets of a queue, as `ls` names them (DESIGN.md 2). */
export const LIST_NAMES = [
  "procesar",
  "procesando",
  "reintentos",
  "programadas",
  "procesadas",
  "fallidas",
] as const;
export type ListName = (typeof LIST_NAMES)[number];

/** True when `name` is one of LIST_NAMES. */
export function isListName(name: string): name is ListName {
  return (LIST_NAMES as readonly string[]).includes(name);
}

/** The tipo under which entries without a readable tipo are counted. */
export const NO_TIPO = "invalida";

/** Entries read per round trip by the `tipo` scan. */
const SCAN_CHUNK = 500;
/** The `tipo` scan stops after this many entries and says so. */
export const DEFAULT_SCAN_CAP = 100_000;

/** One entry of a list or zset, parsed tolerantly. */
export interface ListEntry {
  /** Which list it was read from. */
  list: ListName;
  /**
   * 0-based position: from the head for lists (next to run for procesar,
   * newest for procesadas/fallidas), by due time for zsets; in-flight
   * lists count on across workers sorted by id.
   */
  position: number;
  /** The entry exactly as stored. */
  raw: string;
  /** The decoded JSON object; undefined when the entry is not one. */
  value: Record<string, unknown> | undefined;
  /** `value.id`, when it is a string. */
  id: string | undefined;
  /** `value.tipo`, when it is a string; null otherwise. */
  tipo: string | null;
  /** Zsets: when the entry becomes due, epoch ms. */
  due?: number;
  /** procesando: the worker holding the task. */
  worker?: string;
}

/** Options of `listWindow`. */
export interface WindowOptions {
  /** Entries to skip (of the matches, when `tipo` is given). */
  offset: number;
  /** Most entries returned. */
  limit: number;
  /** Only entries of this tipo (`invalida`: entries without one). */
  tipo?: string;
  /** Most entries the `tipo` scan reads (default 100,000). */
  scanCap?: number;
}

/** What `listWindow` read. */
export interface ListWindow {
  list: ListName;
  /** Length of the list (all in-flight lists together for procesando). */
  total: number;
  offset: number;
  limit: number;
  entries: ListEntry[];
  /** Entries read from Redis to build the window. */
  scanned: number;
  /** The `tipo` scan hit its cap before the end of the list. */
  truncated: boolean;
}

/** One Redis key of a list as `ls` sees it (procesando has several). */
interface Segment {
  key: string;
  kind: "list" | "zset";
  length: number;
  worker?: string;
}

/**
 * Reads entries `offset .. offset+limit-1` of `list` with LRANGE/ZRANGE
 * windows (one round trip for the lengths, one for the entries).
 * With `tipo`, reads the list from its head in chunks of 500 until
 * `offset + limit` matches are found, the list ends, or `scanCap` entries
 * were read (then `truncated` is true).
 */
export async function listWindow(
  ctx: QueueContext,
  list: ListName,
  options: WindowOptions,
): Promise<ListWindow> {
  const offset = Math.max(0, Math.floor(options.offset));
  const limit = Math.max(0, Math.floor(options.limit));
  const segments = await segmentsOf(ctx, list);
  const total = segments.reduce((sum, s) => sum + s.length, 0);
  const window = { list, total, offset, limit };

  if (options.tipo === undefined) {
    const entries = await readRange(ctx, list, segments, offset, limit);
    return { ...window, entries, scanned: entries.length, truncated: false };
  }

  const cap = options.scanCap ?? DEFAULT_SCAN_CAP;
  const wanted = offset + limit;
  const matches: ListEntry[] = [];
  let scanned = 0;
  while (matches.length < wanted && scanned < total && scanned < cap) {
    const count = Math.min(SCAN_CHUNK, cap - scanned);
    const chunk = await readRange(ctx, list, segments, scanned, count);
    if (chunk.length === 0) break;
    scanned += chunk.length;
    matches.push(...chunk.filter((entry) => hasTipo(entry, options.tipo)));
  }

  const entries = matches.slice(offset, wanted);
  const truncated = matches.length < wanted && scanned >= cap && cap < total;
  return { ...window, entries, scanned, truncated };
}

function hasTipo(entry: ListEntry, tipo: string | undefined): boolean {
  return (entry.tipo ?? NO_TIPO) === tipo;
}

/** The keys behind `list` and their lengths, in reading order. */
async function segmentsOf(
  ctx: QueueContext,
  list: ListName,
): Promise<Segment[]> {
  const { keys, transport } = ctx;
  if (list === "procesando") {
    const workers = await transport.command<string[]>("SMEMBERS", keys.workers);
    workers.sort();
    const lengths = await transport.pipeline(
      workers.map((id): Command => ["LLEN", keys.inFlight(id)]),
    );
    return workers.map((worker, i) => ({
      key: keys.inFlight(worker),
      kind: "list",
      length: Number(lengths[i]),
      worker,
    }));
  }

  const segment = keyOf(ctx, list);
  const length = await transport.command<number>(
    segment.kind === "zset" ? "ZCARD" : "LLEN",
    segment.key,
  );
  return [{ ...segment, length: Number(length) }];
}

function keyOf(
  ctx: QueueContext,
  list: Exclude<ListName, "procesando">,
): Omit<Segment, "length"> {
  const { keys } = ctx;
  const byName = {
    procesar: { key: keys.pending, kind: "list" },
    reintentos: { key: keys.retries, kind: "zset" },
    programadas: { key: keys.scheduled, kind: "zset" },
    procesadas: { key: keys.processed, kind: "list" },
    fallidas: { key: keys.failed, kind: "list" },
  } as const;
  return byName[list];
}

/**
 * Reads `count` entries from position `start` across `segments`, asking
 * each key only for the part of the window it holds, in one round trip.
 */
async function readRange(
  ctx: QueueContext,
  list: ListName,
  segments: Segment[],
  start: number,
  count: number,
): Promise<ListEntry[]> {
  if (count <= 0) return [];
  const end = start + count;
  const reads: { segment: Segment; from: number; base: number }[] = [];
  const commands: Command[] = [];
  let base = 0;
  for (const segment of segments) {
    const from = Math.max(start - base, 0);
    const to = Math.min(end - base, segment.length) - 1;
    if (to >= from) {
      reads.push({ segment, from, base });
      commands.push(rangeCommand(segment, from, to));
    }
    base += segment.length;
  }
  if (commands.length === 0) return [];

  const replies = await ctx.transport.pipeline(commands);
  return reads.flatMap(({ segment, from, base: offset }, i) =>
    parseRange(list, segment, replies[i] as string[], offset + from),
  );
}

function rangeCommand(segment: Segment, from: number, to: number): Command {
  if (segment.kind === "zset") {
    return ["ZRANGE", segment.key, from, to, "WITHSCORES"];
  }
  return ["LRANGE", segment.key, from, to];
}

function parseRange(
  list: ListName,
  segment: Segment,
  reply: string[],
  firstPosition: number,
): ListEntry[] {
  if (segment.kind === "list") {
    return reply.map((raw, i) =>
      parseEntry(list, raw, firstPosition + i, segment.worker),
    );
  }
  const entries: ListEntry[] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const entry = parseEntry(list, reply[i] ?? "", firstPosition + i / 2);
    entries.push({ ...entry, due: Number(reply[i + 1]) });
  }
  return entries;
}

/**
 * Decodes one stored entry. Never throws: an entry that is not a JSON
 * object is kept with `value` undefined, so it is still listed.
 */
export function parseEntry(
  list: ListName,
  raw: string,
  position: number,
  worker?: string,
): ListEntry {
  let value: Record<string, unknown> | undefined;
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (typeof parsed === "object" && parsed !== null) {
      if (!Array.isArray(parsed)) value = parsed as Record<string, unknown>;
    }
  } catch {
    // Producers may push anything; a raw string is still an entry.
  }
  const id = typeof value?.id === "string" ? value.id : undefined;
  const tipo = typeof value?.tipo === "string" ? value.tipo : null;
  return {
    list,
    position,
    raw,
    value,
    id,
    tipo,
    ...(worker !== undefined && { worker }),
  };
}

/** Most matches per list the id search returns. */
const FIND_MAX_PER_LIST = 100;
/** Entries the id search script reads per LRANGE/ZRANGE inside Redis. */
const FIND_CHUNK = 1000;

/** Where `findTask` found a task. */
export interface FoundTask {
  /** Distinct ids that matched: one for an exact id, maybe more for a prefix. */
  ids: string[];
  /** Each occurrence, in pipeline order (procesar first, fallidas last). */
  places: ListEntry[];
}

/**
 * Looks for task `id` in every list and zset: procesar, each worker's
 * in-flight list, reintentos, programadas, procesadas, fallidas.
 * When no entry has exactly that id, entries whose id starts with it are
 * returned instead (so the short ids `ls` prints work) unless
 * `allowPrefix` is false; `ids` then lists every id that matched.
 *
 * Cost: one Lua script per list scans it inside Redis for the substring
 * `"<id>` (O(n) in the length of every list, each script blocking Redis
 * for its own list only), then candidates are decoded here. Lists are
 * searched in the order tasks move through them, so a task that moves
 * forward while we search is still found (possibly twice).
 */
export async function findTask(
  ctx: QueueContext,
  id: string,
  options: { allowPrefix?: boolean } = {},
): Promise<FoundTask> {
  // The exact needle (closing quote included) rarely matches anything but
  // the task itself; the prefix pass runs only when it found nothing.
  const exact = (await searchAll(ctx, `"${id}"`)).filter(
    (entry) => entry.id === id,
  );
  const isPrefixSearch = exact.length === 0 && options.allowPrefix !== false;
  const places = !isPrefixSearch
    ? exact
    : (await searchAll(ctx, `"${id}`)).filter((entry) =>
        entry.id?.startsWith(id),
      );
  const ids = [...new Set(places.map((entry) => entry.id as string))];
  return { ids, places };
}

/** Ids shorter than this are never taken as a prefix (they match too much). */
export const MIN_ID_PREFIX = 4;
/** Past this many short ids, `expandIdPrefixes` looks for none (each costs a scan). */
export const MAX_PREFIXES_EXPANDED = 100;
/**
 * What may be the start of a UUID cut short (`ls` shows 8 characters of a
 * UUID, other ids whole): only such an id costs a search.
 */
const UUID_START = /^[0-9a-f-]{4,35}$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What `expandIdPrefixes` made of the ids. */
export interface ExpandedIds {
  /** The ids, each short one replaced by the one id it starts. */
  ids: string[];
  /** Short ids that start more than one id in the lists: [given, matches]. */
  ambiguous: [string, string[]][];
  /** More short ids than are looked for (MAX_PREFIXES_EXPANDED): none was. */
  tooMany: boolean;
}

/**
 * The short ids `ls` prints, as `show` takes them, for commands that act
 * on ids: the start of a UUID (4 to 35 hex digits and dashes) that no entry
 * of `lists` has as its id is replaced by the one UUID in `lists` that
 * starts with it. Any other id, one with an exact match, or one that starts
 * no UUID is kept as given.
 */
export async function expandIdPrefixes(
  ctx: QueueContext,
  ids: string[],
  lists: readonly ListName[],
): Promise<ExpandedIds> {
  const result: ExpandedIds = { ids: [...ids], ambiguous: [], tooMany: false };
  const short = ids.filter((id) => UUID_START.test(id)).length;
  if (short > MAX_PREFIXES_EXPANDED) return { ...result, tooMany: true };
  for (const [index, id] of ids.entries()) {
    if (!UUID_START.test(id)) continue;
    const found = await findTask(ctx, id);
    const matches = [
      ...new Set(
        found.places
          .filter((entry) => lists.includes(entry.list))
          .map((entry) => entry.id as string)
          // Only a UUID is shown cut short: `order-1` gone must not
          // become `order-10`.
          .filter((match) => match === id || UUID.test(match)),
      ),
    ];
    if (matches.includes(id) || matches.length === 0) continue;
    if (matches.length === 1) result.ids[index] = matches[0]!;
    else result.ambiguous.push([id, matches]);
  }
  return result;
}

/** Runs the search script on every list, in the order tasks move. */
async function searchAll(
  ctx: QueueContext,
  needle: string,
): Promise<ListEntry[]> {
  const { keys, transport } = ctx;
  const candidates: ListEntry[] = [];
  const search = async (
    list: ListName,
    key: string,
    kind: "list" | "zset",
    worker?: string,
  ) => {
    const reply = await transport.script<(string | number)[]>(
      findInListScript,
      [key],
      [needle, kind, FIND_CHUNK, FIND_MAX_PER_LIST],
    );
    for (let i = 0; i + 2 < reply.length; i += 3) {
      const raw = String(reply[i + 1]);
      const entry = parseEntry(list, raw, Number(reply[i]), worker);
      const due = kind === "zset" ? { due: Number(reply[i + 2]) } : {};
      candidates.push({ ...entry, ...due });
    }
  };

  await search("procesar", keys.pending, "list");
  const workers = await transport.command<string[]>("SMEMBERS", keys.workers);
  for (const worker of workers.sort()) {
    await search("procesando", keys.inFlight(worker), "list", worker);
  }
  await search("reintentos", keys.retries, "zset");
  await search("programadas", keys.scheduled, "zset");
  await search("procesadas", keys.processed, "list");
  await search("fallidas", keys.failed, "list");
  return candidates;
}
