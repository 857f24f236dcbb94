/**
 * Imported first by the binary, for its side effect: caps how far V8 lets
 * the old generation grow past what survived the last full collection.
 *
 * Left to itself, V8 lets a worker that allocates as fast as this one grow
 * the old generation to several times its live size (the first limit is
 * about four times what module loading left), so the peak RSS would depend
 * on how long the worker had run. At 50% it stays within 20% from 10,000
 * to 1,000,000 tasks (bench/, scenario 4) for a few more milliseconds of
 * collection per second. Set before anything else loads: set later, the
 * first limit is already drawn with V8's own factor, and a long queue's
 * first second peaked 20 MB higher.
 */
import { setFlagsFromString } from "node:v8";

/** Percent of the live size the old generation may grow by. */
export const HEAP_GROWING_PERCENT = 50;

setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
