/** From a DSL step graph to ONNX bytes and runtime feeds. */
import { lower, type NDArray } from '../graph/index.js';
import { toHalf } from '../onnx/float16.js';
import { encodeModel, type EncodedModel } from '../onnx/writer.js';
import type { HostTensor } from '../runtime/index.js';
import type { StepGraph } from './step-graph.js';

export function compileStep(step: StepGraph, name = 'train_step'): EncodedModel {
  return encodeModel(lower(step.outputs, { inputs: step.inputs, name }));
}

/** An interpreter array as a runtime tensor (floats narrowed to float32). */
export function toHost(x: NDArray): HostTensor {
  const dims = [...x.shape];
  switch (x.dtype) {
    case 'float32': return { dtype: 'float32', dims, data: x.data instanceof Float32Array ? x.data : Float32Array.from(x.data) };
    case 'float64': return { dtype: 'float64', dims, data: x.data instanceof Float64Array ? x.data : Float64Array.from(x.data) };
    case 'int32': return { dtype: 'int32', dims, data: x.data as Int32Array };
    case 'bool': return { dtype: 'bool', dims, data: x.data as Uint8Array };
    case 'float16': return { dtype: 'float16', dims, data: x.data instanceof Uint16Array ? x.data : Uint16Array.from(x.data, toHalf) };
  }
}

export const toHostAll = (xs: Record<string, NDArray>): Record<string, HostTensor> =>
  Object.fromEntries(Object.entries(xs).map(([k, v]) => [k, toHost(v)]));
