// Models from the writer, loaded and run by ONNX Runtime (CPU EP), checked against numbers
// computed here in float64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Initializer, OnnxGraph, OnnxNode } from '../../src-main/onnx/ir.js';
import { encodeModel } from '../../src-main/onnx/writer.js';
import { OPSET } from '../../src-main/onnx/opset.js';
import { ort } from '../../src-main/runtime/ort.js';

type Feeds = Record<string, InstanceType<typeof ort.Tensor>>;

async function run(graph: OnnxGraph, feeds: Feeds, options: { externalDataPath?: string } = {}) {
  const { bytes, externalData } = encodeModel(graph, options);
  const session = await ort.InferenceSession.create(bytes, { externalData });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

function ramp(n: number, scale = 1, phase = 0): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 0.7 + phase) * scale));
}

/** erf to ~1e-15 (series / continued fraction), for the exact-Gelu reference. */
function erf(x: number): number {
  const t = Math.abs(x);
  let r: number;
  if (t < 2.5) {
    let term = t, sum = t;
    for (let n = 1; n < 60; n++) { term *= (-t * t) / n; sum += term / (2 * n + 1); }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    let cf = 0;
    for (let n = 60; n >= 1; n--) cf = (n / 2) / (t + cf);
    r = 1 - Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + cf);
  }
  return x < 0 ? -r : r;
}
const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    assert.ok(err <= tol * (1 + Math.abs(expected[i])), `[${i}] ${actual[i]} vs ${expected[i]}`);
  }
}

const f32 = (name: string, dims: number[], data: Float32Array): Initializer => ({ name, dtype: 'float32', dims, data });

test(`ORT loads opset ${OPSET} with MatMul + Add + Gelu and computes the right numbers`, async () => {
  const [B, K, N] = [3, 5, 4];
  const x = ramp(B * K, 2), w = ramp(K * N, 1, 1), b = ramp(N, 0.5, 2);
  const graph: OnnxGraph = {
    name: 'mlp',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', K] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', N] }, { name: 'y_tanh', dtype: 'float32', shape: ['batch', N] }],
    nodes: [
      { opType: 'MatMul', inputs: ['x', 'w'], outputs: ['xw'], name: 'mm' },
      { opType: 'Add', inputs: ['xw', 'b'], outputs: ['h'], name: 'add' },
      { opType: 'Gelu', inputs: ['h'], outputs: ['y'], name: 'gelu' },
      { opType: 'Gelu', inputs: ['h'], outputs: ['y_tanh'], name: 'gelu_tanh', attributes: { approximate: { kind: 'string', value: 'tanh' } } },
    ],
    initializers: [f32('w', [K, N], w), f32('b', [N], b)],
  };
  const out = await run(graph, { x: new ort.Tensor('float32', x, [B, K]) });
  const h = Array.from({ length: B * N }, (_, i) => {
    const [r, c] = [Math.floor(i / N), i % N];
    let s = b[c];
    for (let k = 0; k < K; k++) s += x[r * K + k] * w[k * N + c];
    return s;
  });
  assert.deepEqual(out.y.dims, [B, N]);
  assertClose(out.y.data as Float32Array, h.map(gelu));
  const geluTanh = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
  assertClose(out.y_tanh.data as Float32Array, h.map(geluTanh));
});

test('LayerNormalization (float epsilon, int axis attributes) runs at the pinned opset', async () => {
  const [R, D] = [2, 6];
  const x = ramp(R * D, 3), scale = ramp(D, 1, 0.3), bias = ramp(D, 0.2, 1.1);
  const graph: OnnxGraph = {
    name: 'ln',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['rows', D] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: ['rows', D] }],
    nodes: [{
      opType: 'LayerNormalization', inputs: ['x', 'scale', 'bias'], outputs: ['y'], name: 'ln',
      attributes: { axis: { kind: 'int', value: -1 }, epsilon: { kind: 'float', value: 1e-3 } },
    }],
    initializers: [f32('scale', [D], scale), f32('bias', [D], bias)],
  };
  const out = await run(graph, { x: new ort.Tensor('float32', x, [R, D]) });
  const expected: number[] = [];
  for (let r = 0; r < R; r++) {
    const row = Array.from(x.subarray(r * D, (r + 1) * D));
    const mean = row.reduce((a, v) => a + v, 0) / D;
    const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / D;
    row.forEach((v, i) => expected.push(((v - mean) / Math.sqrt(variance + Math.fround(1e-3))) * scale[i] + bias[i]));
  }
  assertClose(out.y.data as Float32Array, expected);
});

test('Gather with int32 ids from an embedding initializer', async () => {
  const [V, D] = [7, 3];
  const table = ramp(V * D, 1, 0.5);
  const ids = new Int32Array([6, 0, 3, 3, -1, 2]); // -1 counts from the end
  const graph: OnnxGraph = {
    name: 'embed',
    inputs: [{ name: 'ids', dtype: 'int32', shape: ['batch', 'seq'] }],
    outputs: [{ name: 'e', dtype: 'float32', shape: ['batch', 'seq', D] }],
    nodes: [{ opType: 'Gather', inputs: ['table', 'ids'], outputs: ['e'], name: 'g', attributes: { axis: { kind: 'int', value: 0 } } }],
    initializers: [f32('table', [V, D], table)],
  };
  const out = await run(graph, { ids: new ort.Tensor('int32', ids, [2, 3]) });
  assert.deepEqual(out.e.dims, [2, 3, D]);
  const expected = Array.from(ids).flatMap((id) => Array.from(table.subarray(((id + V) % V) * D, ((id + V) % V) * D + D)));
  assert.deepEqual(Array.from(out.e.data as Float32Array), expected);
});

test('ORT sees symbolic dims by name and fixed dims by size', async () => {
  const graph: OnnxGraph = {
    name: 'dims',
    inputs: [{ name: 'ids', dtype: 'int32', shape: ['batch', 'seq', 4] }],
    outputs: [{ name: 'out', dtype: 'int32', shape: ['batch', 'seq', 4] }],
    nodes: [{ opType: 'Identity', inputs: ['ids'], outputs: ['out'], name: 'id' }],
    initializers: [],
  };
  const session = await ort.InferenceSession.create(encodeModel(graph).bytes);
  const [meta] = session.inputMetadata;
  assert.ok(meta.isTensor);
  assert.deepEqual([meta.name, meta.type, meta.shape], ['ids', 'int32', ['batch', 'seq', 4]]);
  await session.release();
});

test('initializers of every dtype reach ORT intact (Cast to float32)', async () => {
  const inits: Initializer[] = [
    { name: 'f64', dtype: 'float64', dims: [3], data: new Float64Array([1.25, -2.5, 1e6]) },
    { name: 'i32', dtype: 'int32', dims: [3], data: new Int32Array([-7, 0, 65536]) },
    { name: 'i64', dtype: 'int64', dims: [3], data: new BigInt64Array([-3n, 1n << 40n, 9n]) },
    { name: 'bool', dtype: 'bool', dims: [3], data: new Uint8Array([1, 0, 1]) },
    { name: 'f16', dtype: 'float16', dims: [3], data: new Uint16Array([0x3c00, 0xc100, 0x3555]) }, // 1, -2.5, ~0.3333
    { name: 'u8', dtype: 'uint8', dims: [3], data: new Uint8Array([0, 200, 255]) },
    { name: 'i8', dtype: 'int8', dims: [3], data: new Int8Array([-128, -1, 127]) },
  ];
  const expected: Record<string, number[]> = {
    f64: [1.25, -2.5, 1e6], i32: [-7, 0, 65536], i64: [-3, 2 ** 40, 9], bool: [1, 0, 1],
    f16: [1, -2.5, 0.333251953125], u8: [0, 200, 255], i8: [-128, -1, 127],
  };
  const graph: OnnxGraph = {
    name: 'dtypes',
    inputs: [],
    outputs: inits.map((t) => ({ name: `${t.name}_f`, dtype: 'float32', shape: [3] })),
    nodes: inits.map((t): OnnxNode => ({
      opType: 'Cast', inputs: [t.name], outputs: [`${t.name}_f`], name: `cast_${t.name}`, attributes: { to: { kind: 'int', value: 1 } },
    })),
    initializers: inits,
  };
  const out = await run(graph, {});
  for (const t of inits) assert.deepEqual(Array.from(out[`${t.name}_f`].data as Float32Array), expected[t.name], t.name);
});

test('Constant nodes carry every attribute kind into ORT', async () => {
  const graph: OnnxGraph = {
    name: 'consts',
    inputs: [],
    outputs: [
      { name: 'int', dtype: 'int64', shape: [] }, { name: 'ints', dtype: 'int64', shape: [3] },
      { name: 'float', dtype: 'float32', shape: [] }, { name: 'floats', dtype: 'float32', shape: [2] },
      { name: 'tensor', dtype: 'int32', shape: [2, 2] }, { name: 'perm', dtype: 'int32', shape: [2, 2] },
    ],
    nodes: [
      { opType: 'Constant', inputs: [], outputs: ['int'], name: 'c1', attributes: { value_int: { kind: 'int', value: -(2 ** 40) } } },
      { opType: 'Constant', inputs: [], outputs: ['ints'], name: 'c2', attributes: { value_ints: { kind: 'ints', value: [1, -2, 3] } } },
      { opType: 'Constant', inputs: [], outputs: ['float'], name: 'c3', attributes: { value_float: { kind: 'float', value: 0.375 } } },
      { opType: 'Constant', inputs: [], outputs: ['floats'], name: 'c4', attributes: { value_floats: { kind: 'floats', value: [1.5, -0.25] } } },
      {
        opType: 'Constant', inputs: [], outputs: ['tensor'], name: 'c5',
        attributes: { value: { kind: 'tensor', value: { name: 't', dtype: 'int32', dims: [2, 2], data: new Int32Array([1, 2, 3, 4]) } } },
      },
      { opType: 'Transpose', inputs: ['tensor'], outputs: ['perm'], name: 't', attributes: { perm: { kind: 'ints', value: [1, 0] } } },
    ],
    initializers: [],
  };
  const out = await run(graph, {});
  assert.deepEqual(out.int.data, new BigInt64Array([-(2n ** 40n)]));
  assert.deepEqual(out.ints.data, new BigInt64Array([1n, -2n, 3n]));
  assert.deepEqual(Array.from(out.float.data as Float32Array), [0.375]);
  assert.deepEqual(Array.from(out.floats.data as Float32Array), [1.5, -0.25]);
  assert.deepEqual(Array.from(out.perm.data as Int32Array), [1, 3, 2, 4]);
});

test('a large initializer stored as external data is fed through the externalData option', async () => {
  const [K, N] = [256, 96]; // 96 KiB weight: external; 384 B bias: inline
  const w = ramp(K * N, 0.1, 0.2), b = ramp(N, 1, 0.9);
  const graph: OnnxGraph = {
    name: 'external',
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, K] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [1, N] }],
    nodes: [
      { opType: 'MatMul', inputs: ['x', 'w'], outputs: ['xw'], name: 'mm' },
      { opType: 'Add', inputs: ['xw', 'b'], outputs: ['y'], name: 'add' },
    ],
    initializers: [f32('w', [K, N], w), f32('b', [N], b)],
  };
  const location = 'taskpack-onnx-test-external-weights.bin';
  const encoded = encodeModel(graph, { externalDataPath: location });
  assert.equal(encoded.externalData.length, 1);
  assert.ok(encoded.bytes.length < 2048, `model proto stays small (${encoded.bytes.length} B)`);

  const x = ramp(K, 1, 0.4);
  const out = await run(graph, { x: new ort.Tensor('float32', x, [1, K]) }, { externalDataPath: location });
  const expected = Array.from({ length: N }, (_, c) => {
    let s = b[c];
    for (let k = 0; k < K; k++) s += x[k] * w[k * N + c];
    return s;
  });
  assertClose(out.y.data as Float32Array, expected, 1e-4);

  // Without the option ORT looks for the file next to the process (cwd), where there is none.
  await assert.rejects(ort.InferenceSession.create(encoded.bytes), /External data path|does not exist|escapes/);
  // The path given to ORT must name the same file as `location`.
  await assert.rejects(
    ort.InferenceSession.create(encoded.bytes, { externalData: [{ path: 'other.bin', data: encoded.externalData[0].data }] }),
    /not found from the table/,
  );
});
