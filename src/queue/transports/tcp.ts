/**
 * The TCP transport: ioredis to one Redis server.
 */
import { Redis, type RedisOptions } from "ioredis";
import { urlHost } from "../../common/redact.js";
import type { RedisTransport, TransportEvents } from "../transport.js";
import { createIoredisTransport } from "./ioredis.js";

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
export const MAX_RECONNECT_DELAY_MS = 2000;
/** One-shot commands give up after this many reconnection attempts. */
export const ONE_SHOT_RECONNECTS = 2;
export const CONNECT_TIMEOUT_MS = 3000;

/** Opens an ioredis-backed transport (connects on first command). */
export function createTcpTransport(
  options: TcpTransportOptions,
): RedisTransport {
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
  let isDown = false;
  let uncertain = 0;
  let isClosed = false;
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
    // A server that went away and is back before the first reconnection
    // attempt raises no error; the drop is still an outage to report.
    if (wasConnected && !isDown && !isClosed) {
      isDown = true;
      options.onLost?.("connection closed");
    }
    wasConnected = false;
  });
  client.on("ready", () => {
    wasConnected = true;
    if (!isDown) return;
    isDown = false;
    options.onRestored?.();
  });

  const transport = createIoredisTransport({
    kind: "tcp",
    target: urlHost(options.url),
    client,
    openBlocking() {
      const blocking = client.duplicate();
      // Outages are reported once, by the main connection's listener.
      blocking.on("error", () => undefined);
      return blocking;
    },
    uncertain: () => uncertain,
    lastError: () => lastError,
    credentialsFrom: "REDIS_URL or --redis-url",
  });
  return {
    ...transport,
    close() {
      isClosed = true;
      return transport.close();
    },
  };
}
