/**
 * From tuned weights to a pack's tensors, and back to dense weights: the trainer calls
 * sparseDiffFromDense; densely merged weights are the reference the swap is checked against
 * and what a rebuilt session bakes in.
 */
import type { WeightTensor, Weights } from '../model/weights.js';
import { fail } from './errors.js';
import { numelOf, type DenseTensor, type PackContent, type SparseDiff } from './format.js';
import { dequantize, quantize, DEFAULT_VALUE_ENCODING, type ValueEncoding } from './values.js';

export interface DiffOptions {
  encoding?: ValueEncoding;
}

type TensorsLike = Weights | ReadonlyMap<string, WeightTensor> | Record<string, WeightTensor>;
const entriesOf = (t: TensorsLike): [string, WeightTensor][] => (t instanceof Map ? [...t.entries()] : Object.entries(t));

/**
 * Tuned tensors → sparse diffs against the base (positions where the float32 values differ;
 * δ = tuned − base in float32) and dense tensors for names the base lacks ('head.*').
 * Tensors equal to the base are left out.
 */
export function sparseDiffFromDense(base: Weights, tuned: TensorsLike, opts: DiffOptions = {}): { diffs: SparseDiff[]; dense: DenseTensor[] } {
  const encoding = opts.encoding ?? DEFAULT_VALUE_ENCODING;
  const diffs: SparseDiff[] = [], dense: DenseTensor[] = [];
  for (const [name, t] of entriesOf(tuned)) {
    const b = base.get(name);
    if (!b) {
      if (!name.startsWith('head.')) fail('HEAD_CONFLICT', `tuned tensor '${name}' is not in the base and not 'head.*'`);
      dense.push({ name, dims: [...t.dims], data: Float32Array.from(t.data) });
      continue;
    }
    if (b.data.length !== t.data.length || b.dims.some((n, i) => n !== t.dims[i])) {
      fail('SHAPE_MISMATCH', `tuned tensor '${name}' has shape [${t.dims.join(', ')}], the base's is [${b.dims.join(', ')}]`);
    }
    let nnz = 0;
    for (let i = 0; i < t.data.length; i++) if (t.data[i] !== b.data[i]) nnz++;
    if (nnz === 0) continue;
    const indices = new Uint32Array(nnz), deltas = new Float32Array(nnz);
    for (let i = 0, k = 0; i < t.data.length; i++) {
      if (t.data[i] !== b.data[i]) { indices[k] = i; deltas[k++] = t.data[i] - b.data[i]; }
    }
    diffs.push({ name, dims: [...b.dims], indices, values: quantize(deltas, encoding, `diff '${name}'`) });
  }
  return { diffs, dense };
}

/**
 * base + δ for every tensor, by a path independent of the swap: each diff is scattered
 * into a dense δ first, then added element-wise. Head tensors are included.
 */
export function mergeDense(base: Weights, content: Pick<PackContent, 'diffs' | 'dense'>): Map<string, WeightTensor> {
  const out = new Map<string, WeightTensor>();
  for (const [name, t] of base) out.set(name, t);
  for (const d of content.diffs) {
    const b = base.get(d.name);
    if (!b) fail('UNKNOWN_TENSOR', `diff '${d.name}': the base has no such tensor`);
    const delta = new Float32Array(numelOf(d.dims));
    const values = dequantize(d.values);
    d.indices.forEach((i, k) => (delta[i] = values[k]));
    const src = b!.data, data = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) data[i] = delta[i] === 0 ? src[i] : src[i] + delta[i];
    out.set(d.name, { dims: b!.dims, data });
  }
  for (const t of content.dense) out.set(t.name, { dims: t.dims, data: t.data });
  return out;
}
