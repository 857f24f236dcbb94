/**
 * What `batchctl doctor` asks Redis: is it there, how fast, which version,
 * and may it evict the queue's keys.
 */
import type { QueueContext } from "./operations.js";

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
  const policy = await transport
    .command<unknown>("CONFIG", "GET", "maxmemory-policy")
    .then(configValue)
    .catch(() => null);

  return {
    latency_ms: times[Math.floor(times.length / 2)] ?? 0,
    version,
    maxmemory_policy: policy,
    may_evict: policy !== null && !SAFE_POLICIES.includes(policy),
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
