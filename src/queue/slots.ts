/**
 * Keys in several hash slots: a Redis Cluster refuses a multi-key command
 * whose keys hash to different slots (CROSSSLOT), so such commands are
 * sent once per slot.
 */
import calculateSlot from "cluster-key-slot";
import { hashTagOf } from "../common/cluster.js";
import type { RedisTransport } from "./transport.js";

/**
 * The Redis Cluster hash slot of `key`, or undefined for a key whose first
 * braces are empty with a `}` later on (such as `{}{a}x`): Redis hashes
 * that whole key, while cluster-key-slot would hash `{a` alone.
 */
export function slotOf(key: string): number | undefined {
  const tag = hashTagOf(key);
  if (tag !== undefined) return calculateSlot(tag);
  const open = key.indexOf("{");
  const isMisread =
    open >= 0 && key[open + 1] === "}" && key.includes("}", open + 2);
  return isMisread ? undefined : calculateSlot(key);
}

/**
 * `names` in groups whose keys share a hash slot, each in the order given;
 * a key whose slot slotOf cannot tell is a group of its own.
 */
export function groupBySlot(names: string[]): string[][] {
  const bySlot = new Map<number, string[]>();
  const alone: string[][] = [];
  for (const name of names) {
    const slot = slotOf(name);
    const group = slot === undefined ? undefined : bySlot.get(slot);
    if (slot === undefined) alone.push([name]);
    else if (group) group.push(name);
    else bySlot.set(slot, [name]);
  }
  return [...bySlot.values(), ...alone];
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

  const counts = await Promise.all(
    groupBySlot(names).map((group) =>
      transport.command<number>("UNLINK", ...group),
    ),
  );
  return counts.reduce((sum, n) => sum + Number(n), 0);
}
