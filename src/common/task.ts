/**
 * The task contract of DESIGN.md section 3: one zod schema per `tipo`, the
 * same schemas used by the worker, `batchctl enqueue` and the TUI.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { isBytesEntry } from "./bytes.js";
import { printable } from "./printable.js";

/** Limits on `limpiar_cache` from DESIGN.md section 3. */
export const MAX_CACHE_KEYS = 1000;
/** Redis keys may be 512 MB; a cache key name longer than this is a mistake. */
export const MAX_CACHE_KEY_LENGTH = 1024;
/** A raw task larger than this is refused before parsing (1 MiB). */
export const MAX_TASK_BYTES = 1024 * 1024;
/** Deepest nesting of arrays and objects a task may have. */
export const MAX_TASK_DEPTH = 16;
/** Problems listed in one validation message; the rest are counted. */
export const MAX_ISSUES = 10;
/** Characters of an unknown field's name that a message quotes. */
const MAX_SHOWN_NAME = 40;

const UUID_PATTERN =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
/** What a task id may look like (also used to keep ids of invalid tasks). */
export const TASK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** True when `value` is `YYYY-MM-DD` and names a day that exists. */
export function isCalendarDate(value: string): boolean {
  const match = DATE_PATTERN.exec(value);
  if (!match) return false;

  const [year, month, day] = match.slice(1).map(Number) as [
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day
  );
}

const envelope = {
  id: z
    .string({ error: "must be a string" })
    .regex(
      TASK_ID_PATTERN,
      "must be 1-128 letters, digits, '_', '.', ':' or '-'",
    )
    .optional(),
  encolada_en: z.iso
    .datetime({ offset: true, error: "must be an ISO-8601 time" })
    .optional(),
  intentos: z
    .number({ error: "must be a whole number from 0 to 1000" })
    .int({ error: "must be a whole number from 0 to 1000" })
    .min(0, "must be a whole number from 0 to 1000")
    .max(1000, "must be a whole number from 0 to 1000")
    .optional(),
};

/** Says "is required" for a missing value and "must be a string" otherwise. */
const stringError = (issue: { input?: unknown }) =>
  issue.input === undefined ? "is required" : "must be a string";

const ticketIdSchema = z
  .string({ error: stringError })
  .regex(UUID_PATTERN, "must be a UUID");

const fechaSchema = z
  .string({ error: stringError })
  .regex(DATE_PATTERN, { message: "must be a date as YYYY-MM-DD", abort: true })
  .refine(isCalendarDate, "is not a real calendar date");

const claveSchema = z
  .string({ error: stringError })
  .min(1, "must not be empty")
  // Any byte is legal in a Redis key, '*' and spaces included (deleted
  // literally); control characters (C0, DEL, C1) only come from broken
  // producers.
  .regex(/^[^\x00-\x1f\x7f-\x9f]*$/, "must not contain control characters")
  .max(MAX_CACHE_KEY_LENGTH, `must be at most ${MAX_CACHE_KEY_LENGTH} chars`);

export const notificarTicketCreadoSchema = z.strictObject({
  tipo: z.literal("notificar_ticket_creado"),
  ticket_id: ticketIdSchema,
  ...envelope,
});

export const procesarTicketsVencidosSchema = z.strictObject({
  tipo: z.literal("procesar_tickets_vencidos"),
  ...envelope,
});

export const generarReporteSchema = z.strictObject({
  tipo: z.literal("generar_reporte"),
  fecha: fechaSchema,
  ...envelope,
});

export const limpiarCacheSchema = z.strictObject({
  tipo: z.literal("limpiar_cache"),
  claves: z
    .array(claveSchema, {
      error: (issue) =>
        issue.input === undefined
          ? "is required"
          : "must be an array of key names",
    })
    .min(1, "must list at least one key")
    .max(MAX_CACHE_KEYS, `must list at most ${MAX_CACHE_KEYS} keys`),
  ...envelope,
});

/** Every known tipo, mapped to its schema. */
export const taskSchemas = {
  notificar_ticket_creado: notificarTicketCreadoSchema,
  procesar_tickets_vencidos: procesarTicketsVencidosSchema,
  generar_reporte: generarReporteSchema,
  limpiar_cache: limpiarCacheSchema,
} as const;

export type Tipo = keyof typeof taskSchemas;
export const TIPOS = Object.keys(taskSchemas) as Tipo[];

export type NotificarTicketCreado = z.infer<typeof notificarTicketCreadoSchema>;
export type ProcesarTicketsVencidos = z.infer<
  typeof procesarTicketsVencidosSchema
>;
export type GenerarReporte = z.infer<typeof generarReporteSchema>;
export type LimpiarCache = z.infer<typeof limpiarCacheSchema>;
export type Task =
  | NotificarTicketCreado
  | ProcesarTicketsVencidos
  | GenerarReporte
  | LimpiarCache;

/** A task that passed validation, with the id it will be recorded under. */
export type ValidTask = Task & { id: string };

/** Why a task is invalid: one `path: message` per problem. */
export class TaskValidationError extends Error {
  readonly issues: string[];

  constructor(issues: string[]) {
    super(issues.join("; "));
    this.name = "TaskValidationError";
    this.issues = issues;
  }
}

/** True when `value` names a known tipo (own key only: not `__proto__`). */
export function isTipo(value: unknown): value is Tipo {
  return typeof value === "string" && Object.hasOwn(taskSchemas, value);
}

/**
 * A field name as messages show it: plain names as they are, any other
 * (spaces, newlines, control characters, 10,000 characters) quoted as JSON,
 * cut and escaped, so that a message stays one short line.
 */
function fieldName(key: PropertyKey): string {
  const text = String(key);
  if (/^[A-Za-z0-9_]{1,64}$/.test(text)) return text;
  const cut =
    text.length > MAX_SHOWN_NAME ? `${text.slice(0, MAX_SHOWN_NAME)}…` : text;
  return printable(JSON.stringify(cut));
}

const dedupe = (lines: string[]) => [...new Set(lines)];

/** `claves.3: must not be empty`, one line per problem, at most MAX_ISSUES. */
function formatIssues(error: z.ZodError): string[] {
  // One line per distinct problem: 1e308 fails both .int() and .max().
  const lines = dedupe(
    error.issues.map((issue) => {
      const path = issue.path.length
        ? issue.path.map(fieldName).join(".")
        : "task";
      if (issue.code !== "unrecognized_keys")
        return `${path}: ${issue.message}`;

      const [first, ...others] = issue.keys.map(fieldName);
      if (others.length === 0) return `${first}: unknown field`;
      const shown = others.slice(0, MAX_ISSUES - 1).join(", ");
      const more = others.length > MAX_ISSUES - 1 ? ", ..." : "";
      return `${first}: unknown field (and ${others.length} more: ${shown}${more})`;
    }),
  );
  if (lines.length <= MAX_ISSUES) return lines;
  const hidden = lines.length - MAX_ISSUES;
  return [...lines.slice(0, MAX_ISSUES), `task: ${hidden} more problems`];
}

/**
 * Validates a decoded task against the schema of its `tipo`.
 * Returns the typed task; throws TaskValidationError naming each bad field.
 */
export function validateTask(value: unknown): Task {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TaskValidationError(["task: must be a JSON object"]);
  }

  const tipo = (value as { tipo?: unknown }).tipo;
  if (tipo === undefined) throw new TaskValidationError(["tipo: is required"]);
  if (!isTipo(tipo)) {
    const shown =
      typeof tipo === "string"
        ? printable(JSON.stringify(tipo.slice(0, MAX_SHOWN_NAME)))
        : typeof tipo;
    const known = TIPOS.join(", ");
    throw new TaskValidationError([
      `tipo: unknown tipo ${shown} (known: ${known})`,
    ]);
  }

  const result = taskSchemas[tipo].safeParse(value);
  if (!result.success)
    throw new TaskValidationError(formatIssues(result.error));
  return result.data;
}

/**
 * Decodes the text of a queue entry (or of `enqueue --json`) into a value.
 * Throws TaskValidationError when it is too large, carries bytes that were
 * not UTF-8 (decoded as U+FFFD), or is not JSON. A leading BOM is not JSON.
 */
export function decodeTaskText(raw: string): unknown {
  // A UTF-16 code unit is at most 3 bytes of UTF-8: most tasks need no count.
  const mayBeTooLarge = raw.length * 3 > MAX_TASK_BYTES;
  if (mayBeTooLarge && Buffer.byteLength(raw) > MAX_TASK_BYTES) {
    throw new TaskValidationError([
      `task: is larger than ${MAX_TASK_BYTES} bytes`,
    ]);
  }
  if (isBytesEntry(raw) || raw.includes("\uFFFD")) {
    throw new TaskValidationError(["task: is not valid UTF-8"]);
  }
  // A value nested thousands deep parses, but overflows the stack of every
  // later JSON.stringify (of the failure record, too): refuse it first.
  if (nestingDepth(raw) > MAX_TASK_DEPTH) {
    throw new TaskValidationError([
      `task: is nested deeper than ${MAX_TASK_DEPTH} levels`,
    ]);
  }
  try {
    return JSON.parse(raw);
  } catch (error) {
    // V8 quotes a piece of the input, which may hold control characters.
    const reason = printable((error as Error).message.split("\n")[0]!);
    throw new TaskValidationError([`task: is not valid JSON (${reason})`]);
  }
}

/** Deepest bracket nesting of JSON text, ignoring brackets in strings. */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** Decodes and validates the text of a queue entry. */
export function parseTask(raw: string): Task {
  return validateTask(decodeTaskText(raw));
}

/** Gives a task an id and an enqueue time when it has none. */
export function stampTask<T extends Task>(
  task: T,
  now = new Date(),
): T & { id: string; encolada_en: string } {
  return {
    ...task,
    id: task.id ?? randomUUID(),
    encolada_en: task.encolada_en ?? now.toISOString(),
  };
}
