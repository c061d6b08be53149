/**
 * Small ONNX models for the runtime tests, built with onnx/writer.ts over the plain IR.
 */
import type { Initializer, OnnxGraph, OnnxNode, ValueInfo } from '../../src-main/onnx/ir.js';
import { encodeModel } from '../../src-main/onnx/writer.js';

let counter = 0;
function node(opType: string, inputs: string[], outputs: string[], attributes?: OnnxNode['attributes']): OnnxNode {
  const n: OnnxNode = { opType, inputs, outputs, name: `${opType}_${counter++}` };
  if (attributes) n.attributes = attributes;
  return n;
}

function f32(name: string, dims: number[], values: number[] | Float32Array): Initializer {
  return { name, dtype: 'float32', dims, data: Float32Array.from(values) };
}

function build(name: string, inputs: ValueInfo[], outputs: ValueInfo[], nodes: OnnxNode[], initializers: Initializer[]): Uint8Array {
  const g: OnnxGraph = { name, inputs, outputs, nodes, initializers };
  return encodeModel(g).bytes;
}

/** y = x @ A + b with x: float32[batch, 3], A: 3×2, b: 2. */
export const AFFINE = {
  A: [1, 2, 3, 4, 5, 6],
  b: [0.5, -1],
  model(): Uint8Array {
    return build(
      'affine',
      [{ name: 'x', dtype: 'float32', shape: ['batch', 3] }],
      [{ name: 'y', dtype: 'float32', shape: ['batch', 2] }],
      [node('MatMul', ['x', 'A'], ['xa']), node('Add', ['xa', 'b'], ['y'])],
      [f32('A', [3, 2], AFFINE.A), f32('b', [2], AFFINE.b)],
    );
  },
};

/**
 * A toy training step over state (w: float32[n], step: int32[]) and a batch x: float32[n]:
 *   loss = sum((w - x)^2); new_w = w - lr·(w - x); step_next = step + 1.
 * Looping it with a fixed x gives w_k = x + (1 - lr)^k (w_0 - x).
 */
export function toyStepModel(n: number, lr = 0.1): Uint8Array {
  return build(
    'toy_step',
    [
      { name: 'w', dtype: 'float32', shape: [n] },
      { name: 'step', dtype: 'int32', shape: [] },
      { name: 'x', dtype: 'float32', shape: [n] },
    ],
    [
      { name: 'loss', dtype: 'float32', shape: [] },
      { name: 'new_w', dtype: 'float32', shape: [n] },
      { name: 'step_next', dtype: 'int32', shape: [] },
    ],
    [
      node('Sub', ['w', 'x'], ['d']),
      node('Mul', ['d', 'd'], ['d2']),
      node('ReduceSum', ['d2'], ['loss'], { keepdims: { kind: 'int', value: 0 } }),
      node('Mul', ['d', 'lr'], ['upd']),
      node('Sub', ['w', 'upd'], ['new_w']),
      node('Add', ['step', 'one'], ['step_next']),
    ],
    [f32('lr', [], [lr]), { name: 'one', dtype: 'int32', dims: [], data: Int32Array.of(1) }],
  );
}

/** The binding that feeds the toy step's new state back. */
export const TOY_BINDING = { new_w: 'w', step_next: 'step' } as const;

/**
 * A heavy step: `layers` times h = tanh(h @ W) over h: float32[n, n] (2·n³ flops a layer),
 * then out = sum(h). Tanh keeps the values away from overflow and denormals.
 */
export function heavyModel(n: number, layers: number, seed = 1): Uint8Array {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const scale = Math.sqrt(3 / n) * 1.5;
  const W = new Float32Array(n * n);
  for (let i = 0; i < W.length; i++) W[i] = (rand() * 2 - 1) * scale;
  const nodes: OnnxNode[] = [];
  let h = 'x';
  for (let l = 0; l < layers; l++) {
    nodes.push(node('MatMul', [h, 'W'], [`m${l}`]), node('Tanh', [`m${l}`], [`h${l}`]));
    h = `h${l}`;
  }
  nodes.push(node('ReduceSum', [h], ['out'], { keepdims: { kind: 'int', value: 0 } }));
  return build(
    'heavy',
    [{ name: 'x', dtype: 'float32', shape: [n, n] }],
    [{ name: 'out', dtype: 'float32', shape: [] }],
    nodes,
    [f32('W', [n, n], W)],
  );
}

/** y = sign(x): Sign has no WebGPU kernel, so with CPU fallback disabled a WebGPU open fails. */
export function signModel(): Uint8Array {
  return build(
    'sign',
    [{ name: 'x', dtype: 'float32', shape: [3] }],
    [{ name: 'y', dtype: 'float32', shape: [3] }],
    [node('Sign', ['x'], ['y'])],
    [],
  );
}

/**
 * For the output-copy measurement: y = a + b over float32[n], and s = sum(y).
 * Fetching only s skips y's copy to JS; fetching y too pays for it.
 */
export function addSumModel(): Uint8Array {
  return build(
    'add_sum',
    [
      { name: 'a', dtype: 'float32', shape: ['n'] },
      { name: 'b', dtype: 'float32', shape: ['n'] },
    ],
    [
      { name: 'y', dtype: 'float32', shape: ['n'] },
      { name: 's', dtype: 'float32', shape: [] },
    ],
    [node('Add', ['a', 'b'], ['y']), node('ReduceSum', ['y'], ['s'], { keepdims: { kind: 'int', value: 0 } })],
    [],
  );
}
