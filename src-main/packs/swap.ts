/**
 * Swapping packs on the live base: activate patches the base's Float32Arrays in place,
 * touching only the nonzeros and saving the bits it overwrites; deactivate writes those
 * bits back (bit-exact — never by subtracting δ). Sessions that take the weights as
 * zero-copy inputs see the patched values on their next run.
 *
 * A prepared (installed-in-memory) pack keeps its indices and values in their stored,
 * compact form (gaps or bitmap; int8/float16/float32), so holding many packs costs about
 * their file size; indices are expanded into a scratch buffer during each swap.
 */
import type { WeightTensor } from '../model/weights.js';
import { checkAgainstBase, type PackBase } from './codec.js';
import type { PackContent } from './format.js';
import { chooseIndexEncoding, encodeIndices, expandIndices, type IndexEncoding } from './indices.js';
import { fromHalf } from '../onnx/float16.js';
import type { DiffValues } from './values.js';

interface PatchEntry {
  target: Float32Array;
  /** The same memory as raw bits: saving and restoring through it is bit-exact (NaN payloads too). */
  bits: Uint32Array;
  nnz: number;
  indexEncoding: IndexEncoding;
  indexBytes: Uint8Array;
  values: DiffValues;
}

/** A pack made ready for one base: checked against it once, targets resolved, data compact. */
export interface PreparedPatch {
  readonly id: string;
  readonly nnz: number;
  /** The pack's dense new tensors (the task head). */
  readonly head: ReadonlyMap<string, WeightTensor>;
  readonly entries: readonly PatchEntry[];
  /** Bytes this patch holds (indices, values, head). */
  readonly bytes: number;
}

export function preparePatch(id: string, content: PackContent, base: PackBase): PreparedPatch {
  checkAgainstBase(content, base);
  const entries = content.diffs.map((d): PatchEntry => {
    const target = base.weights.get(d.name)!.data;
    const indexEncoding = chooseIndexEncoding(d.indices, target.length);
    return {
      target, bits: new Uint32Array(target.buffer, target.byteOffset, target.length), nnz: d.indices.length,
      indexEncoding, indexBytes: encodeIndices(d.indices, target.length, indexEncoding), values: d.values,
    };
  });
  const head = new Map(content.dense.map((t) => [t.name, { dims: t.dims, data: t.data }]));
  const bytes = entries.reduce((a, e) => a + e.indexBytes.byteLength + e.values.data.byteLength, 0) + content.dense.reduce((a, t) => a + t.data.byteLength, 0);
  return { id, nnz: entries.reduce((n, e) => n + e.nnz, 0), head, entries, bytes };
}

// binary16 → float32 for all 65536 codes: dequantising a float16 diff becomes a lookup.
let halfTable: Float32Array | undefined;
const halves = () => (halfTable ??= Float32Array.from({ length: 65536 }, (_, h) => fromHalf(h)));

/** The live base and at most one active pack on it. */
export class LiveBase {
  private current: { patch: PreparedPatch; saved: Uint32Array } | undefined;
  private scratch = new Uint32Array(0);

  constructor(readonly base: PackBase) {}

  get active(): string | undefined {
    return this.current?.patch.id;
  }

  private indicesOf(e: PatchEntry): Uint32Array {
    if (this.scratch.length < e.nnz) this.scratch = new Uint32Array(e.nnz);
    expandIndices(e.indexBytes, e.indexEncoding, this.scratch);
    return this.scratch;
  }

  /** Patch the base with `patch` (deactivating the current one first). O(nnz). */
  activate(patch: PreparedPatch): ReadonlyMap<string, WeightTensor> {
    this.deactivate();
    const saved = new Uint32Array(patch.nnz);
    let s = 0;
    for (const e of patch.entries) {
      const idx = this.indicesOf(e), { target, bits, nnz, values: v } = e;
      if (v.encoding === 'int8') {
        const q = v.data, scale = v.scale;
        for (let k = 0; k < nnz; k++) { const i = idx[k]; saved[s++] = bits[i]; target[i] = target[i] + Math.fround(q[k] * scale); }
      } else if (v.encoding === 'float16') {
        const h = v.data, table = halves();
        for (let k = 0; k < nnz; k++) { const i = idx[k]; saved[s++] = bits[i]; target[i] = target[i] + table[h[k]]; }
      } else {
        const d = v.data;
        for (let k = 0; k < nnz; k++) { const i = idx[k]; saved[s++] = bits[i]; target[i] = target[i] + d[k]; }
      }
    }
    this.current = { patch, saved };
    return patch.head;
  }

  /** Put back the bits the active pack overwrote. O(nnz). */
  deactivate(): void {
    if (!this.current) return;
    const { patch, saved } = this.current;
    let s = saved.length;
    // Reverse order: correct even if two entries ever patched the same tensor.
    for (let e = patch.entries.length - 1; e >= 0; e--) {
      const entry = patch.entries[e], idx = this.indicesOf(entry);
      for (let k = entry.nnz - 1; k >= 0; k--) entry.bits[idx[k]] = saved[--s];
    }
    this.current = undefined;
  }
}
