/**
 * The TCP transport: ioredis. A second connection is opened lazily for the
 * blocking fetch, since BLMOVE holds its connection until it returns.
 */
import { Redis, type RedisOptions } from "ioredis";
import { entryFromBytes, entryToWire } from "../../common/bytes.js";
import { ConnectionError, BatchError } from "../../common/errors.js";
import { urlHost } from "../../common/redact.js";
import type {
  Arg,
  Command,
  LuaScript,
  RedisTransport,
  TransportEvents,
} from "../transport.js";

/** Options of the TCP transport. */
export interface TcpTransportOptions extends TransportEvents {
  url: string;
  /**
   * true for the worker and the TUI: reconnect forever and hold commands
   * until Redis is back. false for one-shot commands: fail fast (exit 3).
   */
  persistent: boolean;
}

/** Longest wait between reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 2000;
/** One-shot commands give up after this many reconnection attempts. */
const ONE_SHOT_RECONNECTS = 2;
const CONNECT_TIMEOUT_MS = 3000;
/**
 * Replies that refuse the login: a wrong password or user, none given to
 * a server that wants one, or one given to a server that has none.
 */
const AUTH_REFUSED = new RegExp(
  "^(WRONGPASS|NOAUTH|ERR invalid password" +
    "|ERR AUTH <password> called without any password configured" +
    "|ERR Client sent AUTH, but no password is set)",
);

function isConnectionFailure(error: Error): boolean {
  const code = (error as { code?: string }).code ?? "";
  return (
    ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND"].includes(
      code,
    ) ||
    error.name === "MaxRetriesPerRequestError" ||
    /Connection is closed|Stream isn't writeable|connect ETIMEDOUT/.test(
      error.message,
    )
  );
}

/** Arguments as sent: marked entries back to their original bytes. */
const wire = (args: Arg[]) =>
  args.map((arg) => (typeof arg === "string" ? entryToWire(arg) : arg));

/** A reply read as bytes, with every string in it (nested too) decoded. */
function entriesFromBytes(reply: unknown): unknown {
  if (Buffer.isBuffer(reply)) return entryFromBytes(reply);
  return Array.isArray(reply) ? reply.map(entriesFromBytes) : reply;
}

/** Opens an ioredis-backed transport (connects on first command). */
export function createTcpTransport(
  options: TcpTransportOptions,
): RedisTransport {
  const target = urlHost(options.url);
  const redisOptions: RedisOptions = {
    lazyConnect: false,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: options.persistent ? null : 1,
    enableAutoPipelining: false,
    retryStrategy: (times) => {
      if (!options.persistent && times > ONE_SHOT_RECONNECTS) return null;
      return Math.min(times * 100, MAX_RECONNECT_DELAY_MS);
    },
  };
  const client = new Redis(options.url, redisOptions);
  let blocking: Redis | undefined;
  let isDown = false;
  let uncertain = 0;
  let isClosed = false;
  let requests = 0;
  /** The connection's own last failure: what a user should be told. */
  let lastError: string | undefined;

  client.on("error", (error: Error) => {
    lastError = error.message;
    if (isDown || isClosed) return;
    isDown = true;
    options.onLost?.(error.message);
  });
  // ioredis resends what a lost connection left unanswered; a claim may
  // thus have run twice, so every reconnection counts as uncertain and the
  // worker looks for tasks in its in-flight list that no slot holds.
  let wasConnected = false;
  client.on("close", () => {
    if (wasConnected) uncertain++;
    wasConnected = false;
  });
  client.on("ready", () => {
    wasConnected = true;
    if (!isDown) return;
    isDown = false;
    options.onRestored?.();
  });

  const translate = (error: unknown): Error => {
    if (!(error instanceof Error)) return new Error(String(error));
    if (error instanceof BatchError) return error;
    const refusal = AUTH_REFUSED.exec(error.message);
    if (refusal) {
      const check = "check the password in REDIS_URL or --redis-url";
      return new ConnectionError(
        `Redis at ${target} refused the login (${refusal[1]}): ${check}`,
      );
    }
    if (isConnectionFailure(error)) {
      // ioredis's "max retries per request" names its own option, not why.
      const why =
        error.name === "MaxRetriesPerRequestError" && lastError
          ? lastError
          : error.message;
      return new ConnectionError(`cannot reach Redis at ${target}: ${why}`);
    }
    return error;
  };

  const run = async <T>(promise: Promise<T>): Promise<T> => {
    requests++;
    try {
      return await promise;
    } catch (error) {
      throw translate(error);
    }
  };

  const execAll = async (
    commands: Command[],
    atomic: boolean,
  ): Promise<unknown[]> => {
    if (commands.length === 0) return [];
    // ioredis batches take method names, which are lower case.
    const calls = commands.map(([name, ...args]) => [
      name.toLowerCase(),
      ...wire(args),
    ]);
    const batch = atomic ? client.multi(calls) : client.pipeline(calls);
    const replies = await run(batch.exec());
    if (replies === null) throw new Error("Redis transaction was aborted");
    return replies.map(([error, reply]) => {
      if (error) throw translate(error);
      return reply;
    });
  };

  return {
    kind: "tcp",
    target,
    command: <T>(...[name, ...args]: Command) =>
      run(client.call(name, ...wire(args)) as Promise<T>),
    transaction: (commands) => execAll(commands, true),
    pipeline: (commands) => execAll(commands, false),
    async script<T>(script: LuaScript, keys: string[], args: Arg[]) {
      requests++;
      const sent = wire(args);
      const decode = (reply: unknown) =>
        (script.returnsEntries ? entriesFromBytes(reply) : reply) as T;
      const call = (name: string, body: string) =>
        script.returnsEntries
          ? client.callBuffer(name, body, keys.length, ...keys, ...sent)
          : client.call(name, body, keys.length, ...keys, ...sent);
      try {
        return decode(await call("EVALSHA", script.sha));
      } catch (error) {
        if (!String((error as Error).message).startsWith("NOSCRIPT")) {
          throw translate(error);
        }
      }
      return decode(await run(call("EVAL", script.lua)));
    },
    async blockingMove(source, destination, timeoutSeconds) {
      if (!blocking) {
        blocking = client.duplicate();
        // Outages are reported once, by the main connection's listener.
        blocking.on("error", () => undefined);
      }
      const reply = await run(
        blocking.blmoveBuffer(
          source,
          destination,
          "LEFT",
          "RIGHT",
          timeoutSeconds,
        ),
      );
      return reply ? entryFromBytes(reply) : null;
    },
    interruptBlocking() {
      // Disconnecting is the only way to end a BLMOVE early; a task it had
      // already moved stays in the in-flight list and is returned at exit.
      blocking?.disconnect();
      blocking = undefined;
    },
    stats: () => ({ requests, uncertain }),
    async close() {
      if (isClosed) return;
      isClosed = true;
      blocking?.disconnect();
      await client.quit().catch(() => client.disconnect());
    },
  };
}
