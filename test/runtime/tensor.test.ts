import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostTensor, numel, scalarF32, scalarValue } from '../../src-main/runtime/index.js';
import { compact, forTransfer, fromWireError, toWireError } from '../../src-main/runtime/transfer.js';
import { identityModel, oneNodeModel } from '../../src-main/runtime/tiny-model.js';
import { openSession } from '../../src-main/runtime/index.js';

test('hostTensor checks the array type and the element count', () => {
  assert.deepEqual(hostTensor('int32', [2, 2], Int32Array.of(1, 2, 3, 4)).dims, [2, 2]);
  assert.throws(() => hostTensor('float32', [3], new Float64Array(3) as unknown as Float32Array), /float32 needs its own typed array/);
  assert.throws(() => hostTensor('bool', [2], new Uint8Array(3)), /hold 2 values, data has 3/);
  assert.equal(numel([]), 1);
  assert.equal(scalarValue(scalarF32(2.5)), 2.5);
  assert.equal(scalarValue(hostTensor('int64', [1], BigInt64Array.of(7n))), 7);
});

test('forTransfer: whole buffers are listed once, views are compacted', () => {
  const owner = new Float32Array(4);
  const pool = new ArrayBuffer(64);
  const view = new Int32Array(pool, 8, 2);
  const { tensors, transfer } = forTransfer({
    a: hostTensor('float32', [4], owner),
    b: hostTensor('float32', [4], owner),
    c: hostTensor('int32', [2], view),
  });
  assert.equal(tensors.a!.data, owner);
  assert.equal(transfer.length, 2, 'the shared buffer once, plus the compacted view');
  assert.notEqual(tensors.c!.data.buffer, pool);
  assert.equal(tensors.c!.data.buffer.byteLength, 8);
  assert.equal(compact(owner), owner);
});

test('errors survive the trip through a plain object', () => {
  const e = fromWireError(toWireError(new RangeError('bad dims')), 'step');
  assert.equal(e.name, 'RangeError');
  assert.equal(e.message, 'bad dims');
  assert.match(e.stack ?? '', /\[in runtime worker: step\]/);
  assert.equal(toWireError('plain').message, 'plain');
});

test('the hand-encoded one-node models load and run (bool, int64, float64 Identity; Add)', async () => {
  for (const [dtype, data] of [
    ['bool', Uint8Array.of(1, 0, 1)],
    ['int64', BigInt64Array.of(-5n, 0n, 1n << 40n)],
    ['float64', Float64Array.of(Math.PI, -0, 1e-300)],
  ] as const) {
    const s = await openSession(identityModel(dtype), { provider: 'cpu' });
    const { y } = await s.run({ x: hostTensor(dtype, [3], data as never) });
    assert.equal(y!.dtype, dtype);
    assert.deepEqual(Array.from(y!.data as ArrayLike<unknown>), Array.from(data as ArrayLike<unknown>));
    await s.dispose();
  }
  const add = oneNodeModel(
    'Add',
    [
      { name: 'a', dtype: 'int32', shape: [2] },
      { name: 'b', dtype: 'int32', shape: ['n'] },
    ],
    [{ name: 'c', dtype: 'int32' }],
  );
  const s = await openSession(add, { provider: 'cpu' });
  const { c } = await s.run({ a: hostTensor('int32', [2], Int32Array.of(1, 2)), b: hostTensor('int32', [2], Int32Array.of(10, 20)) });
  assert.deepEqual(Array.from(c!.data as Int32Array), [11, 22]);
  assert.deepEqual(s.info().inputs[1], { name: 'b', dtype: 'int32', shape: ['n'] });
  await s.dispose();
});

test('forTransfer refuses a tensor whose buffer was already handed over (postMessage would drop it silently)', () => {
  const t = hostTensor('float32', [4], new Float32Array(4));
  structuredClone(t.data.buffer, { transfer: [t.data.buffer] });
  assert.throws(() => forTransfer({ w: t }), /tensor 'w': \[4\] needs 4 values, has 0/);
});
