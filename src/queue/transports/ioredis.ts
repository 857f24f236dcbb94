/**
 * What the TCP and the cluster transports share: commands, batches,
 * scripts and the blocking move over an ioredis client, a single `Redis`
 * or a `Cluster` (which routes each command to the node of its key's
 * slot). A second client is opened lazily for the blocking fetch, since
 * BLMOVE holds its connection until it returns.
 */
import type { Cluster, Redis } from "ioredis";
import { entryFromBytes, entryToWire } from "../../common/bytes.js";
import { BatchError, ConnectionError } from "../../common/errors.js";
import type { Arg, Command, LuaScript, RedisTransport } from "../transport.js";

/** An ioredis client: one server or a cluster. */
export type IoredisClient = Redis | Cluster;

/** Options of `createIoredisTransport`. */
export interface IoredisTransportOptions {
  kind: "tcp" | "cluster";
  /** Where it connects, hosts only. */
  target: string;
  client: IoredisClient;
  /** Opens the blocking fetch's own client. */
  openBlocking(): IoredisClient;
  /** Reconnections so far that may have resent a command. */
  uncertain(): number;
  /** Called after every reply (the cluster reports a recovery there). */
  onReply?(): void;
  /** The connection's own last failure: what a user should be told. */
  lastError?(): string | undefined;
  /** Where to look when the login is refused, e.g. "REDIS_URL or --redis-url". */
  credentialsFrom: string;
}

const FAILURE_CODES = [
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
];
/** ioredis messages (and cluster replies) that mean "cannot reach Redis". */
const FAILURE_MESSAGES = new RegExp(
  [
    "Connection is closed",
    "Stream isn't writeable",
    "connect ETIMEDOUT",
    "None of startup nodes is available",
    "Failed to refresh slots cache",
    "Too many Cluster redirections",
    "^CLUSTERDOWN",
  ].join("|"),
);

/**
 * Replies that refuse the login: a wrong password or user, none given to
 * a server that wants one, or one given to a server that has none.
 */
const AUTH_REFUSED = new RegExp(
  "^(WRONGPASS|NOAUTH|ERR invalid password" +
    "|ERR AUTH <password> called without any password configured" +
    "|ERR Client sent AUTH, but no password is set)",
);

/** What a Cluster says when no startup node gave it the slots. */
const NO_STARTUP_NODE = "None of startup nodes is available";

/** A reply read as bytes, with every string in it (nested too) decoded. */
function entriesFromBytes(reply: unknown): unknown {
  if (Buffer.isBuffer(reply)) return entryFromBytes(reply);
  return Array.isArray(reply) ? reply.map(entriesFromBytes) : reply;
}

/** True when `error` says Redis could not be reached. */
export function isConnectionFailure(error: Error): boolean {
  const code = (error as { code?: string }).code ?? "";
  return (
    FAILURE_CODES.includes(code) ||
    error.name === "MaxRetriesPerRequestError" ||
    error.name === "ClusterAllFailedError" ||
    FAILURE_MESSAGES.test(error.message)
  );
}

/** Arguments as sent: marked entries back to their original bytes. */
const wire = (args: Arg[]) =>
  args.map((arg) => (typeof arg === "string" ? entryToWire(arg) : arg));

/** Builds a transport over `options.client`; closing quits both clients. */
export function createIoredisTransport(
  options: IoredisTransportOptions,
): RedisTransport {
  const { client, target } = options;
  let blocking: IoredisClient | undefined;
  /** Ends the pending blockingMove with null. */
  let interrupt: (() => void) | undefined;
  let isClosed = false;
  let requests = 0;

  const translate = (error: unknown): Error => {
    if (!(error instanceof Error)) return new Error(String(error));
    if (error instanceof BatchError) return error;
    // ioredis's "max retries per request" names its own option, and a
    // cluster's "none of startup nodes" hides each node's answer: the
    // connection's own last failure says why.
    const lastError = options.lastError?.();
    const isVague =
      error.name === "MaxRetriesPerRequestError" ||
      error.message === NO_STARTUP_NODE;
    const why = isVague && lastError ? lastError : error.message;
    const refusal = AUTH_REFUSED.exec(why);
    if (refusal) {
      const check = `check the password in ${options.credentialsFrom}`;
      return new ConnectionError(
        `Redis at ${target} refused the login (${refusal[1]}): ${check}`,
      );
    }
    if (isConnectionFailure(error)) {
      return new ConnectionError(`cannot reach Redis at ${target}: ${why}`);
    }
    return error;
  };

  const run = async <T>(promise: Promise<T>): Promise<T> => {
    requests++;
    try {
      const reply = await promise;
      options.onReply?.();
      return reply;
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
    kind: options.kind,
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
      // Each server (each cluster node) caches scripts on its own.
      try {
        const reply = await call("EVALSHA", script.sha);
        options.onReply?.();
        return decode(reply);
      } catch (error) {
        if (!String((error as Error).message).startsWith("NOSCRIPT")) {
          throw translate(error);
        }
      }
      return decode(await run(call("EVAL", script.lua)));
    },
    async blockingMove(source, destination, timeoutSeconds) {
      blocking ??= options.openBlocking();
      const moving = blocking.blmoveBuffer(
        source,
        destination,
        "LEFT",
        "RIGHT",
        timeoutSeconds,
      );
      // An interrupted move may still settle later, or (a Cluster whose
      // node died mid-move) never: its outcome no longer matters.
      moving.catch(() => undefined);
      const interrupted = new Promise<null>((resolve) => {
        interrupt = () => resolve(null);
      });
      const reply = await run(Promise.race([moving, interrupted]));
      return reply ? entryFromBytes(reply) : null;
    },
    interruptBlocking() {
      // Disconnecting is the only way to end a BLMOVE early; a task it had
      // already moved stays in the in-flight list and is returned at exit.
      interrupt?.();
      interrupt = undefined;
      blocking?.disconnect();
      blocking = undefined;
    },
    stats: () => ({ requests, uncertain: options.uncertain() }),
    async close() {
      if (isClosed) return;
      isClosed = true;
      blocking?.disconnect();
      // QUIT waits for a reconnection that may never come (a persistent
      // client queues commands while Redis is away): no connection, no QUIT.
      if (client.status !== "ready") return client.disconnect();
      await client.quit().catch(() => client.disconnect());
    },
  };
}
