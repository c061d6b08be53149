/**
 * Weights as graph inputs named by their canonical names: inference graphs take the base
 * (and head) tensors as feeds, so one compiled graph serves every task pack and the CPU
 * provider reads the Float32Arrays in place (zero-copy) — packs patch them, not the graph.
 */
import * as g from '../graph/index.js';
import type { Tensor } from '../graph/index.js';
import type { HostTensor } from '../runtime/index.js';
import type { ParamFn } from './layers.js';
import type { Weights } from './weights.js';

export interface ParamInputs {
  /** The lookup a model builder calls; creates each input once, on first use. */
  p: ParamFn;
  /** The inputs created so far (declare them when lowering). */
  created(): Tensor[];
}

/** A ParamFn over fixed shapes; an unknown name is an error, never a silent new input. */
export function paramInputs(shapes: Readonly<Record<string, readonly number[]>> | Weights): ParamInputs {
  const dims = (name: string): readonly number[] | undefined =>
    shapes instanceof Map ? (shapes as Weights).get(name)?.dims : (shapes as Record<string, readonly number[]>)[name];
  const made = new Map<string, Tensor>();
  return {
    p: (name) => {
      let t = made.get(name);
      if (!t) {
        const d = dims(name);
        if (!d) throw new Error(`no weight named '${name}'`);
        made.set(name, (t = g.input(name, 'float32', [...d])));
      }
      return t;
    },
    created: () => [...made.values()],
  };
}

/** Feeds for weight inputs: the tensors' own Float32Arrays, not copies. */
export function weightFeeds(weights: Weights, names?: Iterable<string>): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const name of names ?? weights.keys()) {
    const t = weights.get(name);
    if (!t) throw new Error(`no weight named '${name}'`);
    out[name] = { dtype: 'float32', dims: [...t.dims], data: t.data };
  }
  return out;
}
