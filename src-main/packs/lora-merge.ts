/**
 * A LoRA pack merged into the live base: each target's W (its own tensor, or a third of the
 * fused `l<k>.attn.qkv.w`, as model/modules.ts withModules routes it) becomes
 * W + (α/r)·a·b. ΔW is accumulated in float64 and added to W in float64, then rounded once
 * to float32; the overwritten bits are saved first, so the restore is bit-exact.
 */
import type { Weights } from '../model/weights.js';
import type { ModuleSpec, ModuleTensor } from './format.js';
import { dequantize } from './values.js';

export interface LoraMerge {
  /** The base tensor patched, [rows, cols] row-major, as raw bits for saving and restoring. */
  target: Float32Array;
  bits: Uint32Array;
  rows: number;
  cols: number;
  /** The columns [col0, col0 + width) this target owns. */
  col0: number;
  width: number;
  rank: number;
  /** α/r. */
  scale: number;
  a: Float32Array;
  b: Float32Array;
}

/** One merge per target: `lora.<target>.a` [rows, r] and `.b` [r, width]. */
export function loraMerges(spec: Extract<ModuleSpec, { kind: 'lora' }>, modules: readonly ModuleTensor[], weights: Weights): LoraMerge[] {
  const byName = new Map(modules.map((t) => [t.name, t]));
  const merges: LoraMerge[] = [];
  for (const t of modules) {
    const target = /^lora\.(.+)\.a$/.exec(t.name)?.[1];
    if (!target) continue;
    const b = byName.get(`lora.${target}.b`)!;
    const own = weights.get(`${target}.w`);
    const fused = /^(l\d+\.attn)\.([qkv])$/.exec(target);
    const tensor = own ?? weights.get(`${fused![1]}.qkv.w`)!;
    const [rows, cols] = tensor.dims;
    const width = b.dims[1];
    merges.push({
      target: tensor.data, bits: new Uint32Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.length), rows, cols,
      col0: own ? 0 : 'qkv'.indexOf(fused![2]) * width, width, rank: spec.rank, scale: spec.alpha / spec.rank,
      a: dequantize(t.values), b: dequantize(b.values),
    });
  }
  return merges;
}

/** Values a merge overwrites (and saves). */
export const mergeSize = (m: LoraMerge) => m.rows * m.width;

/** W += (α/r)·a·b over the target's block, saving the old bits into `saved` from `s`; returns the next free slot. */
export function applyMerge(m: LoraMerge, saved: Uint32Array, s: number): number {
  const { target, bits, rows, cols, col0, width, rank, scale, a, b } = m;
  const acc = new Float64Array(width);
  for (let i = 0; i < rows; i++) {
    acc.fill(0);
    for (let k = 0; k < rank; k++) {
      const aik = a[i * rank + k];
      if (aik === 0) continue;
      const row = k * width;
      for (let j = 0; j < width; j++) acc[j] += aik * b[row + j];
    }
    const at = i * cols + col0;
    for (let j = 0; j < width; j++) {
      saved[s++] = bits[at + j];
      target[at + j] = target[at + j] + scale * acc[j];
    }
  }
  return s;
}

/** Put back the bits applyMerge saved, ending at slot `end`; returns the slot it started from. */
export function restoreMerge(m: LoraMerge, saved: Uint32Array, end: number): number {
  const { bits, rows, cols, col0, width } = m;
  let s = end - rows * width;
  const start = s;
  for (let i = 0; i < rows; i++) {
    const at = i * cols + col0;
    for (let j = 0; j < width; j++) bits[at + j] = saved[s++];
  }
  return start;
}
