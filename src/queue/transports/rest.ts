/**
 * The REST transport: Redis over HTTPS with a bearer token, in the
 * Upstash protocol (`POST /` one command, `/pipeline`, `/multi-exec`;
 * bodies `{"result": ...}` or `{"error": "..."}`).
 *
 * Why not @upstash/redis: its HTTP client (1.39) retries only when fetch
 * itself throws, never on 429 or 5xx; it drops the HTTP status, so a 401,
 * a 429, a 500 and a Redis error reply all become the same UpstashError
 * whose message embeds the whole command (task payloads, Lua source) and
 * would land in our logs; a plain AbortSignal makes a timed-out request
 * resolve with the string "Aborted" as if it were the reply; and its
 * pipeline has no generic command method, only typed per-command ones.
 * Its custom `Requester` hook would leave it only the JSON framing of one
 * command, so the few lines of protocol live here on Node's fetch instead.
 */
import { BatchError, ConnectionError, EXIT } from "../../common/errors.js";
import { urlHost } from "../../common/redact.js";
import type {
  Arg,
  Command,
  LuaScript,
  RedisTransport,
  TransportEvents,
} from "../transport.js";

/** Options of the REST transport. */
export interface RestTransportOptions extends TransportEvents {
  url: string;
  token: string;
  /**
   * true for the worker and the TUI: retry transient failures forever and
   * report onLost/onRestored. false for one-shot commands: a few attempts,
   * then ConnectionError (exit 3).
   */
  persistent: boolean;
  /** A request without an answer after this long is a transient failure. */
  timeoutMs?: number;
  /** Largest request body sent; larger ones fail before sending. */
  maxRequestBytes?: number;
}

/** Default request timeout. */
export const DEFAULT_REST_TIMEOUT_MS = 10_000;
/**
 * Upstash's "max request size" of its Free and Pay-as-you-go plans (10 MB);
 * it answers larger ones with `ERR max request size exceeded`.
 */
export const DEFAULT_MAX_REQUEST_BYTES = 10 * 1024 * 1024;
const TOO_LARGE_REPLY = /^ERR max request size exceeded/i;
/** Attempts of a one-shot command before it gives up (exit 3). */
const ONE_SHOT_ATTEMPTS = 3;
/** A persistent transport reports the outage after this many failures. */
const LOST_AFTER_ATTEMPTS = 3;
const BASE_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;
/** Longest wait a `Retry-After` header may ask for. */
const MAX_RETRY_AFTER_MS = 60_000;

/** A request that failed in a way worth retrying. */
interface Failure {
  failure: string;
  /** Wait at least this long before retrying (Retry-After). */
  delayMs: number;
  /** The server may have run it (timeout, 5xx, connection cut). */
  mayHaveRun: boolean;
}

/** A reply body of the protocol. */
interface Reply {
  result?: unknown;
  error?: string;
}

/** A Redis error reply (`ERR ...`, `NOSCRIPT ...`), as ioredis throws it. */
export class RestReplyError extends Error {
  override name = "ReplyError";
}

/** A request larger than the endpoint accepts (exit 1). */
export class RequestTooLargeError extends BatchError {
  constructor(message: string) {
    super(message, "too-large", EXIT.failed);
  }
}

/** A REST transport with a request counter. */
export interface RestTransport extends RedisTransport {
  readonly kind: "rest";
  stats(): { requests: number; uncertain: number };
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(1)} MiB`
    : `${Math.ceil(bytes / 1024)} KiB`;
}

function backoffMs(attempt: number): number {
  const ceiling = Math.min(
    BASE_BACKOFF_MS * 2 ** (attempt - 1),
    MAX_BACKOFF_MS,
  );
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function retryAfterMs(header: string | null): number {
  const seconds = Number(header);
  if (!header || !Number.isFinite(seconds) || seconds <= 0) return 0;
  return Math.min(seconds * 1000, MAX_RETRY_AFTER_MS);
}

/** The reason fetch failed, without the URL (it may carry secrets). */
function networkReason(error: unknown, timeoutMs: number): string {
  const err = error as {
    name?: string;
    message?: string;
    cause?: { code?: string; message?: string };
  };
  if (err.name === "TimeoutError") return `no answer within ${timeoutMs} ms`;
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(error);
}

/** Opens a REST transport; nothing is sent until the first command. */
export function createRestTransport(
  options: RestTransportOptions,
): RestTransport {
  const base = options.url.replace(/\/+$/, "");
  const target = urlHost(options.url);
  const timeoutMs = options.timeoutMs ?? DEFAULT_REST_TIMEOUT_MS;
  const maxBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const closing = new AbortController();
  let requests = 0;
  let uncertain = 0;
  let isDown = false;
  // Upstash's read-your-writes token: sent back so replicas stay in step.
  let syncToken = "";

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        closing.signal.removeEventListener("abort", done);
        resolve();
      }
      closing.signal.addEventListener("abort", done);
    });

  const closedError = () =>
    new ConnectionError(`Redis REST transport to ${target} is closed`);

  /** One HTTP exchange; returns the body, or a transient failure reason. */
  async function exchange(
    path: string,
    payload: string,
  ): Promise<{ body: unknown } | Failure> {
    requests++;
    let response: Response;
    try {
      response = await fetch(base + path, {
        method: "POST",
        headers: {
          authorization: `Bearer ${options.token}`,
          "content-type": "application/json",
          ...(syncToken ? { "upstash-sync-token": syncToken } : {}),
        },
        body: payload,
        signal: AbortSignal.any([
          AbortSignal.timeout(timeoutMs),
          closing.signal,
        ]),
      });
    } catch (error) {
      if (closing.signal.aborted) throw closedError();
      const failure = networkReason(error, timeoutMs);
      // Refused or unresolved: the request never left; anything else may
      // have run on the server before the answer was lost.
      const mayHaveRun = !/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN)$/.test(failure);
      return { failure, delayMs: 0, mayHaveRun };
    }

    const { status } = response;
    if (status === 401 || status === 403) {
      await response.body?.cancel();
      const refused = `refused the token (HTTP ${status})`;
      throw new ConnectionError(
        `Redis REST endpoint ${target} ${refused}: check REDIS_REST_TOKEN`,
      );
    }
    if (status === 413) {
      await response.body?.cancel();
      const size = formatBytes(Buffer.byteLength(payload));
      throw new RequestTooLargeError(
        `Redis REST endpoint ${target} refused a request of ${size} as too large (HTTP 413)`,
      );
    }
    if (status === 429 || status >= 500) {
      await response.body?.cancel();
      const delayMs = retryAfterMs(response.headers.get("retry-after"));
      const what =
        status === 429 ? "rate limited (HTTP 429)" : `HTTP ${status}`;
      return { failure: what, delayMs, mayHaveRun: status !== 429 };
    }

    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      if (closing.signal.aborted) throw closedError();
      const failure = networkReason(error, timeoutMs);
      return { failure, delayMs: 0, mayHaveRun: true };
    }
    try {
      syncToken = response.headers.get("upstash-sync-token") ?? syncToken;
      return { body: JSON.parse(text) };
    } catch {
      const what = `answered HTTP ${status} with a body that is not JSON`;
      throw new ConnectionError(
        `Redis REST endpoint ${target} ${what}: is REDIS_REST_URL right?`,
      );
    }
  }

  /** Sends one request, retrying transient failures; returns its body. */
  async function send(path: string, body: unknown): Promise<unknown> {
    if (closing.signal.aborted) throw closedError();
    const payload = JSON.stringify(body);
    const size = Buffer.byteLength(payload);
    if (size > maxBytes) {
      const limit = `the ${formatBytes(maxBytes)} limit of ${target}`;
      throw new RequestTooLargeError(
        `Redis REST request of ${formatBytes(size)} is over ${limit}; nothing was sent`,
      );
    }

    for (let attempt = 1; ; attempt++) {
      const outcome = await exchange(path, payload);
      if ("body" in outcome) {
        if (isDown) {
          isDown = false;
          options.onRestored?.();
        }
        return outcome.body;
      }
      if (outcome.mayHaveRun) uncertain++;
      if (!options.persistent && attempt >= ONE_SHOT_ATTEMPTS) {
        throw new ConnectionError(
          `cannot reach Redis at ${target} over REST: ${outcome.failure} (${attempt} attempts)`,
        );
      }
      if (options.persistent && attempt === LOST_AFTER_ATTEMPTS && !isDown) {
        isDown = true;
        options.onLost?.(outcome.failure);
      }
      await wait(Math.max(backoffMs(attempt), outcome.delayMs));
      if (closing.signal.aborted) throw closedError();
    }
  }

  // TODO: entries that are not UTF-8 (src/common/bytes.ts) are not
  // binary-safe here: JSON bodies carry text only, so such an entry comes
  // back altered and its in-flight copy cannot be removed by value. Reading
  // with `Upstash-Encoding: base64` would keep the bytes, but sending them
  // back needs a decoding step inside the Lua scripts; until then a
  // producer must push UTF-8 (JSON is) to a queue worked over REST.
  const toBody = (command: Command) => command.map(String);

  const replyOf = (reply: Reply): unknown => {
    if (reply.error !== undefined && TOO_LARGE_REPLY.test(reply.error)) {
      throw new RequestTooLargeError(
        `Redis REST endpoint ${target} refused a request as too large (${reply.error})`,
      );
    }
    if (reply.error !== undefined) throw new RestReplyError(reply.error);
    return reply.result ?? null;
  };

  const batch = async (path: string, commands: Command[]) => {
    if (commands.length === 0) return [];
    const replies = await send(path, commands.map(toBody));
    if (!Array.isArray(replies)) return [replyOf(replies as Reply)];
    return (replies as Reply[]).map(replyOf);
  };

  const command = async <T>(...cmd: Command): Promise<T> =>
    replyOf((await send("/", toBody(cmd))) as Reply) as T;

  return {
    kind: "rest",
    target,
    command,
    transaction: (commands) => batch("/multi-exec", commands),
    pipeline: (commands) => batch("/pipeline", commands),
    async script<T>(script: LuaScript, keys: string[], args: Arg[]) {
      try {
        return await command<T>(
          "EVALSHA",
          script.sha,
          keys.length,
          ...keys,
          ...args,
        );
      } catch (error) {
        if (!(error instanceof RestReplyError)) throw error;
        if (!error.message.startsWith("NOSCRIPT")) throw error;
      }
      return command<T>("EVAL", script.lua, keys.length, ...keys, ...args);
    },
    stats: () => ({ requests, uncertain }),
    async close() {
      closing.abort();
    },
  };
}
