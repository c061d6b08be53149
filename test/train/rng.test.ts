/** The seeded PRNG: bulk gate noise is the same stream as per-call draws, and stays inside (0, 1). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src-main/train/rng.js';

test('fillOpenUnitF32 draws the nextUint32 stream, values (2k+1)/2^24 strictly inside (0, 1), exact in float32', () => {
  const bulk = new Rng(42), single = new Rng(42);
  const out = bulk.fillOpenUnitF32(new Float32Array(10_000));
  for (let i = 0; i < out.length; i++) {
    const want = ((single.nextUint32() >>> 9) * 2 + 1) / 2 ** 24;
    assert.equal(out[i], want, `element ${i}`);
    assert.ok(out[i] > 0 && out[i] < 1 && Math.fround(want) === want);
  }
  assert.deepEqual(bulk.state, single.state, 'the state advances as with per-call draws (checkpoints stay exact)');
});
