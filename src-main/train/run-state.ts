/**
 * Views of a run's carried state (step-graph inputs `p.*`, moments, masks): the tensors
 * under a prefix, and the weights θ + δ the state stands for at a point of a phase.
 */
import type { BaseModel } from '../model/base.js';
import type { WeightTensor } from '../model/weights.js';
import type { CheckpointTensor } from './checkpoint.js';
import { diffName, gateName, groupGateName } from './diff-params.js';
import { initialModules, maskName, type Method, type PhaseKind } from './methods.js';
import type { ModuleSpec } from '../model/modules.js';
import { expectedDiff, gatedDelta, type TensorMap } from './projection.js';
import { Rng } from '../util/rng.js';
import { gateValue } from './hard-concrete.js';
import type { HostTensor } from '../runtime/index.js';
import type { MomentType } from './adamw.js';
import { momentInputs, paramInput, type Trainable } from './step-graph.js';

export type RunState = Map<string, CheckpointTensor>;

/** A parameter's or mask's values: those are float32 (only Adam moments may be float16). */
export function f32Of(t: CheckpointTensor): Float32Array {
  if (!(t.data instanceof Float32Array)) throw new TypeError('run state: a parameter or mask is float32, this tensor is float16');
  return t.data;
}

/** A state tensor as the runtime takes it (no copy). */
export const hostOf = (t: CheckpointTensor): HostTensor =>
  t.data instanceof Uint16Array ? { dtype: 'float16', dims: t.dims, data: t.data } : { dtype: 'float32', dims: t.dims, data: t.data };

/** The runtime's state tensor (float32 or float16) as run state (no copy). */
export function stateOf(t: HostTensor): CheckpointTensor {
  if (!(t.data instanceof Float32Array || t.data instanceof Uint16Array)) throw new TypeError(`run state: ${t.dtype} is not a state type`);
  return { dims: [...t.dims], data: t.data };
}

/** Parameters `p.<prefix><base tensor name>` of the state, keyed by the base tensor's name, in the base's order. */
export function tensorsOf(base: BaseModel, state: RunState, prefix: string): TensorMap {
  const out: TensorMap = new Map();
  for (const n of base.weights.keys()) { const t = state.get(paramInput(prefix + n)); if (t) out.set(n, f32Of(t)); }
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
    deltas = new Map([...tensorsOf(base, state, diffName(''))].map(([n, w]) => [n, Float32Array.from(w, (v, i) => v * f32Of(state.get(maskName(n))!)[i])]));
  }
  if (deltas) {
    // θ + δ written over δ's own array (made here for this): one base-sized set, not two (BERT-base: 418 MiB).
    for (const [n, d] of deltas) {
      const b = base.weights.get(n)!;
      for (let i = 0; i < d.length; i++) {
        if (d[i] !== 0) nonzeros++;
        d[i] += b.data[i];
      }
      weights.set(n, { dims: b.dims, data: d });
    }
  } else {
    for (const [n, t] of tensorsOf(base, state, '')) weights.set(n, { dims: base.weights.get(n)!.dims, data: t });
  }
  // The head and a module method's module tensors (model/modules.ts) under their own names.
  const own = ['head.', 'lora.', 'adapter.'].map(paramInput), prefix = paramInput('').length;
  for (const [n, t] of state) if (own.some((p) => n.startsWith(p))) weights.set(n.slice(prefix), { dims: t.dims, data: f32Of(t) });
  return { weights, nonzeros };
}

/** The nonzeros of δ that currentWeights counts, without building δ (a dev evaluation builds θ + δ in its graph: phase-eval.ts). */
export function diffNonzeros(base: BaseModel, method: Method, kind: PhaseKind, state: RunState): number {
  if (kind === 'dense') return 0;
  const structured = kind === 'l0' && method === 'diff-structured';
  const alphas = kind === 'l0' ? tensorsOf(base, state, gateName('')) : undefined, groups = structured ? tensorsOf(base, state, groupGateName('')) : undefined;
  let nonzeros = 0;
  for (const [n, w] of tensorsOf(base, state, diffName(''))) {
    if (kind === 'mask') {
      const m = f32Of(state.get(maskName(n))!);
      for (let i = 0; i < w.length; i++) if (w[i] !== 0 && m[i] !== 0) nonzeros++;
      continue;
    }
    const a = alphas!.get(n)!, zg = groups ? gateValue(groups.get(n)![0]) : 1;
    for (let i = 0; i < w.length; i++) if (w[i] !== 0 && Math.fround(gatedDelta(a[i], zg, w[i])) !== 0) nonzeros++;
  }
  return nonzeros;
}

/**
 * Parameters and zero moments of a phase's first step: the head carried in `prev` (or
 * initialised N(0, 0.02²) from the seed, biases 0), dense base tensors from the base, gate
 * logits at α₀, diffs from `diffInit` (the projection's kept values, taken over, not copied)
 * or 0, module tensors at their papers' initialisation (from the seed too).
 */
export function initialPhaseState(base: BaseModel, trainables: readonly Trainable[], o: { seed: number; alphaInit: number; moments: MomentType; module?: ModuleSpec },
  prev?: RunState, diffInit?: TensorMap): RunState {
  const rng = new Rng(o.seed + 3);
  const modules = o.module ? initialModules(base, o.module, new Rng(o.seed + 5)) : {};
  const out: RunState = new Map();
  for (const t of trainables) {
    const dims = t.shape as number[], n = dims.reduce((a, b) => a * b, 1);
    let data: Float32Array;
    if (t.group === 'head') data = (prev?.has(paramInput(t.name)) ? f32Of(prev.get(paramInput(t.name))!).slice() : undefined) ?? (t.name.endsWith('.b') ? new Float32Array(n) : rng.fillNormal(new Float32Array(n), 0.02) as Float32Array);
    else if (base.weights.has(t.name)) data = base.weights.get(t.name)!.data.slice();
    else if (modules[t.name]) data = modules[t.name];
    else if (t.group === 'gates') data = new Float32Array(n).fill(o.alphaInit);
    else data = diffInit?.get(t.name.slice(diffName('').length)) ?? new Float32Array(n);
    out.set(paramInput(t.name), { dims, data });
    for (const m of momentInputs(t.name)) out.set(m, { dims, data: o.moments === 'float16' ? new Uint16Array(n) : new Float32Array(n) });
  }
  return out;
}
