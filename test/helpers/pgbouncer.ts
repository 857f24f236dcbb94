/**
 * A private PgBouncer in front of the test PostgreSQL server, in
 * transaction mode: each transaction may run on another server session,
 * which is what breaks named prepared statements.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PG_ADMIN_URL } from "./pg.js";
import { freePort } from "./redis-server.js";

/** Where Debian's package puts it; `.ci/run` installs it when missing. */
const PGBOUNCER = "/usr/sbin/pgbouncer";

/** True when the pgbouncer binary is installed. */
export const hasPgbouncer =
  spawnSync(PGBOUNCER, ["--version"], { stdio: "ignore" }).status === 0;

/** A running PgBouncer. */
export interface PrivateBouncer {
  port: number;
  /** `url` with PgBouncer's host and port instead of the server's. */
  urlFor(url: string): string;
  /** Stops it and deletes its directory. Never throws. */
  destroy(): Promise<void>;
}

/** Options of `startPgbouncer`. */
export interface BouncerOptions {
  /** Logins it trusts. */
  users: string[];
  /** Most server sessions per database and user. */
  serverPoolSize: number;
  /**
   * Lets logins carry statement_timeout, as pg's do (default true, as
   * the README tells); false is PgBouncer's own default.
   */
  ignoresTimeout?: boolean;
}

/** Starts PgBouncer in transaction mode on a free port. */
export async function startPgbouncer(
  opts: BouncerOptions,
): Promise<PrivateBouncer> {
  const { users, serverPoolSize, ignoresTimeout = true } = opts;
  const server = new URL(PG_ADMIN_URL);
  const dir = await mkdtemp(join(tmpdir(), "batchctl-pgbouncer-"));
  const port = await freePort();
  const authFile = join(dir, "users.txt");
  await writeFile(authFile, users.map((u) => `"${u}" ""\n`).join(""));
  await writeFile(
    join(dir, "pgbouncer.ini"),
    [
      "[databases]",
      `* = host=${server.hostname} port=${server.port || 5432}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${authFile}`,
      "pool_mode = transaction",
      `default_pool_size = ${serverPoolSize}`,
      // pg sends statement_timeout at login; PgBouncer refuses what it
      // does not know unless told to ignore it (as the README says).
      ignoresTimeout ? "ignore_startup_parameters = statement_timeout" : "",
      `logfile = ${join(dir, "pgbouncer.log")}`,
      "",
    ].join("\n"),
  );

  // PgBouncer refuses to run as root: as root (CI), it becomes the
  // postgres user, who must be able to write its log here.
  const asUser = process.getuid?.() === 0 ? ["-u", "postgres"] : [];
  if (asUser.length > 0) await chmod(dir, 0o777);
  const args = [...asUser, join(dir, "pgbouncer.ini")];
  const child: ChildProcess = spawn(PGBOUNCER, args, { stdio: "ignore" });
  await waitForPort(port, child);
  return {
    port,
    urlFor(url) {
      const through = new URL(url);
      through.hostname = "127.0.0.1";
      through.port = String(port);
      return through.toString();
    },
    async destroy() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves once `port` accepts connections; rejects if `child` exits. */
async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) {
      throw new Error(`pgbouncer exited with ${child.exitCode}`);
    }
    const isOpen = await new Promise<boolean>((resolve) => {
      const socket = createConnection(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (isOpen) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`pgbouncer did not listen on ${port}`);
}
