/**
 * Keys in several hash slots: a Redis Cluster refuses a multi-key command
 * whose keys hash to different slots (CROSSSLOT), so such commands are
 * sent once per slot.
 */
import calculateSlot from "cluster-key-slot";
import type { RedisTransport } from "./transport.js";

/** The Redis Cluster hash slot of `key` (by its hash tag, if any). */
export function slotOf(key: string): number {
  return calculateSlot(key);
}

/** `names` grouped by hash slot, each group in the order given. */
export function groupBySlot(names: string[]): Map<number, string[]> {
  const groups = new Map<number, string[]>();
  for (const name of names) {
    const slot = slotOf(name);
    const group = groups.get(slot);
    if (group) group.push(name);
    else groups.set(slot, [name]);
  }
  return groups;
}

/**
 * Deletes exactly the keys `names` (UNLINK, never a pattern) and returns
 * how many existed. On a cluster it sends one UNLINK per hash slot, all at
 * once, and adds up the counts; the deletion is then atomic per slot only.
 * Throws what the transport throws; slots already done stay deleted.
 */
export async function unlinkKeys(
  transport: RedisTransport,
  names: string[],
): Promise<number> {
  if (names.length === 0) return 0;
  if (transport.kind !== "cluster") {
    return Number(await transport.command("UNLINK", ...names));
  }

  const groups = [...groupBySlot(names).values()];
  const counts = await Promise.all(
    groups.map((group) => transport.command<number>("UNLINK", ...group)),
  );
  return counts.reduce((sum, n) => sum + Number(n), 0);
}
