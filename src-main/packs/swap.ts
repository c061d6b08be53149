/**
 * Swapping packs on the live base: activate patches the base's Float32Arrays in place,
 * touching only the nonzeros and saving the values it overwrites; deactivate writes those
 * saved values back (bit-exact — never by subtracting δ). Sessions that take the weights
 * as zero-copy inputs see the patched values on their next run.
 */
import type { WeightTensor } from '../model/weights.js';
import { checkAgainstBase, type PackBase } from './codec.js';
import type { PackContent } from './format.js';
import { dequantize } from './values.js';

interface PatchEntry {
  target: Float32Array;
  /** The same memory as raw bits: saving and restoring through it is bit-exact (NaN payloads too). */
  bits: Uint32Array;
  indices: Uint32Array;
  deltas: Float32Array;
  /** The base values' bits the last activation overwrote. */
  saved: Uint32Array;
}

/** A pack made ready for one base: deltas dequantised once, targets resolved. */
export interface PreparedPatch {
  readonly id: string;
  readonly nnz: number;
  /** The pack's dense new tensors (the task head). */
  readonly head: ReadonlyMap<string, WeightTensor>;
  readonly entries: readonly PatchEntry[];
}

export function preparePatch(id: string, content: PackContent, base: PackBase): PreparedPatch {
  checkAgainstBase(content, base);
  const entries = content.diffs.map((d) => {
    const target = base.weights.get(d.name)!.data;
    const bits = new Uint32Array(target.buffer, target.byteOffset, target.length);
    return { target, bits, indices: d.indices, deltas: dequantize(d.values), saved: new Uint32Array(d.indices.length) };
  });
  const head = new Map(content.dense.map((t) => [t.name, { dims: t.dims, data: t.data }]));
  return { id, nnz: entries.reduce((n, e) => n + e.indices.length, 0), head, entries };
}

/** The live base and at most one active pack on it. */
export class LiveBase {
  private current: PreparedPatch | undefined;

  constructor(readonly base: PackBase) {}

  get active(): string | undefined {
    return this.current?.id;
  }

  /** Patch the base with `patch` (deactivating the current one first). O(nnz). */
  activate(patch: PreparedPatch): ReadonlyMap<string, WeightTensor> {
    this.deactivate();
    for (const { target, bits, indices, deltas, saved } of patch.entries) {
      for (let k = 0; k < indices.length; k++) {
        const i = indices[k];
        saved[k] = bits[i];
        target[i] = target[i] + deltas[k];
      }
    }
    this.current = patch;
    return patch.head;
  }

  /** Put back the values the active pack overwrote. O(nnz). */
  deactivate(): void {
    const patch = this.current;
    if (!patch) return;
    // Reverse order: correct even if two entries ever patched the same tensor.
    for (let e = patch.entries.length - 1; e >= 0; e--) {
      const { bits, indices, saved } = patch.entries[e];
      for (let k = indices.length - 1; k >= 0; k--) bits[indices[k]] = saved[k];
    }
    this.current = undefined;
  }
}
