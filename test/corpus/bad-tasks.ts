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
  /** What the failure message must start with: `field:`. */
  field: string;
}

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
