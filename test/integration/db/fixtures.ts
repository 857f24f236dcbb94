/**
 * Shared pieces of the function suites: the context a backend file hands
 * over, and small helpers to arrange tickets and catch task errors.
 */
import { expect } from "vitest";
import { TaskError } from "../../../src/common/errors.js";
import type { Database } from "../../../src/db/index.js";
import type { Queryable } from "../../helpers/pg.js";

/** What a backend file hands the suite, once its database is open. */
export interface SuiteContext {
  db: Database;
  admin: Queryable;
}

/** Inserts one ticket and returns its id. */
export async function insertTicket(
  admin: Queryable,
  fields: Record<string, unknown> = {},
): Promise<string> {
  const row = { titulo: "Test", ...fields };
  const columns = Object.keys(row);
  const params = columns.map((_, i) => `$${i + 1}`);
  const { rows } = await admin.query<{ id: string }>(
    `INSERT INTO tickets.tickets (${columns.join(", ")}) ` +
      `VALUES (${params.join(", ")}) RETURNING id`,
    Object.values(row),
  );
  return rows[0]!.id;
}

/** Rejection of `promise`, which must be a TaskError. */
export async function taskErrorOf(
  promise: Promise<unknown>,
): Promise<TaskError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TaskError);
  return err as TaskError;
}
