/**
 * Hard-Concrete L0 gates for diff pruning (Louizos et al. 2018, as Guo et al. 2021 use
 * them): per-parameter gate logits α, stretched to (l, r) = (−1.5, 1.5) and clipped to [0, 1].
 */
import * as g from '../graph/index.js';
import type { Tensor } from '../graph/index.js';
import { fromHalf, toHalf } from '../onnx/float16.js';
import type { Rng } from '../util/rng.js';

export const STRETCH_LEFT = -1.5;
export const STRETCH_RIGHT = 1.5;
/** log(−l/r): the shift inside the expected-L0 sigmoid. */
export const L0_SHIFT = Math.log(-STRETCH_LEFT / STRETCH_RIGHT);
/** r − l: the stretch, which a gate's caller multiplies in (see hardConcreteGate). */
export const GATE_STRETCH = STRETCH_RIGHT - STRETCH_LEFT;

/**
 * z = min(1, max(0, s·(r − l) + l)) with s = σ(L + α) and L = log(u / (1 − u)) logistic noise,
 * written as z = (r − l)·c with c = clip(s + l/(r − l), 0, 1/(r − l)): the same value, and
 * the stretch (r − l) becomes a scalar factor the caller folds into another one (the group
 * gate, or its own scale), so a gate costs two fewer parameter-sized passes. L comes in
 * drawn from a table (fillGateNoise) in float16, not as u: ORT's Log was the dearest pass of the step.
 * One op (graph's ClippedSigmoid), which keeps only c for the gradient; float16 noise is widened
 * first. Returns c; z = GATE_STRETCH·c. No noise: the deterministic gate z̄ (L = 0, u = ½).
 */
export function hardConcreteGate(alpha: Tensor, noise?: Tensor): Tensor {
  const logit = noise ? g.add(noise.dtype === alpha.dtype ? noise : g.cast(noise, alpha.dtype), alpha) : alpha;
  return g.clippedSigmoid(logit, STRETCH_LEFT / GATE_STRETCH, 0, 1 / GATE_STRETCH);
}

/**
 * P(z ≠ 0) per gate: σ(α − log(−l/r)) (no subtraction where the shift is 0: l = −r). Summed, it
 * is the expected L0 norm; its gradient is recomputed from α, so no σ per gate is held from
 * the forward pass to the backward one.
 */
export const gateOpenProbability = (alpha: Tensor) => g.sigmoidRecomputed(L0_SHIFT === 0 ? alpha : g.sub(alpha, L0_SHIFT));

/** One gate z in JS, from its logit and its logistic noise L; L = 0 (u = ½) gives the deterministic gate. */
export function gateValue(alpha: number, noise = 0): number {
  const s = 1 / (1 + Math.exp(-(noise + alpha)));
  return Math.min(1, Math.max(0, s * GATE_STRETCH + STRETCH_LEFT));
}

/** Levels of the quantised uniform behind the gate noise: one 16-bit draw each. */
const NOISE_LEVELS = 2 ** 16;
/**
 * L = log(u / (1 − u)) at u = (k + ½)/2¹⁶, k = 0 … 2¹⁶ − 1, rounded once to float16 (binary16
 * bit patterns). Step graphs take their gate noise in float16 and widen it where it is read,
 * so a step's noise costs the host 2 bytes a gate, not 4 (BERT-base: 209 MiB less). A gate's
 * events are thresholds on L (z > 0 iff L > −α; z = 1 iff L ≥ log 5 − α): on the 2¹⁶-level
 * grid each has its probability within 2⁻¹⁷ ≈ 7.6e-6 of the continuous one, and float16's
 * rounding (at most half of 2⁻⁹ for |L| < 4, where the logistic density is at most ¼) moves it
 * by at most 1.1e-4 more; |L| ≤ log(2¹⁷ − 1) ≈ 11.8.
 */
export const LOGISTIC_NOISE_HALF = Uint16Array.from({ length: NOISE_LEVELS }, (_, k) => {
  const u = (k + 0.5) / NOISE_LEVELS;
  return toHalf(Math.log(u) - Math.log1p(-u));
});
/** The same table as the numbers a step computes with (float16 widened: exact). */
export const LOGISTIC_NOISE = Float32Array.from(LOGISTIC_NOISE_HALF, fromHalf);

/** Gate noise as a step graph takes it (float16 bits): logistic draws, two per 32-bit output of the generator. */
export const fillGateNoise = (out: Uint16Array, rng: Rng): Uint16Array => rng.fillFromTable16(out, LOGISTIC_NOISE_HALF);

/** The same draws as numbers, for gates sampled in JS (the projection's). */
export const fillGateNoiseValues = (out: Float32Array, rng: Rng): Float32Array => rng.fillFromTable16(out, LOGISTIC_NOISE);
