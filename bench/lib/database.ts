/**
 * The bench's own PostgreSQL database, set up as a user would: the built
 * `batchctl db setup --demo` with DATABASE_URL_ADMIN / DATABASE_URL_BATCH
 * pointing at it. Dropped at the end.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import pg from "pg";
import { CLI } from "./child.js";

/** Superuser URL of the server (trust auth): BENCH_PG_URL or the tests' one. */
const SERVER_URL =
  process.env.BENCH_PG_URL ??
  process.env.TEST_PG_URL ??
  "postgres://postgres@127.0.0.1:5432/postgres";
/** The batch role the bench's workers connect as. */
const BATCH_ROLE = "batchctl_bench";

/** A set-up bench database. */
export interface BenchDatabase {
  adminUrl: string;
  /** Connects as the batch role: EXECUTE on the functions only. */
  batchUrl: string;
  /** Inserts `count` tickets; returns their ids. */
  addTickets(count: number): Promise<string[]>;
  /**
   * Deletes every notification, so that each run inserts them anew, and
   * checkpoints: no run shares its seconds with a checkpoint of the
   * run before, and each starts writing whole pages to the WAL alike.
   */
  clearNotifications(): Promise<void>;
  drop(): Promise<void>;
}

function urlFor(database: string, user: string): string {
  const url = new URL(SERVER_URL);
  url.username = user;
  url.pathname = `/${database}`;
  return url.toString();
}

async function asAdmin<T>(url: string, fn: (c: pg.Client) => Promise<T>) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates `batchctl_bench_<pid>` with `batchctl db setup --demo`. */
export async function setupBenchDatabase(): Promise<BenchDatabase> {
  const name = `batchctl_bench_${process.pid}`;
  const adminUrl = urlFor(name, new URL(SERVER_URL).username);
  const batchUrl = urlFor(name, BATCH_ROLE);
  const drop = () =>
    asAdmin(SERVER_URL, async (client) => {
      await client.query(
        `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`,
      );
    });
  try {
    await promisify(execFile)(
      process.execPath,
      [CLI, "db", "setup", "--demo", "--json"],
      {
        env: {
          PATH: process.env.PATH,
          DATABASE_URL_ADMIN: adminUrl,
          DATABASE_URL_BATCH: batchUrl,
        },
      },
    );
  } catch (error) {
    // The setup may have created the database before failing.
    await drop().catch(() => undefined);
    throw error;
  }

  return {
    adminUrl,
    batchUrl,
    addTickets: (count) =>
      asAdmin(adminUrl, async (client) => {
        const result = await client.query<{ id: string }>(
          `INSERT INTO tickets.tickets (titulo)
           SELECT 'bench ' || g FROM generate_series(1, $1) AS g
           RETURNING id`,
          [count],
        );
        return result.rows.map((row) => row.id);
      }),
    clearNotifications: () =>
      asAdmin(adminUrl, async (client) => {
        await client.query("TRUNCATE tickets.notificaciones");
        await client.query("CHECKPOINT");
      }),
    drop,
  };
}
