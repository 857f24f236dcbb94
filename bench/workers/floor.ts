/**
 * The floor: the least Redis work that keeps batchctl's guarantees for a
 * `limpiar_cache` task, as a minimal loop of the bench's own.
 *
 * Each batch of up to `concurrency` tasks is moved by one script into an
 * in-flight list of its own (so a task is always in exactly one list),
 * the keys are deleted with one pipelined UNLINK per task (each task's own
 * count of keys that existed), and the batch is acknowledged by one
 * MULTI: one LPUSH of all its records, then the in-flight list deleted.
 * The acknowledgement and the claim of the next batch go out together
 * (pipelined), so a batch costs two round trips. It validates nothing,
 * retries nothing, logs nothing: only the Redis work is real.
 *
 *   node --import tsx bench/workers/floor.ts <redisUrl> <prefix> <concurrency>
 *
 * Keys: `<prefix>:procesar` (pending), `<prefix>:procesadas` (records),
 * `<prefix>:procesando:<n>` (one per batch). Exits once the queue is empty.
 */
import { Redis } from "ioredis";

const [url, prefix, concurrencyArg] = process.argv.slice(2);
if (!url || !prefix || !concurrencyArg) {
  process.stderr.write("usage: floor.ts <redisUrl> <prefix> <concurrency>\n");
  process.exit(2);
}
const concurrency = Number(concurrencyArg);
const pending = `${prefix}:procesar`;
const done = `${prefix}:procesadas`;
const worker = `floor-${process.pid}`;

const redis = new Redis(url);
redis.defineCommand("claimBatch", {
  numberOfKeys: 2,
  lua: `
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items == 0 then return items end
redis.call('LTRIM', KEYS[1], #items, -1)
redis.call('RPUSH', KEYS[2], unpack(items))
return items
`,
});
const claimBatch = (list: string) =>
  (
    redis as unknown as {
      claimBatch(a: string, b: string, n: number): Promise<string[]>;
    }
  ).claimBatch(pending, list, concurrency);

interface CacheTask {
  id: string;
  tipo: string;
  claves: string[];
  encolada_en?: string;
}

let batch = 0;
let list = `${prefix}:procesando:${worker}:${batch}`;
let raws = await claimBatch(list);
while (raws.length > 0) {
  const startedAt = Date.now();
  const tasks = raws.map((raw) => JSON.parse(raw) as CacheTask);
  const unlinks = redis.pipeline(
    tasks.map((task) => ["unlink", ...task.claves]),
  );
  const replies = (await unlinks.exec()) ?? [];
  const finishedAt = Date.now();
  const records = tasks.map((task, i) =>
    JSON.stringify({
      id: task.id,
      tipo: task.tipo,
      tarea: task,
      intentos: 1,
      encolada_en: task.encolada_en ?? null,
      iniciada_en: new Date(startedAt).toISOString(),
      terminada_en: new Date(finishedAt).toISOString(),
      duracion_ms: finishedAt - startedAt,
      worker,
      resultado: { claves: task.claves.length, borradas: replies[i]?.[1] },
    }),
  );
  const acked = redis
    .multi()
    .lpush(done, ...records)
    .del(list)
    .exec();
  list = `${prefix}:procesando:${worker}:${++batch}`;
  const next = claimBatch(list);
  await acked;
  raws = await next;
}
await redis.quit();
