/**
 * One training step as one graph: objective → reverse-mode gradients → AdamW, with the
 * trainable state and optimizer moments as inputs and their next values as outputs.
 */
import * as g from '../graph/index.js';
import type { Shape, Tensor } from '../graph/index.js';
import { topoSort } from '../graph/topo.js';
import { adamw, type AdamWConfig } from './adamw.js';

export interface Trainable {
  name: string;
  shape: Shape;
  /** Parameter group: one learning-rate input `lr.<group>` each. */
  group: string;
  decay: boolean;
  /** Trainables of one clip set share one gradient norm (adamw.ts; default: one global norm). */
  clipSet?: string;
}

export interface Objective {
  /** Scalar to minimise. */
  loss: Tensor;
  /** Extra scalar outputs reported each step (task loss, penalty, correct count, …). */
  metrics: Record<string, Tensor>;
}

export interface StepGraph {
  outputs: Record<string, Tensor>;
  /** Declared graph inputs: state (params, then moments), step, learning rates, then the rest. */
  inputs: Tensor[];
  /** Next-state output name → the state input it feeds on the next step. */
  stateBinding: Record<string, string>;
  /** Names of the scalar outputs: loss, gradNorm and the objective's metrics. */
  scalars: string[];
}

export const paramInput = (name: string) => `p.${name}`;
export const momentInputs = (name: string) => [`m.${name}`, `v.${name}`] as const;
export const nextName = (input: string) => `${input}.next`;

export function buildStepGraph(
  trainables: readonly Trainable[],
  objective: (param: (name: string) => Tensor, rootSecondMoment: (name: string) => Tensor) => Objective,
  optimizer: AdamWConfig,
): StepGraph {
  const params = new Map(trainables.map((t) => [t.name, g.input(paramInput(t.name), 'float32', t.shape)]));
  const param = (name: string) => {
    const p = params.get(name);
    if (!p) throw new Error(`objective asked for '${name}', which is not a trainable`);
    return p;
  };
  const moments = trainables.map((t) => momentInputs(t.name).map((n) => g.input(n, optimizer.moments ?? 'float32', t.shape)));
  const secondMoments = new Map(trainables.map((t, i) => [t.name, moments[i][1]]));
  // Adam's √v of a trainable as this step reads it (before its update), up to one factor
  // shared by all (float16 moments hold S·√v, adamw.ts): what the gradient's scale has been.
  const rootSecondMoment = (name: string) => {
    const v = secondMoments.get(name);
    if (!v) throw new Error(`objective asked for the moments of '${name}', which is not a trainable`);
    return optimizer.moments === 'float16' ? g.cast(v, 'float32') : g.sqrt(v);
  };
  const { loss, metrics } = objective(param, rootSecondMoment);
  if (loss.rank !== 0) throw new Error(`loss must be a scalar, got shape [${loss.shape}]`);

  const step = g.input('step', 'float32', []);
  const groups = [...new Set(trainables.map((t) => t.group))];
  const lr = new Map(groups.map((k) => [k, g.input(`lr.${k}`, 'float32', [])]));
  const grads = g.grad(loss, trainables.map((t) => param(t.name)));
  const { updates, gradNorm } = adamw(trainables.map((t, i) => ({
    param: param(t.name), grad: grads[i], m: moments[i][0], v: moments[i][1], lr: lr.get(t.group)!, decay: t.decay, clipSet: t.clipSet,
  })), step, optimizer);

  const outputs: Record<string, Tensor> = { loss, gradNorm, ...metrics };
  const stateBinding: Record<string, string> = {};
  trainables.forEach((t, i) => {
    const names = [paramInput(t.name), ...momentInputs(t.name)];
    const next = [updates[i].param, updates[i].m, updates[i].v];
    names.forEach((n, k) => { outputs[nextName(n)] = next[k]; stateBinding[nextName(n)] = n; });
  });
  const stateInputs = [...params.values(), ...moments.flat()];
  const fixed = new Set<Tensor>([...stateInputs, step, ...lr.values()]);
  const rest = topoSort(Object.values(outputs)).filter((t) => t.op === 'Input' && !fixed.has(t));
  return {
    outputs,
    inputs: [...stateInputs, step, ...lr.values(), ...rest],
    stateBinding,
    scalars: ['loss', 'gradNorm', ...Object.keys(metrics)],
  };
}
