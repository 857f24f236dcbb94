/**
 * Small helpers for what commands print.
 */

/** `1 entry`, `3 entries`: a count with its noun in the right number. */
export function counted(n: number, singular: string, plural?: string): string {
  return `${n} ${n === 1 ? singular : (plural ?? `${singular}s`)}`;
}
