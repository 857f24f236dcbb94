/**
 * The BullMQ worker of the bench: the same `limpiar_cache` work (one UNLINK
 * of the job's keys, returning how many existed) with BullMQ's defaults,
 * the retry settings being the job's (added by the bench: 5 attempts,
 * exponential backoff).
 *
 *   node --import tsx bench/workers/bullmq.ts <redisUrl> <prefix> <queue> <concurrency>
 *
 * Prints `ready` once connected. On SIGTERM it closes the worker and
 * prints one JSON line: `{"pickup_ms":[[n, ms], ...]}`: for each job, the
 * number in its id (`t-<n>`) and the time from its creation by the
 * producer (job.timestamp) to the processor's start.
 */
import { Redis } from "ioredis";
import { Worker, type Job } from "bullmq";

const [url, prefix, queue, concurrencyArg] = process.argv.slice(2);
if (!url || !prefix || !queue || !concurrencyArg) {
  process.stderr.write(
    "usage: bullmq.ts <redisUrl> <prefix> <queue> <concurrency>\n",
  );
  process.exit(2);
}
const { hostname, port } = new URL(url);
const connection = {
  host: hostname,
  port: Number(port),
  maxRetriesPerRequest: null,
};
const cache = new Redis(url);
const pickup: [number, number][] = [];

const worker = new Worker(
  queue,
  async (job: Job<{ id: string; claves: string[] }>) => {
    pickup.push([Number(job.data.id.slice(2)), Date.now() - job.timestamp]);
    const borradas = await cache.unlink(...job.data.claves);
    return { claves: job.data.claves.length, borradas };
  },
  { connection, prefix, concurrency: Number(concurrencyArg) },
);
worker.on("error", (error) =>
  process.stderr.write(`bullmq: ${error.message}\n`),
);

process.once("SIGTERM", () => {
  void (async () => {
    try {
      await worker.close();
      await cache.quit();
    } finally {
      process.stdout.write(`${JSON.stringify({ pickup_ms: pickup })}\n`);
    }
  })();
});
await worker.waitUntilReady();
process.stdout.write("ready\n");
