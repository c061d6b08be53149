/**
 * Views of a run's carried state (step-graph inputs `p.*`, moments, masks): the tensors
 * under a prefix, and the weights θ + δ the state stands for at a point of a phase.
 */
import type { BaseModel } from '../model/base.js';
import type { WeightTensor } from '../model/weights.js';
import type { CheckpointTensor } from './checkpoint.js';
import { diffName, gateName, groupGateName } from './diff-params.js';
import { maskName, type Method, type PhaseKind } from './methods.js';
import { expectedDiff, type TensorMap } from './projection.js';
import { paramInput } from './step-graph.js';

export type RunState = Map<string, CheckpointTensor>;

/** Parameters `p.<prefix><base tensor name>` of the state, keyed by the base tensor's name, in the base's order. */
export function tensorsOf(base: BaseModel, state: RunState, prefix: string): TensorMap {
  const out: TensorMap = new Map();
  for (const n of base.weights.keys()) { const t = state.get(paramInput(prefix + n)); if (t) out.set(n, t.data); }
  return out;
}

/** θ + δ for the adapted tensors at this point of a phase (L0: with the deterministic gates), and the head. */
export function currentWeights(base: BaseModel, method: Method, kind: PhaseKind, state: RunState): { weights: Map<string, WeightTensor>; nonzeros: number } {
  const weights = new Map<string, WeightTensor>();
  let nonzeros = 0;
  let deltas: TensorMap | undefined;
  if (kind === 'l0') {
    const structured = method === 'diff-structured';
    deltas = expectedDiff(tensorsOf(base, state, diffName('')), tensorsOf(base, state, gateName('')), structured ? tensorsOf(base, state, groupGateName('')) : undefined);
  } else if (kind === 'mask') {
    deltas = new Map([...tensorsOf(base, state, diffName(''))].map(([n, w]) => [n, Float32Array.from(w, (v, i) => v * state.get(maskName(n))!.data[i])]));
  }
  if (deltas) {
    for (const [n, d] of deltas) {
      const b = base.weights.get(n)!;
      for (const v of d) if (v !== 0) nonzeros++;
      weights.set(n, { dims: b.dims, data: Float32Array.from(b.data, (x, i) => x + d[i]) });
    }
  } else {
    for (const [n, t] of tensorsOf(base, state, '')) weights.set(n, { dims: base.weights.get(n)!.dims, data: t });
  }
  const head = paramInput('head.'), prefix = paramInput('').length;
  for (const [n, t] of state) if (n.startsWith(head)) weights.set(n.slice(prefix), { dims: t.dims, data: t.data });
  return { weights, nonzeros };
}
