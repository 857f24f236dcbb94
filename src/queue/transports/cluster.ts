/**
 * The cluster transport: an ioredis `Cluster`. Every key of the queue
 * shares the prefix's hash tag (checked when the configuration is read),
 * so its scripts, transactions, pipelines and BLMOVE each go to the one
 * node that owns that slot; keyless commands go to any node, and
 * `eachMaster` asks every master.
 */
import { Cluster, type ClusterOptions, type Redis } from "ioredis";
import type { ClusterConfig } from "../../common/cluster.js";
import { ConnectionError, toError } from "../../common/errors.js";
import type { Command, RedisTransport, TransportEvents } from "../transport.js";
import { createIoredisTransport, isConnectionFailure } from "./ioredis.js";
import {
  CONNECT_TIMEOUT_MS,
  MAX_RECONNECT_DELAY_MS,
  ONE_SHOT_RECONNECTS,
} from "./tcp.js";

/** Options of the cluster transport. */
export interface ClusterTransportOptions extends TransportEvents {
  cluster: ClusterConfig;
  /**
   * true for the worker and the TUI: reconnect forever, holding commands
   * while no node answers. false for one-shot commands: fail fast (exit 3).
   */
  persistent: boolean;
}

/**
 * While a master is down or the cluster is not ok, ioredis retries a
 * command after this delay, up to PERSISTENT_REDIRECTIONS times (about a
 * minute): the worker and the TUI then wait for the cluster as they wait
 * for a single Redis, instead of failing every timer's command each second.
 */
const PERSISTENT_RETRY_DELAY_MS = 500;
const PERSISTENT_REDIRECTIONS = 120;

/** Opens a transport over a Redis Cluster (connects at once). */
export function createClusterTransport(
  options: ClusterTransportOptions,
): RedisTransport {
  const { cluster } = options;
  const target = cluster.nodes
    .map(
      ({ host, port }) => `${host.includes(":") ? `[${host}]` : host}:${port}`,
    )
    .join(",");
  const clusterOptions: ClusterOptions = {
    enableOfflineQueue: true,
    // ioredis's ready check refuses a cluster whose cluster_state is not
    // ok and reports it as "None of startup nodes is available"; without
    // it, commands get Redis's own CLUSTERDOWN reply (retried, then an
    // error that says so) and doctor can show the cluster's state.
    enableReadyCheck: false,
    ...(options.persistent
      ? {
          maxRedirections: PERSISTENT_REDIRECTIONS,
          retryDelayOnClusterDown: PERSISTENT_RETRY_DELAY_MS,
          retryDelayOnFailover: PERSISTENT_RETRY_DELAY_MS,
          retryDelayOnTryAgain: PERSISTENT_RETRY_DELAY_MS,
        }
      : {}),
    clusterRetryStrategy: (times) => {
      if (!options.persistent && times > ONE_SHOT_RECONNECTS) return null;
      return Math.min(times * 100, MAX_RECONNECT_DELAY_MS);
    },
    redisOptions: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      username: cluster.username,
      password: cluster.password,
      tls: cluster.tls ? {} : undefined,
    },
  };
  const client = new Cluster(cluster.nodes, clusterOptions);
  let isDown = false;
  let isClosed = false;
  let uncertain = 0;

  let lastError: string | undefined;
  const lost = (error: Error & { lastNodeError?: Error }) => {
    // "Failed to refresh slots cache" carries the last node's own answer;
    // a closed connection says less than the refusal that closed it.
    const message = (error.lastNodeError ?? error).message;
    if (!message.startsWith("Connection is closed")) lastError = message;
    if (isDown || isClosed) return;
    isDown = true;
    options.onLost?.(error.message);
  };
  client.on("error", lost);
  client.on("node error", lost);
  // A node connection that drops makes ioredis send its unanswered
  // commands again once the slots are refreshed: like a TCP reconnection,
  // each such drop counts as uncertain (see RedisTransport.stats).
  let isInterrupting = false;
  const countDrops = (node: Redis, isExpected: () => boolean) => {
    let wasReady = false;
    node.on("ready", () => (wasReady = true));
    node.on("close", () => {
      if (wasReady && !isClosed && !isExpected()) uncertain++;
      wasReady = false;
    });
  };
  client.on("+node", (node: Redis) => countDrops(node, () => false));

  const transport = createIoredisTransport({
    kind: "cluster",
    target,
    client,
    openBlocking() {
      isInterrupting = false;
      const blocking = new Cluster(cluster.nodes, clusterOptions);
      // Outages are reported once, by the main client's listeners.
      blocking.on("error", () => undefined);
      blocking.on("node error", () => undefined);
      blocking.on("+node", (node: Redis) =>
        countDrops(node, () => isInterrupting),
      );
      return blocking;
    },
    uncertain: () => uncertain,
    credentialsFrom: "REDIS_CLUSTER_NODES or --redis-cluster-nodes",
    lastError: () => lastError,
    onReply() {
      // Nodes come and go without one "ready" for the whole cluster: the
      // first answer after a loss is what tells that Redis is back.
      if (!isDown || isClosed) return;
      isDown = false;
      options.onRestored?.();
    },
  });

  return {
    ...transport,
    interruptBlocking() {
      isInterrupting = true;
      transport.interruptBlocking?.();
    },
    async eachMaster<T>(...[name, ...args]: Command) {
      // The node list is known once the slots have been read.
      await transport.command("PING");
      const ask = async (node: Redis) => {
        const where = `${node.options.host}:${node.options.port}`;
        try {
          return { node: where, reply: (await node.call(name, ...args)) as T };
        } catch (error) {
          const failure = toError(error);
          const message = `cannot reach Redis at ${where}: ${failure.message}`;
          return {
            node: where,
            error: isConnectionFailure(failure)
              ? new ConnectionError(message)
              : failure,
          };
        }
      };
      return Promise.all(client.nodes("master").map(ask));
    },
    close() {
      isClosed = true;
      return transport.close();
    },
  };
}
