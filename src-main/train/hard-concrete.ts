/**
 * Hard-Concrete L0 gates for diff pruning (Louizos et al. 2018, as Guo et al. 2021 use
 * them): per-parameter gate logits α, stretched to (l, r) = (−1.5, 1.5) and clipped to [0, 1].
 */
import * as g from '../graph/index.js';
import type { Tensor } from '../graph/index.js';
import type { Rng } from './rng.js';

export const STRETCH_LEFT = -1.5;
export const STRETCH_RIGHT = 1.5;
/** log(−l/r): the shift inside the expected-L0 sigmoid. */
export const L0_SHIFT = Math.log(-STRETCH_LEFT / STRETCH_RIGHT);

/**
 * z = min(1, max(0, s·(r − l) + l)), s = σ(log(u / (1 − u)) + α), with u ~ U(0, 1) fed
 * as noise from a seeded PRNG (reproducible, resumable). The logistic transform of u runs
 * in the graph: filling millions of uniforms in JS is cheap, their logarithms are not.
 */
export function hardConcreteGate(alpha: Tensor, uniform: Tensor): Tensor {
  const s = g.sigmoid(g.add(g.log(g.div(uniform, g.sub(1, uniform))), alpha));
  return g.clip(g.add(g.mul(s, STRETCH_RIGHT - STRETCH_LEFT), STRETCH_LEFT), 0, 1);
}

/** P(z ≠ 0) per gate: σ(α − log(−l/r)). Summed, it is the expected L0 norm. */
export const gateOpenProbability = (alpha: Tensor) => g.sigmoid(g.sub(alpha, L0_SHIFT));

/** One gate in JS, as hardConcreteGate computes it; u = 0.5 gives the deterministic gate. */
export function gateValue(alpha: number, u = 0.5): number {
  const s = 1 / (1 + Math.exp(-(Math.log(u) - Math.log(1 - u) + alpha)));
  return Math.min(1, Math.max(0, s * (STRETCH_RIGHT - STRETCH_LEFT) + STRETCH_LEFT));
}

/** The deterministic gate used after training: z = clip(σ(α)·(r − l) + l, 0, 1). */
export const expectedGateValue = (alpha: number): number => gateValue(alpha);

/**
 * Uniform gate noise in (0, 1): (2k + 1)/2²⁴ for a random 23-bit k, exact in float32 and
 * never 0 or 1, so log u and log(1 − u) stay finite.
 */
export const fillGateNoise = (out: Float32Array, rng: Rng): Float32Array => rng.fillOpenUnitF32(out);
