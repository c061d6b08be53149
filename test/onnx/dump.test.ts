import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OnnxGraph } from '../../src-main/onnx/ir.js';
import { dumpGraph, formatFloat } from '../../src-main/onnx/dump.js';
import { decodeModel } from '../../src-main/onnx/reader.js';
import { encodeModel } from '../../src-main/onnx/writer.js';

function sampleGraph(): OnnxGraph {
  return {
    name: 'sample',
    docString: 'forward only',
    inputs: [
      { name: 'ids', dtype: 'int32', shape: ['batch', 'seq'] },
      { name: 'x', dtype: 'float32', shape: ['batch', 'seq', 4] },
    ],
    outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', 'seq', 3] }, { name: 'loss', dtype: 'float32', shape: [] }],
    nodes: [
      { opType: 'MatMul', inputs: ['x', 'w'], outputs: ['xw'], name: 'mm', attributes: {} },
      {
        opType: 'Gemm', inputs: ['a', 'b', ''], outputs: ['g'], name: '',
        attributes: { transA: { kind: 'int', value: 1 }, alpha: { kind: 'float', value: 1 }, beta: { kind: 'float', value: 1e-5 } },
      },
      { opType: 'Pad', inputs: ['g', 'pads'], outputs: ['p'], name: 'pad', attributes: { mode: { kind: 'string', value: 'constant' } } },
      {
        opType: 'Constant', inputs: [], outputs: ['k'], name: 'k',
        attributes: { value: { kind: 'tensor', value: { name: 'kv', dtype: 'int64', dims: [2], data: new BigInt64Array([1n, -1n]) } } },
      },
      { opType: 'Transpose', inputs: ['p'], outputs: ['t'], name: 't', attributes: { perm: { kind: 'ints', value: [1, 0] } } },
      { opType: 'Dropout', inputs: ['t'], outputs: ['y', ''], name: 'drop', attributes: { ratios: { kind: 'floats', value: [0.5, 2] } } },
      { opType: 'FusedThing', inputs: ['y'], outputs: ['loss', 'aux'], name: 'ft', domain: 'com.microsoft' },
    ],
    initializers: [
      { name: 'w', dtype: 'float32', dims: [4, 3], data: Float32Array.from({ length: 12 }, (_, i) => (i - 4) / 8) },
      { name: 'pads', dtype: 'int64', dims: [4], data: new BigInt64Array([0n, 1n, 0n, 1n]) },
      { name: 'steps', dtype: 'int64', dims: [8], data: BigInt64Array.from({ length: 8 }, (_, i) => BigInt(i * 3 - 5)) },
      { name: 'half', dtype: 'float16', dims: [3], data: new Uint16Array([0x3c00, 0xc100, 0x7c00]) },
      { name: 'mask', dtype: 'bool', dims: [2, 2], data: new Uint8Array([1, 0, 0, 1]) },
      { name: 'empty', dtype: 'int32', dims: [0], data: new Int32Array(0) },
    ],
    valueInfo: [{ name: 'xw', dtype: 'float32', shape: ['batch', 'seq', 3] }],
  };
}

const GOLDEN = `graph sample
  # forward only
inputs:
  %ids: int32[batch, seq]
  %x: float32[batch, seq, 4]
outputs:
  %y: float32[batch, seq, 3]
  %loss: float32[]
initializers:
  %w: float32[4, 3] (12 values, min -0.5, max 0.875, mean 0.1875) [-0.5, -0.375, -0.25, -0.125, 0.0, 0.125, ...]
  %pads: int64[4] [0, 1, 0, 1]
  %steps: int64[8] (8 values, min -5, max 16) [-5, -2, 1, 4, 7, 10, ...]
  %half: float16[3] [1.0, -2.5, Infinity]
  %mask: bool[2, 2] [1, 0, 0, 1]
  %empty: int32[0] []
value_info:
  %xw: float32[batch, seq, 3]
nodes:
  %xw = MatMul(%x, %w)  # mm
  %g = Gemm(%a, %b, _) {alpha=1.0, beta=1e-5, transA=1}
  %p = Pad(%g, %pads) {mode="constant"}  # pad
  %k = Constant() {value=tensor int64[2] [1, -1]}  # k
  %t = Transpose(%p) {perm=[1, 0]}  # t
  %y, _ = Dropout(%t) {ratios=[0.5, 2.0]}  # drop
  %loss, %aux = com.microsoft::FusedThing(%y)  # ft
`;

test('dump matches the golden text', () => {
  assert.equal(dumpGraph(sampleGraph()), GOLDEN);
});

test('dump of a decoded model equals the dump of the graph it came from', () => {
  const g = sampleGraph();
  assert.equal(dumpGraph(decodeModel(encodeModel(g).bytes)), dumpGraph(g));
});

test('floats print with float32 precision and always look like floats', () => {
  assert.deepEqual(
    [1, 0.1, Math.fround(0.1), Math.fround(1e-5), -2.5e20, 123456.7, NaN, -Infinity].map(formatFloat),
    ['1.0', '0.1', '0.1', '1e-5', '-2.5e+20', '123456.7', 'NaN', '-Infinity'],
  );
});
