/**
 * After the L0 phase (or a full finetune, for magnitude pruning): δ = z ⊙ w with z sampled
 * once, then the projection onto the L0 ball — keep exactly ⌈t·d⌉ entries of largest |δ|
 * over all penalised parameters (d of them), zero the rest. The kept positions become the
 * fixed mask of the last phase.
 */
import { fillGateNoiseValues, gateValue } from './hard-concrete.js';
import type { Rng } from '../util/rng.js';

export type TensorMap = Map<string, Float32Array>;

/** Exactly ⌈t·d⌉ (at most d, at least 1 when d > 0). */
export const projectedCount = (t: number, d: number) => Math.min(d, Math.max(d > 0 ? 1 : 0, Math.ceil(t * d - 1e-9)));

/**
 * δ = z ⊙ w (structured: z ⊙ z^j ⊙ w) with one fresh sample of every gate from `rng`
 * (tensors in the map's order; each tensor's group gate after its element gates). A cut
 * table (`cutRows`) draws as its full table would, so the sample is the full table's on its rows.
 */
export function sampleDiff(w: TensorMap, alpha: TensorMap, groupAlpha: TensorMap | undefined, rng: Rng, cutRows?: (n: string) => CutRows | undefined): TensorMap {
  const out: TensorMap = new Map();
  // One buffer for every tensor's noise: at BERT-base size a fresh one each was 418 MiB of garbage.
  const scratch = new Float32Array(Math.max(0, ...[...w.values()].map((t) => t.length)));
  for (const [n, wn] of w) {
    const a = alpha.get(n)!, cut = cutRows?.(n);
    const noise = cut ? cutTableNoise(scratch.subarray(0, wn.length), cut, rng) : fillGateNoiseValues(scratch.subarray(0, wn.length), rng);
    const zg = groupAlpha ? gateValue(groupAlpha.get(n)![0], fillGateNoiseValues(new Float32Array(1), rng)[0]) : 1;
    out.set(n, Float32Array.from(wn, (v, i) => gatedDelta(a[i], zg, v, noise[i])));
  }
  return out;
}

/** One δ = z·z^j·w in float32 as every host-side δ is computed: the gate from its logit and noise (0: deterministic), times the group gate's value. */
export const gatedDelta = (alpha: number, groupGate: number, w: number, noise = 0) => Math.fround(gateValue(alpha, noise) * groupGate) * w;

/** A table cut to some of its rows (model/compact-vocabulary.ts): the full table's row of each kept row, ascending, and its row count. */
export interface CutRows { rows: Int32Array; fullRows: number }

/** The noise of a cut table's rows as the full table's draw gives them: the rows cut are drawn too, and dropped. */
function cutTableNoise(out: Float32Array, { rows, fullRows }: CutRows, rng: Rng): Float32Array {
  const width = out.length / rows.length, dropped = new Float32Array(width);
  for (let r = 0, k = 0; r < fullRows; r++) {
    if (rows[k] === r) fillGateNoiseValues(out.subarray(k * width, ++k * width), rng);
    else fillGateNoiseValues(dropped, rng);
  }
  return out;
}

/** The deterministic gate value z̄ = clip(σ(α)(r − l) + l, 0, 1) (structured: times z̄^j). */
export function expectedDiff(w: TensorMap, alpha: TensorMap, groupAlpha: TensorMap | undefined): TensorMap {
  const out: TensorMap = new Map();
  for (const [n, wn] of w) {
    const a = alpha.get(n)!, zg = groupAlpha ? gateValue(groupAlpha.get(n)![0]) : 1;
    out.set(n, Float32Array.from(wn, (v, i) => gatedDelta(a[i], zg, v)));
  }
  return out;
}

export interface Projection {
  /** Per tensor: 1 where kept, else 0. */
  masks: TensorMap;
  /** δ with everything outside the mask zeroed: `delta` itself, zeroed in place. */
  kept: TensorMap;
  /** Kept positions (= ⌈t·d⌉). */
  nnz: number;
  /** Penalised parameters d. */
  total: number;
  /** Nonzeros of δ before projection (its effective sparsity is this / total). */
  nonzeroBefore: number;
}

const f32 = new Float32Array(1), bitsOf32 = new Uint32Array(f32.buffer);

/**
 * The k-th largest (k ≥ 1) of the non-negative float32 values that `each` visits, as the
 * k-th of an ascending sort of them all: non-negative floats order as their bit patterns,
 * so two 16-bit histogram passes find its bits without copying the values (at BERT-base
 * size a copy and its sorted copy were 2 × 418 MiB).
 */
export function kthLargest(each: (visit: (v: number) => void) => void, k: number): number {
  const select = (hist: Uint32Array) => { // the bin holding the k-th largest; k becomes its rank in that bin
    let b = hist.length - 1;
    for (; k > hist[b]; b--) k -= hist[b];
    return b;
  };
  const hist = new Uint32Array(65536);
  each((v) => { f32[0] = v; hist[bitsOf32[0] >>> 16]++; });
  const high = select(hist);
  hist.fill(0);
  each((v) => { f32[0] = v; if (bitsOf32[0] >>> 16 === high) hist[bitsOf32[0] & 0xffff]++; });
  bitsOf32[0] = ((high << 16) | select(hist)) >>> 0;
  return f32[0];
}

/**
 * Keep the ⌈t·d⌉ largest |δ|, zeroing `delta` elsewhere in place (it becomes `kept`). Ties
 * at the threshold go to the largest |tiebreak| (when given:
 * the L0 phase's w, so that an L0 phase that pruned below the target hands the rest of the
 * budget to the positions it had trained most, not to the first positions of the first
 * tensor), then to the earliest positions (tensors in map order, then index): the result is
 * deterministic. `penalised`: d, where δ leaves out positions that are 0 by construction
 * (the rows a compact vocabulary cut, model/compact-vocabulary.ts): the budget is the base's.
 */
export function projectTopK(delta: TensorMap, target: number, tiebreak?: TensorMap, penalised?: number): Projection {
  if (!(target > 0 && target <= 1)) throw new Error(`sparsity must be in (0, 1], got ${target}`);
  let present = 0, nonzeroBefore = 0;
  for (const d of delta.values()) { present += d.length; for (const v of d) if (v !== 0) nonzeroBefore++; }
  if (penalised !== undefined && penalised < present) throw new Error(`projection: ${penalised} penalised parameters, but δ has ${present}`);
  const total = penalised ?? present;
  const k = Math.min(present, projectedCount(target, total));
  const threshold = k > 0 ? kthLargest((visit) => { for (const d of delta.values()) for (const v of d) visit(Math.abs(v)); }, k) : Infinity;
  let above = 0;
  for (const d of delta.values()) for (const v of d) if (Math.abs(v) > threshold) above++;
  // Among the tied, the second key's threshold: keep those above it, then the earliest at it.
  const secondary = (n: string, i: number) => Math.abs(tiebreak?.get(n)?.[i] ?? 0);
  let tieThreshold = 0, tiesLeft = k - above;
  if (tiebreak && tiesLeft > 0) {
    const eachTied = (visit: (key: number) => void) => {
      for (const [n, d] of delta) for (let i = 0; i < d.length; i++) if (Math.abs(d[i]) === threshold) visit(secondary(n, i));
    };
    tieThreshold = kthLargest(eachTied, tiesLeft);
    eachTied((key) => { if (key > tieThreshold) tiesLeft--; });
  }
  const masks: TensorMap = new Map();
  for (const [n, d] of delta) {
    const mask = new Float32Array(d.length);
    for (let i = 0; i < d.length; i++) {
      const m = Math.abs(d[i]);
      const key = m === threshold && tiebreak ? secondary(n, i) : 0;
      if (m > threshold || (m === threshold && (key > tieThreshold || (key === tieThreshold && tiesLeft-- > 0)))) mask[i] = 1;
      else d[i] = 0;
    }
    masks.set(n, mask);
  }
  return { masks, kept: delta, nnz: k, total, nonzeroBefore };
}
