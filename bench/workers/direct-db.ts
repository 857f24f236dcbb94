/**
 * The database-bound baseline: the SQL that batchctl sends for a
 * `notificar_ticket_creado` task, called directly through a pg pool of
 * `concurrency` connections by as many loops, with no queue at all.
 *
 *   node --import tsx bench/workers/direct-db.ts <databaseUrl> <concurrency> <idsFile> [warmup] [prepared]
 *
 * `idsFile` holds one ticket id per line; the first `warmup` calls are not
 * timed. With `prepared`, the call is a named prepared statement, as
 * batchctl sends it by default (BATCH_PG_PREPARE). Prints one JSON line,
 * `{"t0":ms,"t1":ms,"calls":n,"failed":n}`
 * (epoch ms of the first timed call and of the last reply; timed calls).
 */
import { readFile } from "node:fs/promises";
import pg from "pg";
import { buildFunctionCall } from "../../src/db/function-call.js";

const [url, concurrencyArg, idsFile] = process.argv.slice(2);
if (!url || !concurrencyArg || !idsFile) {
  process.stderr.write(
    "usage: direct-db.ts <databaseUrl> <concurrency> <idsFile>\n",
  );
  process.exit(2);
}
const concurrency = Number(concurrencyArg);
const warmup = Number(process.argv[5] ?? 0);
const isPrepared = process.argv[6] === "prepared";
const ids = (await readFile(idsFile, "utf8")).split("\n").filter(Boolean);
const sql = buildFunctionCall("batch.notificar_ticket_creado", 1);
const name = isPrepared ? "direct_notificar" : undefined;
const pool = new pg.Pool({ connectionString: url, max: concurrency });

let next = 0;
let failed = 0;
let t0 = Date.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < ids.length) {
      if (next === warmup) t0 = Date.now();
      const id = ids[next++];
      await pool.query({ name, text: sql, values: [id] }).catch(() => failed++);
    }
  }),
);
const t1 = Date.now();
await pool.end();
process.stdout.write(
  `${JSON.stringify({ t0, t1, calls: ids.length - warmup, failed })}\n`,
);
