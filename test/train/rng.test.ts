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

test('fillOpenUnitOddsF32 draws the same uniforms as odds u/(1 − u), positive and finite', () => {
  const odds = new Rng(42).fillOpenUnitOddsF32(new Float32Array(10_000));
  const uniforms = new Rng(42).fillOpenUnitF32(new Float32Array(10_000));
  for (let i = 0; i < odds.length; i++) {
    assert.equal(odds[i], Math.fround(uniforms[i] / (1 - uniforms[i])), `element ${i}`);
    assert.ok(odds[i] > 0 && Number.isFinite(Math.log(odds[i])));
  }
  // The extremes of the 23-bit draw: u = 2⁻²⁴ and 1 − 2⁻²⁴ give odds 1/(2²⁴ − 1) and 2²⁴ − 1.
  assert.ok(Math.max(...odds) < 2 ** 24 && Math.min(...odds) > 2 ** -24);
});
