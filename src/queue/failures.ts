/**
 * Failures grouped by what went wrong, for `ls fallidas --group` and for
 * `retry --group n` / `delete --group n`.
 */
import type { QueueContext } from "./operations.js";
import { parseRecord } from "./records.js";
import { NO_TIPO } from "./read.js";

/** Records read per LRANGE while grouping. */
const GROUP_CHUNK = 1000;
/** Grouping reads at most this many records unless told otherwise. */
export const DEFAULT_GROUP_CAP = 100_000;
/** Normalized messages are cut here, so one huge message stays one group. */
const MESSAGE_LIMIT = 200;

/** Failures with the same tipo, class and normalized message. */
export interface FailureGroup {
  /** 1-based number, by count (most first): what `--group <n>` names. */
  n: number;
  tipo: string;
  /** `validacion`, `permanente`, `transitorio`, or `?` when unreadable. */
  clase: string;
  /** The message with uuids, dates and numbers replaced by placeholders. */
  mensaje: string;
  count: number;
  /** Oldest and newest `terminada_en` in the group (ISO), when known. */
  first_seen: string | null;
  last_seen: string | null;
  /** Id of the group's newest record. */
  sample_id: string | null;
  /** Ids of every record in the group, newest first. */
  ids: string[];
}

/** What `groupFailures` read. */
export interface FailureGroups {
  groups: FailureGroup[];
  /** Records read (from the newest). */
  scanned: number;
  /** Length of `P:fallidas` when reading started. */
  total: number;
  /** The cap stopped the scan before the end of the list. */
  capped: boolean;
}

/** Options of `groupFailures`. */
export interface GroupOptions {
  /** Most records read, newest first (default 100,000). */
  limit?: number;
}

/**
 * Replaces the variable parts of an error message (uuids, ISO dates and
 * times, hex ids, numbers) with `<uuid>`, `<date>`, `<hex>`, `<n>`, keeps
 * its first line and cuts it at 200 characters.
 */
export function normalizeMessage(message: string): string {
  const firstLine = message.split("\n")[0] ?? "";
  return firstLine
    .replace(
      /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi,
      "<uuid>",
    )
    .replace(
      /\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?/g,
      "<date>",
    )
    .replace(/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, "<hex>")
    .replace(/\d+(?:\.\d+)?/g, "<n>")
    .slice(0, MESSAGE_LIMIT);
}

/**
 * Reads `P:fallidas` from the newest record in chunks of 1000 (at most
 * `limit` records) and groups them by (tipo, clase, normalized message).
 * Groups are numbered 1..n by count, most first (ties: most recent first),
 * so `--group <n>` refers to a group as `ls fallidas --group` printed it.
 * The list may change between two calls: a caller acting on group n
 * should act on the ids returned with it, not recompute them later.
 * An unreadable record forms groups of tipo `invalida`, clase `?`.
 */
export async function groupFailures(
  ctx: QueueContext,
  options: GroupOptions = {},
): Promise<FailureGroups> {
  const { keys, transport } = ctx;
  const cap = options.limit ?? DEFAULT_GROUP_CAP;
  const total = Number(await transport.command("LLEN", keys.failed));
  const byKey = new Map<string, Omit<FailureGroup, "n">>();
  let scanned = 0;

  while (scanned < Math.min(total, cap)) {
    const stop = Math.min(scanned + GROUP_CHUNK, cap) - 1;
    const chunk = await transport.command<string[]>(
      "LRANGE",
      keys.failed,
      scanned,
      stop,
    );
    if (chunk.length === 0) break;
    scanned += chunk.length;
    for (const raw of chunk) addRecord(byKey, raw);
  }

  const groups = [...byKey.values()]
    .sort(
      (a, b) =>
        b.count - a.count ||
        (b.last_seen ?? "").localeCompare(a.last_seen ?? "") ||
        a.mensaje.localeCompare(b.mensaje),
    )
    .map((group, i) => ({ n: i + 1, ...group }));
  return { groups, scanned, total, capped: scanned < total && scanned >= cap };
}

function addRecord(
  byKey: Map<string, Omit<FailureGroup, "n">>,
  raw: string,
): void {
  const record = parseRecord(raw);
  const tipo = record?.tipo ?? NO_TIPO;
  const clase = record?.error?.clase ?? "?";
  const mensaje = record
    ? normalizeMessage(String(record.error?.mensaje ?? "(no error message)"))
    : "(unreadable record)";
  const key = JSON.stringify([tipo, clase, mensaje]);
  const at =
    typeof record?.terminada_en === "string" ? record.terminada_en : null;

  let group = byKey.get(key);
  if (!group) {
    group = {
      tipo,
      clase,
      mensaje,
      count: 0,
      first_seen: at,
      last_seen: at,
      sample_id: record?.id ?? null,
      ids: [],
    };
    byKey.set(key, group);
  }
  group.count += 1;
  if (record?.id) group.ids.push(record.id);
  // Records are read newest first, but a retried task's record may be
  // older than its neighbours: compare rather than trust the order.
  if (at && (!group.first_seen || at < group.first_seen)) group.first_seen = at;
  if (at && (!group.last_seen || at > group.last_seen)) {
    group.last_seen = at;
    group.sample_id = record?.id ?? group.sample_id;
  }
}
