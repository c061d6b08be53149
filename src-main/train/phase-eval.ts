/**
 * What a dev evaluation of a diff-pruning phase feeds the inference graph: θ and the phase's
 * own state (w and α in the L0 phase, w and the mask in the fixed-mask phase) under their
 * state names, from which the graph builds θ + δ tensor by tensor as the layers read them
 * (the token table for its looked-up rows only, graph/gather-rows). On the host no base-sized
 * θ + δ is made: at BERT-base size that set (363 MiB) on top of the steps' heap was the run's
 * peak. Dense phases feed their trained tensors as they are.
 */
import type { Tensor } from '../graph/index.js';
import * as g from '../graph/index.js';
import type { ParamFn } from '../model/layers.js';
import type { PredictorParams } from '../infer/evaluate.js';
import { diffName, expectedGatedParam, gateName, groupGateName } from './diff-params.js';
import { maskName, type Method, type PhaseKind } from './methods.js';
import { paramInput } from './step-graph.js';

/** The inference graph's extra inputs and θ + δ over them for a phase's adapted tensors, or undefined (dense: the state's tensors are the weights). */
export function evaluationParams(method: Method, kind: PhaseKind, shapes: Record<string, number[]>, adapted: readonly string[]): PredictorParams | undefined {
  if (kind === 'dense') return undefined;
  const structured = method === 'diff-structured';
  const inputs: Record<string, number[]> = {};
  for (const n of adapted) {
    inputs[paramInput(diffName(n))] = shapes[n];
    if (kind === 'mask') inputs[maskName(n)] = shapes[n];
    else {
      inputs[paramInput(gateName(n))] = shapes[n];
      if (structured) inputs[paramInput(groupGateName(n))] = [1];
    }
  }
  const isAdapted = new Set(adapted);
  const wrap = (p: ParamFn): ParamFn => Object.assign((n: string): Tensor => {
    if (!isAdapted.has(n)) return p(n);
    const w = p(paramInput(diffName(n)));
    if (kind === 'mask') return g.add(p(n), g.mul(p(maskName(n)), w));
    return expectedGatedParam(p(n), w, p(paramInput(gateName(n))), structured ? p(paramInput(groupGateName(n))) : undefined);
  }, { site: p.site });
  return { shapes: inputs, wrap };
}
