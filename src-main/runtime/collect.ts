/**
 * Garbage collection on demand, for the step loop's sake.
 *
 * onnxruntime-node copies every CPU output into a fresh ArrayBuffer. A training step's
 * state outputs (weights, gate logits, both Adam moments: several times the model's size)
 * are garbage one step later, but V8 sees only small JS objects pointing at them and
 * collects them late: four copies of the state were found waiting. A full collection
 * after a step frees them (a minor one did not: measured no better than none).
 *
 * A full collection costs tens of milliseconds with a real dataset in the heap: nothing
 * beside a BERT-size step, a few per cent of a small model's. So it runs at most once per
 * COST_SHARE⁻¹ of its own last duration: every step where steps are long, every few
 * where they are short.
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
