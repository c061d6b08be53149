/**
 * Hard-Concrete L0 gates for diff pruning (Louizos et al. 2018, as Guo et al. 2021 use
 * them): per-parameter gate logits α, stretched to (l, r) = (−1.5, 1.5) and clipped to [0, 1].
 */
import * as g from '../graph/index.js';
import type { Tensor } from '../graph/index.js';

export const STRETCH_LEFT = -1.5;
export const STRETCH_RIGHT = 1.5;
/** log(−l/r): the shift inside the expected-L0 sigmoid. */
export const L0_SHIFT = Math.log(-STRETCH_LEFT / STRETCH_RIGHT);

/**
 * z = min(1, max(0, s·(r − l) + l)), s = σ(logistic + α), where `logistic` = log u − log(1 − u)
 * with u ~ U(0, 1) comes in as noise fed from a seeded PRNG (reproducible and resumable).
 */
export function hardConcreteGate(alpha: Tensor, logistic: Tensor): Tensor {
  const s = g.sigmoid(g.add(logistic, alpha));
  return g.clip(g.add(g.mul(s, STRETCH_RIGHT - STRETCH_LEFT), STRETCH_LEFT), 0, 1);
}

/** P(z ≠ 0) per gate: σ(α − log(−l/r)). Summed, it is the expected L0 norm. */
export const gateOpenProbability = (alpha: Tensor) => g.sigmoid(g.sub(alpha, L0_SHIFT));

/** The deterministic gate used after training: z = clip(σ(α)·(r − l) + l, 0, 1). */
export function expectedGateValue(alpha: number): number {
  const s = 1 / (1 + Math.exp(-alpha));
  return Math.min(1, Math.max(0, s * (STRETCH_RIGHT - STRETCH_LEFT) + STRETCH_LEFT));
}

/** Logistic noise log u − log(1 − u) for u ~ U(0, 1). */
export function fillLogisticNoise(out: Float32Array, uniform: () => number): Float32Array {
  for (let i = 0; i < out.length; i++) { const u = uniform(); out[i] = Math.log(u) - Math.log(1 - u); }
  return out;
}
