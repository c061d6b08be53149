/**
 * AdamW appended to the training graph: gradient-norm clipping (global, or per clip set), bias-corrected moments,
 * decoupled weight decay, and one learning-rate input per parameter group (the schedule
 * is computed in JS and fed each step, so warm-up and decay cost the graph nothing).
 */
import * as g from '../graph/index.js';
import type { Tensor } from '../graph/index.js';
import { fromHalf } from '../onnx/float16.js';

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Clip the gradient norm to this value (of all slots, or of each clip set apart); 0 disables clipping. */
  clipNorm: number;
  /** How the moments are stored between steps (float16: see halfScale; default float32). */
  moments?: MomentType;
}

export const MOMENT_TYPES = ['float32', 'float16'] as const;
export type MomentType = (typeof MOMENT_TYPES)[number];

export const DEFAULT_ADAMW: AdamWConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, clipNorm: 1 };

/**
 * float16 moments hold S·m and S·√v (not v), with S = 2¹⁴/c for clip norm c. Clipping
 * bounds every |ĝᵢ| by c, and m and √v are averages of ĝ and |ĝ|, so S·m and S·√v stay
 * ≤ 2¹⁴ (float16's largest finite value is 65,504); float16's normal range then starts at
 * 6.1e-5/S = 3.7e-9·c, below ε = 1e-8, so values that Adam's update can tell from ε keep
 * 11 significant bits. v itself spans the square of that range (1e-17 … c²): stored as v, it
 * would flush to 0 where m does not, and m/(0 + ε) is a step of ~lr·m/ε instead of ~lr.
 * √v decays by √β₂ = 1 − 5e-4 a step, at least float16's relative half-ulp (2⁻¹² … 2⁻¹¹),
 * so a decaying √v moves by one ulp a step: 1 − 4.9e-4 … 1 − 9.8e-4, up to twice the decay
 * (after a burst of large gradients √v forgets it about 1.4 × as fast; a simulation of 2,500
 * quiet steps ends at 0.65 × float32's √v), and while g² is near v, changes under half an ulp
 * round away. bfloat16 (8 bits: half-ulp ≥ 2⁻⁹ = 2e-3) would round even v's 1 − β₂ = 1e-3
 * away, so its v would never decay. S cancels in m/(√v + ε) (ε is scaled by S too): the
 * update is AdamW's, with the moments rounded to 11 bits each step (dev scores against
 * float32 moments: docs/benchmarks.md and docs/results.md).
 */
export function halfScale(clipNorm: number): number {
  if (!(clipNorm > 0)) throw new Error('float16 Adam moments need gradient clipping (clipNorm > 0): their range is set by it');
  return 2 ** 14 / clipNorm;
}

/** The second moment v of a float16-stored √v (binary16 bits), as JS reads it (gate statistics). */
export const halfSecondMoment = (bits: number, clipNorm: number): number => (fromHalf(bits) / halfScale(clipNorm)) ** 2;

export interface AdamSlot {
  param: Tensor;
  grad: Tensor;
  m: Tensor;
  v: Tensor;
  /** Learning-rate input of this parameter's group. */
  lr: Tensor;
  decay: boolean;
  /** Slots of one clip set share one norm (default: all slots, one global norm). */
  clipSet?: string;
}

export interface AdamUpdate { param: Tensor; m: Tensor; v: Tensor }

/**
 * With t the 1-based step and ĝ = g·min(1, c/‖g‖), ‖g‖ over the slot's clip set:
 *   m′ = β₁m + (1−β₁)ĝ,  v′ = β₂v + (1−β₂)ĝ²,
 *   p′ = p − lr·( m′/(1−β₁ᵗ) / (√(v′/(1−β₂ᵗ)) + ε) + λ·p ).
 * Evaluated as p′ = (1 − lr·λ)·p − k·m′/(√v′ + ε·√(1−β₂ᵗ)) with k = lr·√(1−β₂ᵗ)/(1−β₁ᵗ):
 * the same value, with every step-dependent factor folded into scalars, so each parameter
 * tensor costs a dozen elementwise passes instead of sixteen (they dominate the diff step).
 */
export function adamw(slots: readonly AdamSlot[], step: Tensor, cfg: AdamWConfig): { updates: AdamUpdate[]; gradNorm: Tensor } {
  // Σĝ² in one op, and ĝ² again at each update: a g²-sized tensor kept from the norm to the
  // update would hold every gradient's square at once (BERT-base diff: 836 MiB).
  const sumSq = slots.map((s) => g.reduceSumSquare(s.grad));
  const normOf = (idx: number[]) => g.sqrt(idx.map((i) => sumSq[i]).reduce((a, b) => g.add(a, b)));
  const sets = new Map<string, number[]>();
  slots.forEach((s, i) => { const set = s.clipSet ?? ''; sets.set(set, [...(sets.get(set) ?? []), i]); });
  const gradNorm = normOf(slots.map((_, i) => i));
  const bc1 = g.sub(1, g.pow(g.constant(cfg.beta1, step.dtype), step));
  const rootBc2 = g.sqrt(g.sub(1, g.pow(g.constant(cfg.beta2, step.dtype), step)));
  // Per clip set: the factors that take g to m and g² to v.
  const toMoments = new Map([...sets].map(([set, idx]) => {
    const norm = sets.size === 1 ? gradNorm : normOf(idx);
    const scale = cfg.clipNorm > 0 ? g.minimum(g.div(cfg.clipNorm, g.maximum(norm, 1e-12)), 1) : g.constant(1, step.dtype);
    return [set, { m: g.mul(scale, 1 - cfg.beta1), v: g.mul(g.square(scale), 1 - cfg.beta2) }];
  }));
  // float16 moments: S·m and S·√v, so the factors take g to S·m and g² to S²·v, and ε is S·ε.
  const half = cfg.moments === 'float16', scale = half ? halfScale(cfg.clipNorm) : 1;
  const eps = g.mul(rootBc2, cfg.eps * scale);
  const stepSize = g.div(rootBc2, bc1);
  const updates = slots.map((s, i) => {
    const k = toMoments.get(s.clipSet ?? '')!;
    const m = g.add(g.mul(half ? g.cast(s.m, s.grad.dtype) : s.m, cfg.beta1), g.mul(s.grad, half ? g.mul(k.m, scale) : k.m));
    const v = g.add(g.mul(half ? g.square(g.cast(s.v, s.grad.dtype)) : s.v, cfg.beta2), g.mul(g.square(s.grad), half ? g.mul(k.v, scale * scale) : k.v));
    const rootV = g.sqrt(v);
    const move = g.div(g.mul(m, g.mul(s.lr, stepSize)), g.add(rootV, eps));
    const kept = s.decay && cfg.weightDecay > 0 ? g.mul(s.param, g.sub(1, g.mul(s.lr, cfg.weightDecay))) : s.param;
    return half ? { param: g.sub(kept, move), m: g.cast(m, 'float16'), v: g.cast(rootV, 'float16') } : { param: g.sub(kept, move), m, v };
  });
  return { updates, gradNorm };
}

/** Linear warm-up to `peak` over `warmup` steps, then linear decay to 0 at `total`. */
export function warmupLinear(step: number, peak: number, warmup: number, total: number): number {
  if (step < warmup) return (peak * (step + 1)) / warmup;
  return peak * Math.max(0, (total - step) / Math.max(1, total - warmup));
}
