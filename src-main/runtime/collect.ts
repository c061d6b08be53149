/**
 * A full garbage collection on demand, for the step loop's sake.
 *
 * onnxruntime-node copies every CPU output into a fresh ArrayBuffer. A training step's
 * state outputs (weights, gate logits, both Adam moments: several times the model's size)
 * are garbage one step later, but V8 sees only small JS objects pointing at them and
 * collects them late: four or five copies of the state were found waiting. Collecting
 * after each step keeps two (the one fed, the one returned).
 *
 * V8 exposes gc() only under --expose-gc; setting the flag at run time takes effect for
 * contexts created afterwards, so one fresh context hands it out. Where that fails the
 * loop runs as before, just with more memory.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined | null = null;

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

/** Collect garbage now; false where this runtime does not allow it. */
export function collectGarbage(): boolean {
  const fn = gcFunction();
  fn?.();
  return fn !== undefined;
}
