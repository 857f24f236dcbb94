/**
 * What `batchctl doctor` asks Redis: is it there, how fast, which version,
 * and may it evict the queue's keys.
 */
import type { QueueContext } from "./operations.js";
import { slotOf } from "./slots.js";

/** Policies under which Redis never evicts keys (DESIGN.md: it must not). */
const SAFE_POLICIES = ["noeviction"];
/** Round trips timed; the median is reported. */
const PINGS = 5;

/** What `inspectRedis` found. */
export interface RedisHealth {
  /** Median PING round trip, ms. */
  latency_ms: number;
  /** `redis_version` from INFO, when readable. */
  version: string | null;
  /** `maxmemory-policy`; null when CONFIG GET is not allowed. */
  maxmemory_policy: string | null;
  /** True when that policy may evict queue keys (unknown: false). */
  may_evict: boolean;
  /**
   * On a Redis Cluster: `cluster_state` (`ok` when every slot is served),
   * the masters, each with its `maxmemory-policy` (null when refused),
   * and the hash slot of the queue's keys. `maxmemory_policy` above is
   * then the first policy that may evict, else the common one.
   */
  cluster?: {
    state: string | null;
    slot: number | null;
    masters: {
      node: string;
      maxmemory_policy: string | null;
      /** Why the policy could not be read (refused, unreachable). */
      error?: string;
    }[];
  };
}

/**
 * Pings Redis a few times and reads its version and eviction policy.
 * Throws ConnectionError (from the transport) when Redis cannot be reached.
 * Managed services often refuse CONFIG; that is reported as null.
 */
export async function inspectRedis(ctx: QueueContext): Promise<RedisHealth> {
  const { transport } = ctx;
  const times: number[] = [];
  for (let i = 0; i < PINGS; i++) {
    const started = performance.now();
    await transport.command("PING");
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);

  const info = await transport
    .command<string>("INFO", "server")
    .catch(() => "");
  const version = /redis_version:([^\r\n]+)/.exec(String(info))?.[1] ?? null;
  const latency_ms = times[Math.floor(times.length / 2)] ?? 0;
  if (transport.eachMaster) return inspectCluster(ctx, latency_ms, version);
  const policy = await transport
    .command<unknown>("CONFIG", "GET", "maxmemory-policy")
    .then(configValue)
    .catch(() => null);

  return {
    latency_ms,
    version,
    maxmemory_policy: policy,
    may_evict: mayEvict(policy),
  };
}

const mayEvict = (policy: string | null) =>
  policy !== null && !SAFE_POLICIES.includes(policy);

/**
 * The cluster part of inspectRedis: cache keys live on every master, so
 * each one's eviction policy counts, not only the queue's slot owner's.
 */
async function inspectCluster(
  ctx: QueueContext,
  latency_ms: number,
  version: string | null,
): Promise<RedisHealth> {
  const { transport } = ctx;
  const eachMaster = transport.eachMaster!.bind(transport);
  const info = await transport
    .command<string>("CLUSTER", "INFO")
    .catch(() => "");
  const state = /cluster_state:([^\r\n]+)/.exec(String(info))?.[1] ?? null;
  const replies = await eachMaster("CONFIG", "GET", "maxmemory-policy");
  const masters = replies
    .map(({ node, reply, error }) =>
      error
        ? { node, maxmemory_policy: null, error: error.message }
        : { node, maxmemory_policy: configValue(reply) },
    )
    .sort((a, b) => a.node.localeCompare(b.node));
  const policies = masters.map((m) => m.maxmemory_policy);
  const unsafe = policies.find(mayEvict);
  const policy =
    unsafe ?? (policies.includes(null) ? null : (policies[0] ?? null));

  return {
    latency_ms,
    version,
    maxmemory_policy: policy,
    may_evict: unsafe !== undefined,
    cluster: { state, slot: slotOf(ctx.keys.pending) ?? null, masters },
  };
}

/** CONFIG GET replies `[name, value]` (RESP2) or `{name: value}`. */
function configValue(reply: unknown): string | null {
  if (Array.isArray(reply))
    return reply[1] === undefined ? null : String(reply[1]);
  if (reply && typeof reply === "object") {
    const value = Object.values(reply)[0];
    return value === undefined ? null : String(value);
  }
  return null;
}
