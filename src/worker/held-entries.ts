/**
 * The entries of a worker's in-flight list that its tasks own: one slot
 * per claimed task, from its claim until its outcome is written.
 *
 * Slots in an array, not a Map keyed by the entry: a Map that lives as
 * long as the worker is in V8's old generation, and each time its table
 * is rebuilt (adds and deletes leave holes that it reclaims every few
 * dozen tasks) the new table is allocated there too. At 27,000 tasks/s
 * that was most of the old generation's growth, so a full collection
 * every 0.6 s and pickup p99 of 8 ms instead of 3. Slots are reused, so
 * the arrays reach the most tasks held at once and stay there.
 */

/** The held entries of one worker. */
export interface HeldEntries {
  /** Holds `raw` for a claimed task; returns its slot. */
  hold(raw: string): number;
  /** The entry a slot holds. */
  entry(slot: number): string;
  /** Frees a slot once its task's outcome is written. */
  release(slot: number): void;
  /** How many slots hold each entry now (a copy). */
  counts(): Map<string, number>;
}

/** Creates an empty set of held entries. */
export function createHeldEntries(): HeldEntries {
  const entries: (string | undefined)[] = [];
  /** Free slots, a stack; typed, so that pushes and pops never allocate. */
  let free = new Int32Array(64);
  let freeCount = 0;

  return {
    hold(raw) {
      if (freeCount > 0) {
        const slot = free[--freeCount] as number;
        entries[slot] = raw;
        return slot;
      }
      entries.push(raw);
      return entries.length - 1;
    },
    entry(slot) {
      const raw = entries[slot];
      if (raw === undefined) throw new Error(`slot ${slot} holds no entry`);
      return raw;
    },
    release(slot) {
      if (entries[slot] === undefined) return;
      entries[slot] = undefined;
      if (freeCount === free.length) {
        const larger = new Int32Array(free.length * 2);
        larger.set(free);
        free = larger;
      }
      free[freeCount++] = slot;
    },
    counts() {
      const counts = new Map<string, number>();
      for (const raw of entries) {
        if (raw !== undefined) counts.set(raw, (counts.get(raw) ?? 0) + 1);
      }
      return counts;
    },
  };
}
