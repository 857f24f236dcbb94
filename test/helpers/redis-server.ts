/**
 * A private `redis-server` for tests that stop and restart Redis: its own
 * port and directory, append-only file on, so data survives a restart.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A running (or stopped) private server. */
export interface PrivateRedis {
  port: number;
  url: string;
  dir: string;
  /** True while the process runs. */
  readonly isRunning: boolean;
  /** Stops it with `signal` (SIGTERM: graceful, AOF flushed) and waits. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and directory; waits for PONG. */
  start(): Promise<void>;
  /** Stops it if running and deletes its directory. Never throws. */
  destroy(): Promise<void>;
}

/** Returns a TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** One command in RESP, so that any byte of an argument is safe. */
function resp(...args: string[]): string {
  const parts = args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`);
  return `*${args.length}\r\n${parts.join("")}`;
}

/**
 * Sends PING (after AUTH when `password` is set) over a raw socket; true
 * on `+PONG` (not while loading).
 */
function ping(port: number, password?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    let reply = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () =>
      socket.write((password ? resp("AUTH", password) : "") + resp("PING")),
    );
    socket.on("data", (data) => {
      reply += data.toString();
      if (reply.includes("+PONG")) done(true);
      else if (reply.includes("-")) done(false);
    });
  });
}

/**
 * Starts `redis-server` on a free port in a fresh temporary directory.
 * `fsyncAlways` makes every write durable before its reply, so even
 * SIGKILL loses nothing that was acknowledged. `password` turns on
 * `requirepass`; `url` then carries it (no quotes or spaces: redis-server
 * reads its arguments as a config line).
 */
export async function startPrivateRedis(
  opts: { fsyncAlways?: boolean; password?: string } = {},
): Promise<PrivateRedis> {
  const dir = await mkdtemp(join(tmpdir(), "batchctl-redis-"));
  const port = await freePort();
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    "yes",
    "--appendfsync",
    opts.fsyncAlways ? "always" : "everysec",
    "--daemonize",
    "no",
    "--loglevel",
    "warning",
    ...(opts.password ? ["--requirepass", opts.password] : []),
  ];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async () => {
    if (child) throw new Error("private redis already running");
    const proc = spawn("redis-server", args, { stdio: "ignore" });
    child = proc;
    exited = new Promise((resolve) => proc.once("exit", () => resolve()));
    void exited.then(() => {
      if (child === proc) child = undefined;
    });
    const deadline = Date.now() + 10_000;
    while (!(await ping(port, opts.password))) {
      if (!child) throw new Error(`redis-server on port ${port} exited`);
      if (Date.now() > deadline)
        throw new Error(`redis-server ${port}: no PONG`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (!child) return;
    child.kill(signal);
    await exited;
  };

  await start();
  const auth = opts.password ? `:${encodeURIComponent(opts.password)}@` : "";
  return {
    port,
    url: `redis://${auth}127.0.0.1:${port}`,
    dir,
    get isRunning() {
      return child !== undefined;
    },
    stop,
    start,
    async destroy() {
      await stop("SIGKILL").catch(() => undefined);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}
