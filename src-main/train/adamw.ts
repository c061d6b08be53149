/**
 * AdamW appended to the training graph: gradient-norm clipping (global, or per clip set), bias-corrected moments,
 * decoupled weight decay, and one learning-rate input per parameter group (the schedule
 * is computed in JS and fed each step, so warm-up and decay cost the graph nothing).
 */
import * as g from '../graph/index.js';
import type { Tensor } from '../graph/index.js';

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Clip the gradient norm to this value (of all slots, or of each clip set apart); 0 disables clipping. */
  clipNorm: number;
}

export const DEFAULT_ADAMW: AdamWConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, clipNorm: 1 };

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
  const gradSq = slots.map((s) => g.square(s.grad));
  const sumSq = gradSq.map((sq) => g.reduceSum(sq));
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
  const eps = g.mul(rootBc2, cfg.eps);
  const stepSize = g.div(rootBc2, bc1);
  const updates = slots.map((s, i) => {
    const k = toMoments.get(s.clipSet ?? '')!;
    const m = g.add(g.mul(s.m, cfg.beta1), g.mul(s.grad, k.m));
    const v = g.add(g.mul(s.v, cfg.beta2), g.mul(gradSq[i], k.v));
    const move = g.div(g.mul(m, g.mul(s.lr, stepSize)), g.add(g.sqrt(v), eps));
    const kept = s.decay && cfg.weightDecay > 0 ? g.mul(s.param, g.sub(1, g.mul(s.lr, cfg.weightDecay))) : s.param;
    return { param: g.sub(kept, move), m, v };
  });
  return { updates, gradNorm };
}

/** Linear warm-up to `peak` over `warmup` steps, then linear decay to 0 at `total`. */
export function warmupLinear(step: number, peak: number, warmup: number, total: number): number {
  if (step < warmup) return (peak * (step + 1)) / warmup;
  return peak * Math.max(0, (total - step) / Math.max(1, total - warmup));
}
