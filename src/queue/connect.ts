/**
 * Picks and opens the transport the configuration asks for.
 */
import type { Config } from "../common/config.js";
import { createKeys } from "./keys.js";
import type { QueueContext } from "./operations.js";
import type { TransportEvents } from "./transport.js";
import { createClusterTransport } from "./transports/cluster.js";
import { createRestTransport } from "./transports/rest.js";
import { createTcpTransport } from "./transports/tcp.js";

/** Options of `connectQueue`. */
export interface ConnectOptions extends TransportEvents {
  /** Reconnect forever (worker, TUI) instead of failing fast (CLI). */
  persistent: boolean;
}

/**
 * Opens the transport of `config` (REST when `redisRest` is set, a
 * cluster when `redisCluster` is, else TCP) and returns it with the
 * queue's keys.
 */
export function connectQueue(
  config: Config,
  options: ConnectOptions,
): QueueContext {
  return {
    transport: openTransport(config, options),
    keys: createKeys(config.prefix),
  };
}

function openTransport(config: Config, options: ConnectOptions) {
  if (config.redisRest) {
    return createRestTransport({ ...config.redisRest, ...options });
  }
  if (config.redisCluster) {
    return createClusterTransport({ cluster: config.redisCluster, ...options });
  }
  return createTcpTransport({ url: config.redisUrl, ...options });
}
