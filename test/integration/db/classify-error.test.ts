/**
 * classifyDbError on failures provoked for real: refused connections,
 * bad input, missing functions, timeouts, lock waits, serialization
 * failures and deadlocks.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskError } from "../../../src/common/errors.js";
import {
  classifyDbError,
  createDatabase,
  isConnectionFailure,
  type Database,
} from "../../../src/db/index.js";
import {
  connectClient,
  createTestDatabase,
  testUrl,
  type TestDatabase,
} from "../../helpers/pg.js";
import { insertTicket, taskErrorOf } from "./fixtures.js";

let testDb: TestDatabase;
let db: Database;
const clients: pg.Client[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase("classify");
  db = await createDatabase({ url: testDb.batchUrl, poolSize: 2 });
});

afterAll(async () => {
  await db?.close();
  await Promise.all(clients.map((client) => client.end().catch(() => {})));
  await testDb?.drop();
});

async function admin(): Promise<pg.Client> {
  const client = await connectClient(testDb.adminUrl);
  clients.push(client);
  return client;
}

/** The error `promise` rejects with, classified. */
async function classified(promise: Promise<unknown>): Promise<TaskError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeDefined();
  return classifyDbError(err);
}

describe("classifyDbError with a real server", () => {
  it("classes a refused connection as a transient connection failure", async () => {
    const away = await createDatabase({
      url: "postgres://postgres:s3cret-pw@127.0.0.1:1/x",
      poolSize: 1,
    });

    const err = await taskErrorOf(
      away.callFunction("batch.generar_reporte", []),
    );
    await away.close();

    expect(err.clase).toBe("transitorio");
    expect(err.codigo).toBe("connect_failed");
    expect(err.message).toContain("ECONNREFUSED");
    expect(isConnectionFailure(err)).toBe(true);
    expect(err.message).not.toContain("s3cret-pw");
  });

  it("classes bad input (22P02) as permanent", async () => {
    const err = await taskErrorOf(
      db.callFunction("batch.notificar_ticket_creado", ["not-a-uuid"]),
    );

    expect(err).toMatchObject({ clase: "permanente", codigo: "22P02" });
    expect(isConnectionFailure(err)).toBe(false);
  });

  it("classes a missing function (42883) as permanent", async () => {
    const err = await taskErrorOf(
      db.callFunction("batch.no_such_function", [1]),
    );

    expect(err).toMatchObject({ clase: "permanente", codigo: "42883" });
  });

  it("classes an unknown role (28000) as permanent, but a call refused at login as an outage", async () => {
    const url = testUrl(testDb.name, "batchctl_no_such_role");
    const client = new pg.Client({ connectionString: url });
    const raw = await client.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    const stranger = await createDatabase({ url, poolSize: 1 });

    const err = await taskErrorOf(stranger.callFunction("pg_catalog.now", []));
    await stranger.close();

    expect(classifyDbError(raw)).toMatchObject({
      clase: "permanente",
      codigo: "28000",
    });
    // The worker pauses on a refused login instead of failing every task.
    expect(err).toMatchObject({
      clase: "transitorio",
      codigo: "connect_failed",
    });
    expect(err.message).toContain("(28000)");
    expect(isConnectionFailure(err)).toBe(true);
  });

  it("classes a statement timeout (57014) as transient", async () => {
    const slow = await createDatabase({
      url: testDb.batchUrl,
      poolSize: 1,
      statementTimeoutMs: 50,
    });

    const err = await taskErrorOf(
      slow.callFunction("pg_catalog.pg_sleep", [2]),
    );
    await slow.close();

    expect(err).toMatchObject({ clase: "transitorio", codigo: "57014" });
    expect(isConnectionFailure(err)).toBe(false);
  });

  it("classes lock_not_available (55P03) as transient", async () => {
    const [holder, waiter] = [await admin(), await admin()];
    const id = await insertTicket(holder);
    await holder.query("BEGIN");
    await holder.query(
      "SELECT 1 FROM tickets.tickets WHERE id = $1 FOR UPDATE",
      [id],
    );

    await waiter.query("SET lock_timeout = '20ms'");
    const err = await classified(
      waiter.query("UPDATE tickets.tickets SET titulo = 'x' WHERE id = $1", [
        id,
      ]),
    );
    await holder.query("ROLLBACK");

    expect(err).toMatchObject({ clase: "transitorio", codigo: "55P03" });
  });

  it("classes a serialization failure (40001) as transient", async () => {
    const [reader, writer] = [await admin(), await admin()];
    const id = await insertTicket(reader);
    await reader.query("BEGIN ISOLATION LEVEL REPEATABLE READ");
    await reader.query("SELECT titulo FROM tickets.tickets WHERE id = $1", [
      id,
    ]);
    await writer.query(
      "UPDATE tickets.tickets SET titulo = 'w' WHERE id = $1",
      [id],
    );

    const err = await classified(
      reader.query("UPDATE tickets.tickets SET titulo = 'r' WHERE id = $1", [
        id,
      ]),
    );
    await reader.query("ROLLBACK");

    expect(err).toMatchObject({ clase: "transitorio", codigo: "40001" });
  });

  it("classes a deadlock (40P01) as transient", async () => {
    const [a, b] = [await admin(), await admin()];
    const first = await insertTicket(a);
    const second = await insertTicket(a);
    const update = "UPDATE tickets.tickets SET titulo = 'd' WHERE id = $1";
    for (const client of [a, b]) {
      await client.query("SET deadlock_timeout = '50ms'");
      await client.query("BEGIN");
    }
    await a.query(update, [first]);
    await b.query(update, [second]);

    // Each now waits for the other; PostgreSQL cancels one of them.
    const results = await Promise.allSettled([
      a.query(update, [second]),
      b.query(update, [first]),
    ]);
    await Promise.all([a.query("ROLLBACK"), b.query("ROLLBACK")]);

    const failures = results.filter((r) => r.status === "rejected");
    expect(failures).toHaveLength(1);
    const err = classifyDbError((failures[0] as PromiseRejectedResult).reason);
    expect(err).toMatchObject({ clase: "transitorio", codigo: "40P01" });
  });
});

describe("classifyDbError without a server", () => {
  it.each([
    [
      { code: "ECONNRESET", message: "read ECONNRESET" },
      "transitorio",
      "ECONNRESET",
    ],
    [{ code: "EPIPE", message: "write EPIPE" }, "transitorio", "EPIPE"],
    [
      new Error("Connection terminated unexpectedly"),
      "transitorio",
      "connection_terminated",
    ],
    [
      new Error("timeout exceeded when trying to connect"),
      "transitorio",
      "connect_timeout",
    ],
    [{ code: "08006", message: "connection failure" }, "transitorio", "08006"],
    [{ code: "53300", message: "too many clients" }, "transitorio", "53300"],
    [
      { code: "57P01", message: "terminating connection" },
      "transitorio",
      "57P01",
    ],
    [{ code: "23505", message: "duplicate key" }, "permanente", "23505"],
    [{ code: "2BP01", message: "dependent objects" }, "permanente", "2BP01"],
    [{ code: "P0002", message: "no data found" }, "permanente", "P0002"],
    [{ code: "XX000", message: "internal" }, "permanente", "XX000"],
    [new TypeError("boom"), "permanente", undefined],
  ])("classes %o", (input, clase, codigo) => {
    const err = classifyDbError(input);

    expect(err).toMatchObject({ clase, codigo });
  });

  it("finds the socket error inside an AggregateError", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED ::1:1"), {
      code: "ECONNREFUSED",
    });

    const err = classifyDbError(new AggregateError([refused], ""));

    expect(err).toMatchObject({ clase: "transitorio", codigo: "ECONNREFUSED" });
    expect(err.message).toBe("connect ECONNREFUSED ::1:1");
  });

  it("removes URL credentials from messages", () => {
    const err = classifyDbError(new Error("bad postgres://u:pw-123@h/db"));

    expect(err.message).toBe("bad postgres://***@h/db");
  });
});
