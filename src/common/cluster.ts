/**
 * Redis Cluster settings: the node list of REDIS_CLUSTER_NODES and the
 * hash-tag rule the queue's prefix must follow on a cluster.
 */
import { ConfigError } from "./errors.js";
import { registerSecret } from "./redact.js";

/** Port of a node given without one. */
const DEFAULT_REDIS_PORT = 6379;

/** One startup node of the cluster. */
export interface ClusterNode {
  host: string;
  port: number;
}

/** How to reach a Redis Cluster; credentials and TLS apply to every node. */
export interface ClusterConfig {
  nodes: ClusterNode[];
  username: string | undefined;
  password: string | undefined;
  tls: boolean;
}

/**
 * Parses `host:port,host:port,...`; an entry may also be a `redis://` or
 * `rediss://` URL, to give the user, password or TLS that every node
 * shares. Throws ConfigError naming `name` (the variable or flag).
 */
export function parseClusterNodes(value: string, name: string): ClusterConfig {
  const entries = value
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  if (entries.length === 0) {
    throw new ConfigError(`${name}: must list host:port of at least one node`);
  }

  const urls = entries.map((entry) => nodeUrl(entry, name));
  for (const url of urls) registerSecret(url.password);
  const withUser = urls.filter((url) => url.username || url.password);
  const differ = withUser.some(
    (url) =>
      url.username !== withUser[0]!.username ||
      url.password !== withUser[0]!.password,
  );
  if (differ) {
    throw new ConfigError(
      `${name}: the nodes give different credentials; a cluster has one user and password`,
    );
  }
  const tls = urls.map((url) => url.protocol === "rediss:");
  if (tls.some((isTls) => isTls !== tls[0])) {
    throw new ConfigError(
      `${name}: mixes redis:// and rediss:// nodes; use TLS for all or none`,
    );
  }

  const [user] = withUser;
  return {
    nodes: urls.map((url) => ({
      host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: url.port === "" ? DEFAULT_REDIS_PORT : Number(url.port),
    })),
    username: user?.username ? decodeURIComponent(user.username) : undefined,
    password: user?.password ? decodeURIComponent(user.password) : undefined,
    tls: tls[0] ?? false,
  };
}

function nodeUrl(entry: string, name: string): URL {
  const text = entry.includes("://") ? entry : `redis://${entry}`;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    // Reported below, without echoing what may hold a password.
  }
  const isRedis = url?.protocol === "redis:" || url?.protocol === "rediss:";
  // A path would be a database number, which a cluster does not have.
  const isNode =
    url !== undefined &&
    url.hostname !== "" &&
    ["", "/"].includes(url.pathname);
  if (!url || !isRedis || !isNode) {
    throw new ConfigError(
      `${name}: each node must be host:port (or redis://host:port), separated by commas`,
    );
  }
  return url;
}

/**
 * The hash tag Redis Cluster hashes `key` by: the text between the first
 * `{` and the first `}` after it, when not empty; undefined otherwise (the
 * whole key is hashed).
 */
export function hashTagOf(key: string): string | undefined {
  const open = key.indexOf("{");
  if (open < 0) return undefined;
  const close = key.indexOf("}", open + 1);
  if (close <= open + 1) return undefined;
  return key.slice(open + 1, close);
}

/**
 * Why `prefix` cannot serve a queue on a Redis Cluster, with the prefix to
 * use instead; undefined when it can. Scripts, MULTI and BLMOVE act on
 * several keys of the queue at once, which a cluster allows only within
 * one hash slot, so the prefix itself must carry a hash tag.
 */
export function clusterPrefixIssue(
  prefix: string,
): { reason: string; fixed: string } | undefined {
  if (hashTagOf(prefix) !== undefined) return undefined;
  const fixed = `{${prefix.replace(/[{}]/g, "")}}`;
  return {
    reason:
      "has no hash tag; on a Redis Cluster every key of the queue must hash " +
      "to one slot (scripts, MULTI and BLMOVE use several keys at once)",
    fixed,
  };
}
