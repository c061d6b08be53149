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
/** r − l: the stretch, which a gate's caller multiplies in (see hardConcreteGate). */
export const GATE_STRETCH = STRETCH_RIGHT - STRETCH_LEFT;

/**
 * z = min(1, max(0, s·(r − l) + l)) with s = σ(log(u / (1 − u)) + α), u ~ U(0, 1), written
 * as z = (r − l)·c with c = clip(s + l/(r − l), 0, 1/(r − l)): the same value, and the
 * stretch (r − l) becomes a scalar factor the caller folds into another one (the group
 * gate, or its own scale), so a gate costs two fewer parameter-sized passes. The noise
 * comes in as the odds u/(1 − u) (fillGateOdds): a division in JS instead of two passes
 * in the graph. Returns c; z = GATE_STRETCH·c.
 */
export function hardConcreteGate(alpha: Tensor, odds: Tensor): Tensor {
  const s = g.sigmoid(g.add(g.log(odds), alpha));
  return g.clip(g.add(s, STRETCH_LEFT / GATE_STRETCH), 0, 1 / GATE_STRETCH);
}

/** P(z ≠ 0) per gate: σ(α − log(−l/r)). Summed, it is the expected L0 norm. */
export const gateOpenProbability = (alpha: Tensor) => g.sigmoid(g.sub(alpha, L0_SHIFT));

/** One gate z in JS, from its logit and the odds of its uniform; odds 1 (u = ½) gives the deterministic gate. */
export function gateValue(alpha: number, odds = 1): number {
  const s = 1 / (1 + Math.exp(-(Math.log(odds) + alpha)));
  return Math.min(1, Math.max(0, s * GATE_STRETCH + STRETCH_LEFT));
}

/**
 * Gate noise: the odds u/(1 − u) of uniforms u = (2k + 1)/2²⁴ (Rng.fillOpenUnitF32), i.e.
 * (2k + 1)/(2²⁴ − 2k − 1), rounded once to float32: positive and finite, so log(odds) is too.
 */
export const fillGateOdds = (out: Float32Array, rng: Rng): Float32Array => rng.fillOpenUnitOddsF32(out);
