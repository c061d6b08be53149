/**
 * Diff pruning's parameterisation (Guo, Rush & Kim 2021): each frozen base tensor θ gets a
 * dense trainable diff w and Hard-Concrete gate logits α, and the model sees
 *   θ_task = θ + z ⊙ w                       (unstructured)
 *   θ_task = θ + z ⊙ z^j ⊙ w                 (structured: one group gate per tensor)
 * with the expected-L0 penalty Σ σ(α − c); structured, either the paper's product
 * Σ_j σ(α^j − c)·Σ_{i∈j} σ(α_i − c) or the official code's sum Σ_j [Σ_{i∈j} σ(α_i − c) + σ(α^j − c)]
 * (dguo98/DiffPruning, run_glue_diffpruning.py), under which a group gate bears its own
 * penalty only, not its whole tensor's.
 *
 * Optionally each tensor's element penalty is scaled by s_τ = mean_τ √v / mean √v, with √v
 * Adam's running RMS of w's gradient (the mean over every w): a gate stays open while its
 * task pull, measured against its tensor's gradient scale as Adam measures w's steps,
 * outweighs λ. Unscaled, the pull ∝ |∂L/∂δ|·|w| favours tensors with large raw gradients
 * (the pooler, LayerNorm), where magnitude pruning after Adam ranks by |w| alone.
 */
import * as g from '../graph/index.js';
import type { Tensor } from '../graph/index.js';
import { GATE_STRETCH, gateOpenProbability, hardConcreteGate } from './hard-concrete.js';
import type { Trainable } from './step-graph.js';

export const STRUCTURED_PENALTIES = ['product', 'additive'] as const;
export type StructuredPenalty = (typeof STRUCTURED_PENALTIES)[number];

export interface DiffPruningOptions {
  structured: boolean;
  /** How a structured penalty combines a tensor's group gate with its element gates (default 'product'). */
  penalty?: StructuredPenalty;
  /** λ's factor for a base tensor's penalty (per-layer penalties; default 1). */
  penaltyWeight?: (name: string) => number;
  /** A trainable's gradient scale (Adam's √v, any positive factor common to all), read at w's name for the penalty's s_τ; none: 1. */
  gradientScale?: (trainable: string) => Tensor;
}

export const diffName = (n: string) => `diff.${n}`;
export const gateName = (n: string) => `gate.${n}`;
export const groupGateName = (n: string) => `groupgate.${n}`;
export const noiseName = (n: string) => `noise.${n}`;
export const groupNoiseName = (n: string) => `groupnoise.${n}`;

/** The trainables diff pruning adds for a set of base tensors. */
export function diffTrainables(shapes: Record<string, number[]>, o: DiffPruningOptions): Trainable[] {
  return Object.entries(shapes).flatMap(([n, shape]) => [
    { name: diffName(n), shape, group: 'diff', decay: false },
    { name: gateName(n), shape, group: 'gates', decay: false },
    ...(o.structured ? [{ name: groupGateName(n), shape: [1], group: 'gates', decay: false }] : []),
  ]);
}

export interface DiffPruned {
  /** θ_task for a base tensor. */
  param(name: string): Tensor;
  /** The L0 penalty before λ: the expected number of open gates (product form), or element and group gates counted apart (additive). */
  expectedL0: Tensor;
  /**
   * The expected number of nonzeros in δ: E[L0] less the open gates of lookup-table rows
   * whose w is still all zero (rows no batch has looked up get no gradient, and their
   * element gates' tiny penalty gradient hardly moves them). What the projection will see,
   * and what λ's schedule steers (lambda-schedule.ts).
   */
  expectedNonzeros: Tensor;
}

/** Σ of a tensor in two stages (rows first: see diffPruned). */
const sumAll = (t: Tensor, shape: readonly number[]) => g.reduceSum(shape.length > 1 ? g.reduceSum(t, -1) : t);

/** s_τ = mean_τ r / mean r for each tensor, r = gradientScale(τ) (1 while every r is 0, at the first step). */
function gradientScaleFactors(shapes: Record<string, number[]>, gradientScale: (name: string) => Tensor): (name: string) => Tensor {
  const sums = new Map(Object.entries(shapes).map(([n, shape]) => [n, sumAll(gradientScale(n), shape)]));
  const total = g.div([...sums.values()].reduce((a, b) => g.add(a, b)), Object.values(shapes).reduce((a, s) => a + g.sizeOf(s), 0));
  const tiny = 1e-30;
  return (n) => g.div(g.add(g.div(sums.get(n)!, g.sizeOf(shapes[n])), tiny), g.add(total, tiny));
}

/** Embedding tables looked up by row (both architectures name them `emb.*`, model/layers.ts). */
const isLookupTable = (n: string, shape: readonly number[]) => n.startsWith('emb.') && shape.length === 2;

/**
 * Builds θ + δ for each base tensor. `base(n)` is the frozen θ (a constant or an input);
 * `trainable(n)` looks up the step graph's trainable inputs. Gate noise comes in as inputs
 * `noise.<n>` (and `groupnoise.<n>`): logistic noise in float16 (hard-concrete.ts).
 *
 * Written for few parameter-sized passes and few tensors kept for the backward pass:
 * δ = (c ⊙ w)·k (one op, graph's GatedDiff) where c is the element gates' unstretched value
 * and k the scalar (r − l)·z^j (or r − l), and the
 * structured penalty multiplies σ(α^j − c) into each tensor's sum rather than into every
 * term, so its gradient with respect to α^j needs no parameter-sized pass.
 */
export function diffPruned(shapes: Record<string, number[]>, base: (n: string) => Tensor,
  trainable: (n: string) => Tensor, o: DiffPruningOptions): DiffPruned {
  const penalties: Tensor[] = [], nonzeros: Tensor[] = [];
  const params = new Map<string, Tensor>();
  const scaleOf = o.gradientScale && gradientScaleFactors(shapes, (n) => o.gradientScale!(diffName(n)));
  for (const [n, shape] of Object.entries(shapes)) {
    const alpha = trainable(gateName(n));
    const c = hardConcreteGate(alpha, g.input(noiseName(n), 'float16', shape));
    // Rows first, then their sums: ORT's float32 ReduceSum over millions of elements at once
    // drifts by ~1% (the reported E[L0]); two stages keep it to float32 rounding.
    const open = gateOpenProbability(alpha), w = trainable(diffName(n));
    const rowOpen = shape.length > 1 ? g.reduceSum(open, -1) : open;
    const counted = g.reduceSum(rowOpen);
    let expected = scaleOf ? g.mul(counted, scaleOf(n)) : counted;
    const table = isLookupTable(n, shape);
    let expectedNonzero = table ? g.reduceSum(g.mul(rowOpen, g.cast(g.greater(g.reduceSum(g.abs(w), -1), 0), 'float32'))) : counted;
    let stretch: Tensor = g.constant(GATE_STRETCH, alpha.dtype);
    if (o.structured) {
      const groupAlpha = trainable(groupGateName(n));
      const groupGate = hardConcreteGate(groupAlpha, g.input(groupNoiseName(n), 'float16', [1]));
      stretch = g.reduceSum(g.mul(groupGate, GATE_STRETCH * GATE_STRETCH));
      const groupOpen = g.reduceSum(gateOpenProbability(groupAlpha));
      expectedNonzero = g.mul(expectedNonzero, groupOpen);
      expected = o.penalty === 'additive' ? g.add(expected, groupOpen) : g.mul(expected, groupOpen);
    }
    const weight = o.penaltyWeight?.(n) ?? 1;
    penalties.push(weight === 1 ? expected : g.mul(expected, weight));
    nonzeros.push(expectedNonzero);
    params.set(n, g.add(base(n), g.gatedDiff(c, w, stretch)));
  }
  return {
    param: (n) => params.get(n) ?? (() => { throw new Error(`no base tensor '${n}'`); })(),
    expectedL0: penalties.reduce((a, b) => g.add(a, b)),
    expectedNonzeros: nonzeros.reduce((a, b) => g.add(a, b)),
  };
}

/**
 * θ + δ at the gates' deterministic value z̄ (gateValue with no noise; structured: times z̄^j),
 * built in the graph from θ, w and α: what a dev evaluation of an L0 state scores
 * (train/phase-eval.ts), the same value as run-state.ts's currentWeights up to float32 rounding.
 */
export function expectedGatedParam(base: Tensor, w: Tensor, alpha: Tensor, groupAlpha?: Tensor): Tensor {
  const stretch = groupAlpha ? g.mul(hardConcreteGate(groupAlpha), GATE_STRETCH * GATE_STRETCH) : g.constant(GATE_STRETCH, alpha.dtype);
  return g.add(base, g.gatedDiff(hardConcreteGate(alpha), w, stretch));
}
