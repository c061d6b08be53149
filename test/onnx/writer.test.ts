import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Initializer, OnnxDType, OnnxGraph, TensorData } from '../../src-main/onnx/ir.js';
import {
  DEFAULT_EXTERNAL_THRESHOLD_BYTES,
  EXTERNAL_DATA_ALIGNMENT,
  encodeModel,
} from '../../src-main/onnx/writer.js';
import { decodeModel } from '../../src-main/onnx/reader.js';
import { DataLocation, ModelProto, type ModelMsg } from '../../src-main/onnx/proto.js';
import { IR_VERSION, OPSET, PRODUCER_NAME } from '../../src-main/onnx/opset.js';

function tinyGraph(): OnnxGraph {
  return {
    name: 'tiny',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 2] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', 2] }],
    nodes: [
      { opType: 'MatMul', inputs: ['x', 'w'], outputs: ['xw'], name: 'mm' },
      { opType: 'Add', inputs: ['xw', 'b'], outputs: ['h'], name: 'add' },
      { opType: 'Gelu', inputs: ['h'], outputs: ['y'], name: 'gelu', attributes: { approximate: { kind: 'string', value: 'none' } } },
    ],
    initializers: [
      { name: 'w', dtype: 'float32', dims: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
      { name: 'b', dtype: 'float32', dims: [2], data: new Float32Array([0.5, -0.5]) },
    ],
  };
}

/** A deterministic float32 fill, so tests need no seeded RNG library. */
function ramp(n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 0.7) * scale));
}

const bytesOf = (d: TensorData) => new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
const decodeMsg = (bytes: Uint8Array) => ModelProto.toObject(ModelProto.decode(bytes), { longs: Number }) as ModelMsg;

test('encoding is deterministic and matches the golden SHA-256', () => {
  const a = encodeModel(tinyGraph()).bytes;
  const b = encodeModel(tinyGraph()).bytes;
  assert.deepEqual(a, b);
  // Changes only when the wire format of the writer changes on purpose: update with care.
  const sha = createHash('sha256').update(a).digest('hex');
  assert.equal(sha, 'c9ebfd92c4cb40f96b614749500b288f86bb116d7b0580efc4cdcf11aefd9050');
});

test('encoded bytes own their ArrayBuffer (safe to transfer to a worker)', () => {
  const { bytes } = encodeModel(tinyGraph());
  assert.equal(bytes.constructor, Uint8Array);
  assert.equal(bytes.byteOffset, 0);
  assert.equal(bytes.buffer.byteLength, bytes.byteLength);
});

test('attribute order in the input object does not change the bytes', () => {
  const g1 = tinyGraph();
  const g2 = tinyGraph();
  g1.nodes[0].attributes = { b: { kind: 'int', value: 1 }, a: { kind: 'int', value: 2 } };
  g2.nodes[0].attributes = { a: { kind: 'int', value: 2 }, b: { kind: 'int', value: 1 } };
  assert.deepEqual(encodeModel(g1).bytes, encodeModel(g2).bytes);
  const names = decodeMsg(encodeModel(g1).bytes).graph!.node![0].attribute!.map((a) => a.name);
  assert.deepEqual(names, ['a', 'b']);
});

test('model header: IR version, producer, default-domain opset first', () => {
  const g = tinyGraph();
  g.nodes.push({ opType: 'FastGelu', inputs: ['y'], outputs: ['z'], name: 'fg', domain: 'com.microsoft' });
  const msg = decodeMsg(encodeModel(g).bytes);
  assert.equal(msg.ir_version, IR_VERSION);
  assert.equal(msg.producer_name, PRODUCER_NAME);
  assert.deepEqual(msg.opset_import, [{ domain: '', version: OPSET }, { domain: 'com.microsoft', version: 1 }]);
  g.nodes[3].domain = 'org.example';
  assert.throws(() => encodeModel(g), /domain 'org.example' has no pinned opset/);
});

test('decode(encode(g)) equals g, including value_info and doc string', () => {
  const g: OnnxGraph = {
    ...tinyGraph(),
    valueInfo: [{ name: 'h', dtype: 'float32', shape: ['batch', 2] }],
    docString: 'one training step',
  };
  g.nodes.push({ opType: 'FastGelu', inputs: ['y', ''], outputs: ['z'], name: 'fg', domain: 'com.microsoft' });
  assert.deepEqual(decodeModel(encodeModel(g).bytes), g);
});

test('every dtype round-trips bit for bit, incl. NaN, -0, extremes and empty tensors', () => {
  const samples: Record<OnnxDType, TensorData> = {
    float32: new Float32Array([0, -0, 1.5, -3.25e-8, Infinity, -Infinity, NaN, 3.4028234663852886e38]),
    float64: new Float64Array([Math.PI, -0, Number.MIN_VALUE, Number.MAX_VALUE, NaN, -Infinity]),
    int32: new Int32Array([0, 1, -1, 2147483647, -2147483648, 42]),
    int64: new BigInt64Array([0n, -1n, 9223372036854775807n, -9223372036854775808n, 1n << 40n, 7n]),
    bool: new Uint8Array([1, 0, 0, 1, 1, 0]),
    float16: new Uint16Array([0x3c00, 0xbc00, 0x7c00, 0x7e00, 0x0001, 0x8000]),
    uint8: new Uint8Array([0, 1, 127, 128, 255, 7]),
    int8: new Int8Array([0, 1, -1, 127, -128, 5]),
  };
  const initializers: Initializer[] = [];
  for (const [dtype, data] of Object.entries(samples) as [OnnxDType, TensorData][]) {
    initializers.push({ name: dtype, dtype, dims: [2, data.length / 2], data });
    initializers.push({ name: `${dtype}_empty`, dtype, dims: [0, 3], data: new (data.constructor as Float32ArrayConstructor)(0) });
  }
  initializers.push({ name: 'scalar', dtype: 'int64', dims: [], data: new BigInt64Array([5n]) });
  const g: OnnxGraph = { name: 'dtypes', inputs: [], outputs: [], nodes: [], initializers };
  const back = decodeModel(encodeModel(g).bytes);
  assert.equal(back.initializers.length, initializers.length);
  back.initializers.forEach((t, i) => {
    const want = initializers[i];
    assert.deepEqual([t.name, t.dtype, t.dims], [want.name, want.dtype, want.dims]);
    assert.equal(t.data.constructor, want.data.constructor, t.name);
    assert.deepEqual(bytesOf(t.data), bytesOf(want.data), t.name);
  });
});

test('raw_data is little-endian: float32 1.0 is 00 00 80 3f', () => {
  const g: OnnxGraph = { name: 'le', inputs: [], outputs: [], nodes: [], initializers: [{ name: 'one', dtype: 'float32', dims: [1], data: new Float32Array([1]) }] };
  const raw = decodeMsg(encodeModel(g).bytes).graph!.initializer![0].raw_data!;
  assert.deepEqual([...raw], [0x00, 0x00, 0x80, 0x3f]);
});

test('symbolic and fixed dims, scalars and every value dtype survive', () => {
  const dtypes: OnnxDType[] = ['float32', 'float64', 'int32', 'int64', 'bool', 'float16', 'uint8', 'int8'];
  const g: OnnxGraph = {
    name: 'dims',
    inputs: dtypes.map((dtype, i) => ({ name: `in_${dtype}`, dtype, shape: ['batch', i, 'seq_len', 0] })),
    outputs: [{ name: 'scalar', dtype: 'float32', shape: [] }],
    nodes: [],
    initializers: [],
  };
  assert.deepEqual(decodeModel(encodeModel(g).bytes), g);
  const dim = decodeMsg(encodeModel(g).bytes).graph!.input![0].type!.tensor_type!.shape!.dim!;
  assert.deepEqual(dim, [{ dim_param: 'batch' }, { dim_value: 0 }, { dim_param: 'seq_len' }, { dim_value: 0 }]);
  // A scalar output still carries an (empty) shape: absent would mean "rank unknown".
  assert.deepEqual(decodeMsg(encodeModel(g).bytes).graph!.output![0].type!.tensor_type!.shape, {});
});

test('attributes of each kind round-trip', () => {
  const g = tinyGraph();
  g.nodes[0].attributes = {
    i: { kind: 'int', value: -7 },
    big: { kind: 'int', value: Number.MAX_SAFE_INTEGER },
    f: { kind: 'float', value: 0.125 },
    inf: { kind: 'float', value: -Infinity },
    s: { kind: 'string', value: 'grüße ✓' },
    empty: { kind: 'string', value: '' },
    is: { kind: 'ints', value: [0, -1, 2 ** 40] },
    fs: { kind: 'floats', value: [1.5, -2.25, 1e-3].map(Math.fround) },
    none: { kind: 'ints', value: [] },
    t: { kind: 'tensor', value: { name: 'c', dtype: 'int64', dims: [2], data: new BigInt64Array([3n, -4n]) } },
  };
  assert.deepEqual(decodeModel(encodeModel(g).bytes), g);
});

test('float attributes are stored as float32', () => {
  const g = tinyGraph();
  g.nodes[0].attributes = { epsilon: { kind: 'float', value: 1e-5 } };
  const back = decodeModel(encodeModel(g).bytes).nodes[0].attributes!.epsilon;
  assert.deepEqual(back, { kind: 'float', value: Math.fround(1e-5) });
});

test('bad input is refused with a message that names the culprit', () => {
  const bad = (mutate: (g: OnnxGraph) => void, pattern: RegExp) => {
    const g = tinyGraph();
    mutate(g);
    assert.throws(() => encodeModel(g), pattern);
  };
  bad((g) => { g.initializers[0].dims = [3, 2]; }, /'w'.*hold 6 elements, data has 4/);
  bad((g) => { g.initializers[0].data = new Float64Array(4); }, /'w'.*needs a Float32Array/);
  bad((g) => { g.initializers[1].name = 'w'; }, /duplicate initializer name/);
  bad((g) => { g.nodes[0].attributes = { k: { kind: 'int', value: 2 ** 63 } }; }, /not a safe integer/);
  bad((g) => { g.nodes[0].attributes = { k: { kind: 'int', value: 1.5 } }; }, /not a safe integer/);
  bad((g) => { g.inputs[0].shape = [-1, 2]; }, /bad dim -1/);
  bad((g) => { g.inputs[0].shape = ['', 2]; }, /empty name/);
  for (const path of ['', '/abs/w.bin', '../w.bin', './w.bin', 'a//b.bin', 'C:\\w.bin']) {
    assert.throws(() => encodeModel(tinyGraph(), { externalDataPath: path }), /externalDataPath/, path);
  }
});

test('external data: threshold, one blob, 64-byte aligned offsets, round trip', () => {
  const t = DEFAULT_EXTERNAL_THRESHOLD_BYTES;
  const g: OnnxGraph = {
    ...tinyGraph(),
    initializers: [
      { name: 'big_a', dtype: 'float32', dims: [t / 4 + 3], data: ramp(t / 4 + 3) }, // t + 12 bytes
      { name: 'small', dtype: 'float32', dims: [t / 4 - 1], data: ramp(t / 4 - 1) }, // t - 4 bytes: inline
      { name: 'exact', dtype: 'int8', dims: [t], data: new Int8Array(t).fill(-3) }, // exactly t: external
      { name: 'big_i64', dtype: 'int64', dims: [200], data: BigInt64Array.from({ length: 200 }, (_, i) => BigInt(i) - 100n) },
    ],
  };
  const { bytes, externalData } = encodeModel(g, { externalDataPath: 'weights/step.bin' });
  assert.equal(externalData.length, 1);
  assert.equal(externalData[0].path, 'weights/step.bin');

  const inits = decodeMsg(bytes).graph!.initializer!;
  const entries = inits.map((i) => Object.fromEntries((i.external_data ?? []).map((e) => [e.key, e.value])));
  assert.deepEqual(inits.map((i) => i.data_location ?? DataLocation.DEFAULT), [1, 0, 1, 1]);
  assert.deepEqual(inits.map((i) => i.raw_data?.length), [undefined, t - 4, undefined, undefined]);
  assert.deepEqual(entries[0], { location: 'weights/step.bin', offset: '0', length: String(t + 12) });
  const offsets = [entries[0], entries[2], entries[3]].map((e) => Number(e.offset));
  assert.deepEqual(offsets, [0, Math.ceil((t + 12) / 64) * 64, Math.ceil((t + 12) / 64) * 64 + t]);
  for (const o of offsets) assert.equal(o % EXTERNAL_DATA_ALIGNMENT, 0);
  assert.equal(externalData[0].data.length, offsets[2] + 1600);
  assert.ok(externalData[0].data.subarray(t + 12, offsets[1]).every((b) => b === 0), 'padding is zero');

  assert.deepEqual(decodeModel(bytes, externalData), g);
  assert.throws(() => decodeModel(bytes), /external data 'weights\/step.bin' was not provided/);
  const truncated = [{ path: 'weights/step.bin', data: externalData[0].data.subarray(0, 100) }];
  assert.throws(() => decodeModel(bytes, truncated), /does not fit/);

  // Same graph, same blob bytes; no path means everything inline.
  assert.deepEqual(encodeModel(g, { externalDataPath: 'weights/step.bin' }).externalData, externalData);
  assert.deepEqual(encodeModel(g).externalData, []);
  assert.deepEqual(encodeModel(g, { externalDataPath: 'w.bin', externalThresholdBytes: 1e9 }).externalData, []);
});

test('decodes tensors written with typed *_data fields (foreign writers)', () => {
  const msg: ModelMsg = {
    ir_version: 9,
    graph: {
      name: 'typed',
      initializer: [
        { name: 'f', dims: [2], data_type: 1, float_data: [1.5, -2] },
        { name: 'i', dims: [2], data_type: 7, int64_data: [-5, 6] },
        { name: 'b', dims: [3], data_type: 9, int32_data: [1, 0, 1] },
      ],
    },
  };
  const g = decodeModel(ModelProto.encode(msg).finish());
  assert.deepEqual(g.initializers.map((t) => [...t.data]), [[1.5, -2], [-5n, 6n], [1, 0, 1]]);
});
