/**
 * Swapping packs on the live base: activate patches the base's Float32Arrays in place,
 * touching only the nonzeros and saving the bits it overwrites; deactivate writes those
 * bits back (bit-exact — never by subtracting δ). Sessions that take the weights as
 * zero-copy inputs see the patched values on their next run.
 *
 * A prepared (installed-in-memory) pack keeps its indices and values in their stored,
 * compact form (gaps or bitmap; int8/float16/float32), so holding many packs costs about
 * their file size; indices are expanded into a scratch buffer during each swap.
 *
 * Module packs: a LoRA pack is merged into the weights it targets (lora-merge.ts) through
 * the same saved bits; an adapter pack's module tensors are graph inputs (the caller runs a
 * graph built with withModules and feeds them through patchWeights), and Houlsby's
 * LayerNorm changes are ordinary diffs.
 */
import type { WeightTensor } from '../model/weights.js';
import { checkAgainstBase, type PackBase } from './codec.js';
import type { ModuleSpec, PackContent, PackKind } from './format.js';
import { chooseIndexEncoding, encodeIndices, expandIndices, type IndexEncoding } from './indices.js';
import { applyMerge, loraMerges, mergeSize, restoreMerge, type LoraMerge } from './lora-merge.js';
import { fromHalf } from '../onnx/float16.js';
import { dequantize, type DiffValues } from './values.js';

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
  readonly kind: PackKind;
  /** The module spec of a LoRA or adapter pack. */
  readonly module?: ModuleSpec;
  /** Base values a swap overwrites: the diffs' nonzeros and LoRA's merged blocks. */
  readonly nnz: number;
  /** The pack's dense new tensors (the task head). */
  readonly head: ReadonlyMap<string, WeightTensor>;
  /** An adapter pack's module tensors (float32), fed beside the base to a graph with the adapter sites. */
  readonly modules: ReadonlyMap<string, WeightTensor>;
  readonly entries: readonly PatchEntry[];
  readonly merges: readonly LoraMerge[];
  /** Bytes this patch holds (indices, values, module tensors, head). */
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
  const spec = content.module;
  const merges = spec?.kind === 'lora' ? loraMerges(spec, content.modules, base.weights) : [];
  const modules = new Map(spec?.kind === 'adapter' ? content.modules.map((t) => [t.name, { dims: t.dims, data: dequantize(t.values) }]) : []);
  const sizes = [...entries.map((e) => e.indexBytes.byteLength + e.values.data.byteLength), ...merges.map((m) => m.a.byteLength + m.b.byteLength),
    ...[...modules.values(), ...head.values()].map((t) => t.data.byteLength)];
  const nnz = entries.reduce((n, e) => n + e.nnz, 0) + merges.reduce((n, m) => n + mergeSize(m), 0);
  return { id, kind: content.kind, ...(spec ? { module: spec } : {}), nnz, head, modules, entries, merges, bytes: sizes.reduce((a, b) => a + b, 0) };
}

/** Every tensor a prediction with `patch` active feeds: its head, its adapter modules, then the (patched) base. */
export const patchWeights = (patch: PreparedPatch, base: PackBase) => (name: string): WeightTensor =>
  patch.head.get(name) ?? patch.modules.get(name) ?? base.weights.get(name)!;

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

  /** Patch the base with `patch` (deactivating the current one first). O(nnz); a LoRA merge O(r) per value of each targeted block, whose bits it saves (4 bytes each). */
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
    for (const m of patch.merges) s = applyMerge(m, saved, s);
    this.current = { patch, saved };
    return patch.head;
  }

  /** Put back the bits the active pack overwrote. O(nnz). */
  deactivate(): void {
    if (!this.current) return;
    const { patch, saved } = this.current;
    let s = saved.length;
    // Reverse order: correct even if two entries ever patched the same values.
    for (let m = patch.merges.length - 1; m >= 0; m--) s = restoreMerge(patch.merges[m], saved, s);
    for (let e = patch.entries.length - 1; e >= 0; e--) {
      const entry = patch.entries[e], idx = this.indicesOf(entry);
      for (let k = entry.nnz - 1; k >= 0; k--) entry.bits[idx[k]] = saved[--s];
    }
    this.current = undefined;
  }
}
