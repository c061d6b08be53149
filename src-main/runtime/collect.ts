/**
 * Garbage collection on demand, for the step loop's sake: ORT copies every CPU output into
 * a fresh buffer, and V8 frees a step's old state outputs late unless a full collection
 * runs; it runs at most once per COST_SHARE⁻¹ of its own last duration, so its cost stays
 * small beside short steps (measurements: docs/benchmarks.md, "Training-run memory").
 *
 * V8 exposes gc() only under --expose-gc; setting the flag at run time takes effect for
 * contexts created afterwards, so one fresh context hands it out. Where that fails the
 * loop runs as before, just with more memory.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** The most of the wall-clock time collections may take. */
const COST_SHARE = 0.05;

let gc: (() => void) | undefined | null = null;
let lastEnd = -Infinity, lastDuration = 0;

function gcFunction(): (() => void) | undefined {
  if (gc !== null) return gc;
  try {
    // V8 frees dead ArrayBuffers' memory on a background thread after a collection by default,
    // and with the cores busy that thread can run late: a scratch script found 1.6 GB of them
    // still held when gc() had returned, and one BERT-base row the binding's 1.6 GB copy of the
    // state alive into the next step. Swept in the collection instead, they are gone when it returns.
    setFlagsFromString('--no-concurrent-array-buffer-sweeping');
    setFlagsFromString('--expose-gc');
    const fn: unknown = runInNewContext('gc');
    gc = typeof fn === 'function' ? (fn as () => void) : undefined;
  } catch {
    gc = undefined;
  }
  return gc;
}

/**
 * A full collection now, unless the last one in this thread was too recent for its cost
 * (see COST_SHARE) and `force` is false. True if it ran.
 */
export function collectGarbage(force = false): boolean {
  const fn = gcFunction();
  const start = performance.now();
  if (!fn || (!force && start - lastEnd < lastDuration / COST_SHARE)) return false;
  fn();
  lastEnd = performance.now();
  lastDuration = lastEnd - start;
  return true;
}
