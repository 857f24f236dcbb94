/**
 * Real PostgreSQL for tests: each test file gets its own database, set up
 * with the reference schema and the shared batch role, dropped at the end.
 */
import pg from "pg";
import { setupDatabase, type SetupReport } from "../../src/db/index.js";

/** Superuser URL of the test server (trust auth, no password). */
export const PG_ADMIN_URL =
  process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** Roles are cluster-wide, so every test database shares this one. */
export const TEST_BATCH_ROLE = "batchctl_test_batch";

/** A fresh database for one test file. */
export interface TestDatabase {
  /** Database name, `batchctl_t_<name>`. */
  name: string;
  /** Connects as the superuser. */
  adminUrl: string;
  /** Connects as the batch role, which may only execute the functions. */
  batchUrl: string;
  /** What `setupDatabase` reported when creating it. */
  report: SetupReport;
  /** Drops the database, ending any session still connected. */
  drop(): Promise<void>;
}

/** Returns `PG_ADMIN_URL` with another user and database. */
export function testUrl(database: string, user = "postgres"): string {
  const url = new URL(PG_ADMIN_URL);
  url.username = user;
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * Database name of a test file: `batchctl_t_<name>`, or
 * `batchctl_t_<TEST_DB_TAG>_<name>` so that two checkouts can run their
 * suites at once on one server.
 */
export function testDatabaseName(name: string): string {
  const tag = process.env.TEST_DB_TAG;
  return tag ? `batchctl_t_${tag}_${name}` : `batchctl_t_${name}`;
}

/**
 * Creates `testDatabaseName(name)` from scratch (dropping a leftover) with
 * `setupDatabase`, which also creates the database and the shared role.
 */
export async function createTestDatabase(
  name: string,
  opts: { demo?: boolean } = {},
): Promise<TestDatabase> {
  if (!/^[a-z0-9_]{1,40}$/.test(name))
    throw new Error(`bad test db name ${name}`);
  const database = testDatabaseName(name);
  await dropDatabase(database);

  const adminUrl = testUrl(database);
  const report = await setupDatabase({
    adminUrl,
    role: TEST_BATCH_ROLE,
    demo: opts.demo ?? false,
  });

  return {
    name: database,
    adminUrl,
    batchUrl: testUrl(database, TEST_BATCH_ROLE),
    report,
    drop: () => dropDatabase(database),
  };
}

/** Drops `database` if it exists, disconnecting its sessions first. */
export async function dropDatabase(database: string): Promise<void> {
  await withClient(PG_ADMIN_URL, (client) =>
    client.query(
      `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`,
    ),
  );
}

/** Connects one client to `url`, runs `fn`, and always disconnects. */
export async function withClient<T>(
  url: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = await connectClient(url);
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A connected client; the caller ends it. */
export async function connectClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => {
    // Tests that kill sessions see the failure on the pending query.
  });
  await client.connect();
  return client;
}

/** Runs one statement through anything that has `query`. */
export interface Queryable {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

/**
 * Everything `setupDatabase` defines, as sorted text lines: schemas,
 * relations, columns, constraints, indexes, functions (definition hash,
 * owner rights, ACL) and the role, so two snapshots compare with a diff.
 */
export async function catalogFingerprint(
  db: Queryable,
  role: string,
): Promise<string[]> {
  const { rows } = await db.query<{ line: string }>(FINGERPRINT_SQL, [role]);
  return rows.map((row) => row.line);
}

/** Row counts and a hash of every row of the ticket tables. */
export async function dataFingerprint(db: Queryable): Promise<unknown> {
  const { rows } = await db.query(DATA_SQL);
  return rows[0];
}

const SCHEMAS = "n.nspname IN ('tickets', 'batch')";

const FINGERPRINT_SQL = `
SELECT line FROM (
  SELECT 'schema ' || n.nspname || ' ' || coalesce(n.nspacl::text, '') AS line
  FROM pg_namespace n WHERE ${SCHEMAS}
  UNION ALL
  SELECT 'rel ' || c.oid::regclass || ' ' || c.relkind::text || ' '
    || coalesce(c.relacl::text, '')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE ${SCHEMAS}
  UNION ALL
  SELECT 'col ' || a.attrelid::regclass || '.' || a.attname || ' '
    || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull || ' '
    || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE ${SCHEMAS} AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'con ' || co.conrelid::regclass || ' ' || co.conname || ' '
    || pg_get_constraintdef(co.oid)
  FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace
  WHERE ${SCHEMAS}
  UNION ALL
  SELECT 'idx ' || pg_get_indexdef(i.indexrelid)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE ${SCHEMAS}
  UNION ALL
  SELECT 'fn ' || p.oid::regprocedure || ' ' || md5(pg_get_functiondef(p.oid))
    || ' ' || p.prosecdef || ' ' || coalesce(p.proconfig::text, '') || ' '
    || coalesce(p.proacl::text, '')
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE ${SCHEMAS}
  UNION ALL
  SELECT 'role ' || rolname || ' login=' || rolcanlogin || ' super=' || rolsuper
  FROM pg_roles WHERE rolname = $1
) s
ORDER BY line`;

const DATA_SQL = `
SELECT
  (SELECT count(*)::int FROM tickets.tickets) AS tickets,
  (SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), ''))
     FROM tickets.tickets t) AS tickets_hash,
  (SELECT count(*)::int FROM tickets.notificaciones) AS notificaciones,
  (SELECT count(*)::int FROM tickets.estadisticas_diarias) AS estadisticas`;
