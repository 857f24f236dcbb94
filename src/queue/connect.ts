/**
 * Picks and opens the transport the configuration asks for.
 */
import type { Config } from "../common/config.js";
import { ConfigError } from "../common/errors.js";
import { createKeys } from "./keys.js";
import type { QueueContext } from "./operations.js";
import type { TransportEvents } from "./transport.js";
import { createTcpTransport } from "./transports/tcp.js";

/** Options of `connectQueue`. */
export interface ConnectOptions extends TransportEvents {
  /** Reconnect forever (worker, TUI) instead of failing fast (CLI). */
  persistent: boolean;
}

/** Opens the transport of `config` and returns it with the queue's keys. */
export function connectQueue(
  config: Config,
  options: ConnectOptions,
): QueueContext {
  if (config.redisRest) {
    // TODO: the REST transport (issue 5) is not built yet; until then a
    // REST-only Redis cannot be used, and we say so instead of guessing.
    throw new ConfigError(
      "REDIS_REST_URL: the REST transport is not available yet; unset it to use REDIS_URL",
    );
  }
  const transport = createTcpTransport({ url: config.redisUrl, ...options });
  return { transport, keys: createKeys(config.prefix) };
}
