/**
 * A corpus of bad queue entries. Each must end in `P:fallidas` with class
 * `validacion` and a message naming `field`; `batchctl enqueue --json`
 * must refuse each with exit 2 and the same message.
 *
 * Not in here on purpose: cache keys with `*`, `?`, `[`, spaces or SQL
 * text. Redis keys may hold any byte and DESIGN.md says `limpiar_cache`
 * deletes exactly the keys named, never a pattern, so those are valid
 * tasks that delete one literal key each (see LITERAL_KEYS below).
 */

/** One bad entry: `raw` is pushed as is (a Buffer for non-UTF-8 bytes). */
export interface BadTask {
  name: string;
  raw: string | Buffer;
  /** What the failure message must start with (before `:` or `.N:`). */
  field: string;
}

/** The longest failure message a bad entry may produce: one short line. */
export const MAX_MESSAGE_LENGTH = 1000;

const UUID = "7f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b";
const SQL = "'; DROP TABLE tickets.tickets; --";

const json = (value: unknown) => JSON.stringify(value);
const notificar = (fields: object) =>
  json({ tipo: "notificar_ticket_creado", ...fields });
const reporte = (fields: object) =>
  json({ tipo: "generar_reporte", ...fields });
const cache = (fields: object) => json({ tipo: "limpiar_cache", ...fields });

function nested(depth: number): string {
  return `{"tipo":"generar_reporte","fecha":${"[".repeat(depth)}${"]".repeat(depth)}}`;
}

const notJson: BadTask[] = [
  ["empty string", ""],
  ["plain text", "procesar tickets"],
  ["truncated object", '{"tipo":"limpiar_cache"'],
  ["single quotes", "{'tipo':'procesar_tickets_vencidos'}"],
  ["trailing comma", '{"tipo":"procesar_tickets_vencidos",}'],
  ["BOM before the object", '\uFEFF{"tipo":"procesar_tickets_vencidos"}'],
  [
    "leading zeros in a number",
    '{"tipo":"procesar_tickets_vencidos","intentos":007}',
  ],
  ["NaN literal", '{"tipo":"procesar_tickets_vencidos","intentos":NaN}'],
  ["two objects", '{"tipo":"procesar_tickets_vencidos"}{"tipo":"x"}'],
  ["a comment", '{"tipo":"procesar_tickets_vencidos"} // hola'],
  // Found by hardening: the TCP transport's mark for non-UTF-8 entries
  // was NUL + "bytes:"; a producer's entry starting so was recorded
  // never, its in-flight copy looked for under other bytes, and `work
  // --drain` never ended.
  ["a forged byte mark", "\u0000bytes:aGVsbG8="],
  ["a NUL before the object", '\u0000{"tipo":"procesar_tickets_vencidos"}'],
  ["escape codes outside strings", '\u001b[2J{"tipo":"x"}'],
].map(([name, raw]) => ({ name: name!, raw: raw!, field: "task" }));

const notUtf8: BadTask[] = [
  {
    name: "invalid UTF-8 outside strings",
    raw: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
    field: "task",
  },
  {
    name: "invalid UTF-8 inside a key name",
    raw: Buffer.concat([
      Buffer.from('{"tipo":"limpiar_cache","claves":["clave'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"]}'),
    ]),
    field: "task",
  },
];

const tooBig: BadTask[] = [
  {
    name: "10 MB task",
    raw: cache({ claves: ["x".repeat(10 * 1024 * 1024)] }),
    field: "task",
  },
  { name: "nesting 100,000 deep", raw: nested(100_000), field: "task" },
];

const notObject: BadTask[] = [
  ["an array", "[]"],
  ["an array of a task", '[{"tipo":"procesar_tickets_vencidos"}]'],
  ["a string", '"procesar_tickets_vencidos"'],
  ["a number", "42"],
  ["null", "null"],
  ["true", "true"],
].map(([name, raw]) => ({ name: name!, raw: raw!, field: "task" }));

const tipo: BadTask[] = [
  ["unknown tipo", json({ tipo: "borrar_todo" })],
  ["tipo missing", json({ fecha: "2024-01-15" })],
  ["tipo null", json({ tipo: null })],
  ["tipo a number", json({ tipo: 3 })],
  ["tipo empty", json({ tipo: "" })],
  ["tipo in capitals", json({ tipo: "LIMPIAR_CACHE", claves: ["a"] })],
  ["tipo with a space", json({ tipo: "limpiar_cache ", claves: ["a"] })],
  ["tipo with SQL", json({ tipo: `limpiar_cache${SQL}`, claves: ["a"] })],
  // Found by hardening: these reached the day's stats hash as field names
  // (`__proto__` then polluted Object.prototype in `stats` and the TUI),
  // and the escape codes reached the terminal through `ls`.
  ["tipo __proto__", json({ tipo: "__proto__" })],
  ["tipo toString", json({ tipo: "toString" })],
  ["tipo with escape codes", json({ tipo: "\u001b]0;pwned\u0007\u001b[2J" })],
  ["tipo with a C1 control", json({ tipo: "\u009b31mred" })],
  ["tipo of 10,000 chars", json({ tipo: "t".repeat(10_000) })],
  ["tipo an object", json({ tipo: { tipo: "limpiar_cache" } })],
].map(([name, raw]) => ({ name: name!, raw: raw!, field: "tipo" }));

const ticketId: BadTask[] = [
  ["ticket_id missing", notificar({})],
  ["ticket_id null", notificar({ ticket_id: null })],
  ["ticket_id a number", notificar({ ticket_id: 42 })],
  ["ticket_id with leading zeros", notificar({ ticket_id: "000042" })],
  ["ticket_id an array", notificar({ ticket_id: [UUID] })],
  ["ticket_id an object", notificar({ ticket_id: { id: UUID } })],
  ["ticket_id not a UUID", notificar({ ticket_id: "ticket-1" })],
  ["ticket_id with SQL", notificar({ ticket_id: `${UUID}${SQL}` })],
  ["ticket_id with a newline", notificar({ ticket_id: `${UUID}\n` })],
].map(([name, raw]) => ({ name: name!, raw: raw!, field: "ticket_id" }));

const fecha: BadTask[] = [
  ["fecha missing", reporte({})],
  ["fecha null", reporte({ fecha: null })],
  ["fecha a number", reporte({ fecha: 20240115 })],
  ["fecha 2024-02-30", reporte({ fecha: "2024-02-30" })],
  ["fecha 2023-02-29", reporte({ fecha: "2023-02-29" })],
  ["fecha 2024-13-01", reporte({ fecha: "2024-13-01" })],
  ["fecha 2024-00-10", reporte({ fecha: "2024-00-10" })],
  ["fecha 2024-1-5", reporte({ fecha: "2024-1-5" })],
  ["fecha 15/01/2024", reporte({ fecha: "15/01/2024" })],
  ["fecha with a time", reporte({ fecha: "2024-01-15T00:00:00Z" })],
  ["fecha with SQL", reporte({ fecha: `2024-01-15${SQL}` })],
  ["fecha an array", reporte({ fecha: ["2024-01-15"] })],
].map(([name, raw]) => ({ name: name!, raw: raw!, field: "fecha" }));

const claves: BadTask[] = [
  ["claves missing", cache({})],
  ["claves null", cache({ claves: null })],
  ["claves a string", cache({ claves: "ticket:1" })],
  ["claves empty", cache({ claves: [] })],
  ["claves of numbers", cache({ claves: [1, 2] })],
  ["claves with null", cache({ claves: ["a", null] })],
  ["claves with an empty key", cache({ claves: [""] })],
  ["claves with a newline", cache({ claves: ["ticket:1\nticket:2"] })],
  ["claves with a NUL", cache({ claves: ["ticket:1\u0000"] })],
  ["claves with a tab", cache({ claves: ["ticket:\t1"] })],
  ["a key of 1,025 chars", cache({ claves: ["k".repeat(1025)] })],
  [
    "1,001 keys",
    cache({ claves: Array.from({ length: 1001 }, (_, i) => `k${i}`) }),
  ],
  [
    "10,000 keys",
    cache({ claves: Array.from({ length: 10_000 }, (_, i) => `k${i}`) }),
  ],
  ["claves with a C1 control", cache({ claves: ["ticket:\u00851"] })],
  ["claves with an escape code", cache({ claves: ["\u001b[2Jticket:1"] })],
  ["claves an object", cache({ claves: { 0: "ticket:1" } })],
  // Found by hardening: one issue per key made a 30 KB one-line message.
  [
    "1,000 empty keys",
    cache({ claves: Array.from({ length: 1000 }, () => "") }),
  ],
].map(([name, raw]) => ({ name: name!, raw: raw!, field: "claves" }));

const extra: BadTask[] = [
  [
    "extra field on vencidos",
    json({ tipo: "procesar_tickets_vencidos", x: 1 }),
    "x",
  ],
  [
    "fecha on vencidos",
    json({ tipo: "procesar_tickets_vencidos", fecha: "2024-01-15" }),
    "fecha",
  ],
  ["extra field on reporte", reporte({ fecha: "2024-01-15", sql: SQL }), "sql"],
  [
    "extra field on notificar",
    notificar({ ticket_id: UUID, ticket: UUID }),
    "ticket",
  ],
  ["extra field on cache", cache({ claves: ["a"], patron: "*" }), "patron"],
  // Found by hardening: unknown field names went into the message raw
  // (a newline split the one-line error, escape codes reached the
  // terminal) and all of them (10,000 fields: a 68 KB message).
  [
    "extra field named with a newline",
    json({ tipo: "procesar_tickets_vencidos", "a\nb": 1 }),
    '"a\\nb"',
  ],
  [
    "extra field named with escape codes",
    json({ tipo: "procesar_tickets_vencidos", "\u001b[2J": 1 }),
    '"\\u001b[2J"',
  ],
  [
    "extra field __proto__",
    '{"tipo":"procesar_tickets_vencidos","__proto__":{"x":1}}',
    "__proto__",
  ],
  [
    "extra field constructor",
    json({ tipo: "procesar_tickets_vencidos", constructor: { prototype: 1 } }),
    "constructor",
  ],
  [
    "10,000 extra fields",
    json({
      tipo: "procesar_tickets_vencidos",
      ...Object.fromEntries(
        Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]),
      ),
    }),
    "k0",
  ],
].map(([name, raw, field]) => ({ name: name!, raw: raw!, field: field! }));

const envelope: BadTask[] = [
  ["id a number", json({ tipo: "procesar_tickets_vencidos", id: 42 }), "id"],
  ["id empty", json({ tipo: "procesar_tickets_vencidos", id: "" }), "id"],
  [
    "id with SQL",
    json({ tipo: "procesar_tickets_vencidos", id: `a${SQL}` }),
    "id",
  ],
  [
    "id with spaces",
    json({ tipo: "procesar_tickets_vencidos", id: "a b" }),
    "id",
  ],
  [
    "id of 200 chars",
    json({ tipo: "procesar_tickets_vencidos", id: "a".repeat(200) }),
    "id",
  ],
  [
    "intentos negative",
    json({ tipo: "procesar_tickets_vencidos", intentos: -1 }),
    "intentos",
  ],
  [
    "intentos a string",
    json({ tipo: "procesar_tickets_vencidos", intentos: "1" }),
    "intentos",
  ],
  [
    "intentos huge",
    json({ tipo: "procesar_tickets_vencidos", intentos: 1e308 }),
    "intentos",
  ],
  [
    "intentos a fraction",
    json({ tipo: "procesar_tickets_vencidos", intentos: 1.5 }),
    "intentos",
  ],
  [
    "encolada_en not a date",
    json({ tipo: "procesar_tickets_vencidos", encolada_en: "ayer" }),
    "encolada_en",
  ],
  [
    "encolada_en a number",
    json({ tipo: "procesar_tickets_vencidos", encolada_en: 1700000000 }),
    "encolada_en",
  ],
  ["id null", json({ tipo: "procesar_tickets_vencidos", id: null }), "id"],
  [
    "id with a newline",
    json({ tipo: "procesar_tickets_vencidos", id: "a\nb" }),
    "id",
  ],
  [
    "intentos null",
    json({ tipo: "procesar_tickets_vencidos", intentos: null }),
    "intentos",
  ],
  [
    "intentos 1e400",
    '{"tipo":"procesar_tickets_vencidos","intentos":1e400}',
    "intentos",
  ],
  [
    "encolada_en null",
    json({ tipo: "procesar_tickets_vencidos", encolada_en: null }),
    "encolada_en",
  ],
  [
    "encolada_en with SQL",
    json({
      tipo: "procesar_tickets_vencidos",
      encolada_en: `2024-01-15T00:00:00Z${SQL}`,
    }),
    "encolada_en",
  ],
  [
    "encolada_en 2024-02-30",
    json({
      tipo: "procesar_tickets_vencidos",
      encolada_en: "2024-02-30T00:00:00Z",
    }),
    "encolada_en",
  ],
].map(([name, raw, field]) => ({ name: name!, raw: raw!, field: field! }));

export const BAD_TASKS: BadTask[] = [
  ...notJson,
  ...notUtf8,
  ...tooBig,
  ...notObject,
  ...tipo,
  ...ticketId,
  ...fecha,
  ...claves,
  ...extra,
  ...envelope,
];

/** Valid cache keys that look dangerous; each is deleted literally. */
export const LITERAL_KEYS = [
  "cache:*",
  "cache:?",
  "cache:[ab]",
  "cache:with spaces",
  `cache:${SQL}`,
  "cache:ñandú",
];
