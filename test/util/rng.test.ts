/** The seeded PRNG's bulk gate noise: the same stream as per-call draws; the logistic table it reads. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHalf, toHalf } from '../../src-main/onnx/float16.js';
import { gateValue, LOGISTIC_NOISE, LOGISTIC_NOISE_HALF } from '../../src-main/train/hard-concrete.js';
import { Rng } from '../../src-main/util/rng.js';

test('fillFromTable16 reads the table at both 16-bit halves of each nextUint32, low half first', () => {
  const table = Float32Array.from({ length: 65536 }, (_, k) => k);
  for (const length of [10_000, 10_001]) {
    const bulk = new Rng(42), single = new Rng(42);
    const out = bulk.fillFromTable16(new Float32Array(length), table);
    for (let i = 0; i < length; i += 2) {
      const r = single.nextUint32();
      assert.equal(out[i], r & 0xffff, `element ${i}`);
      if (i + 1 < length) assert.equal(out[i + 1], r >>> 16, `element ${i + 1}`);
    }
    assert.deepEqual(bulk.state, single.state, `the state advances as with per-call draws (checkpoints stay exact), length ${length}`);
  }
  assert.throws(() => new Rng(1).fillFromTable16(new Float32Array(2), new Float32Array(10)), /65536 entries, got 10/);
});

test('logistic noise: the table is log(u/(1 − u)) on the 2^16-level grid in float16, antisymmetric and finite', () => {
  const n = LOGISTIC_NOISE_HALF.length;
  assert.equal(n, 65536);
  for (let k = 0; k < n; k++) {
    const u: number = (k + 0.5) / n, exact = Math.log(u) - Math.log1p(-u);
    assert.equal(LOGISTIC_NOISE_HALF[k], toHalf(exact), `entry ${k}`);
    assert.equal(LOGISTIC_NOISE[k], fromHalf(LOGISTIC_NOISE_HALF[k]), `entry ${k}'s value`);
    // float16 keeps 11 significant bits: within half a unit in the last place.
    assert.ok(Math.abs(LOGISTIC_NOISE[k] - exact) <= Math.abs(exact) * 2 ** -11, `entry ${k}: ${LOGISTIC_NOISE[k]} vs ${exact}`);
    assert.equal(LOGISTIC_NOISE[k], -LOGISTIC_NOISE[n - 1 - k], `entry ${k} against ${n - 1 - k}`);
  }
  assert.ok(Math.abs(LOGISTIC_NOISE[0] + Math.log(2 ** 17 - 1)) < 2 ** -7);
});

test('logistic noise: P(z > 0) and P(z = 1) of a gate within 2^-17 + 1.1e-4 of the continuous Hard-Concrete', () => {
  const n = LOGISTIC_NOISE.length;
  for (const alpha of [-9, -3.3, -0.7, 0, 0.01, 1.2, 5, 8.8]) {
    let open = 0, full = 0;
    for (const L of LOGISTIC_NOISE) { const z = gateValue(alpha, L); open += +(z > 0); full += +(z === 1); }
    // Continuous: z > 0 iff L > −α (probability σ(α)); z = 1 iff σ(L + α) ≥ 5/6, i.e. L ≥ log 5 − α.
    const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
    assert.ok(Math.abs(open / n - sigmoid(alpha)) <= 2 ** -17 + 1.1e-4, `α ${alpha}: P(z > 0) ${open / n} vs ${sigmoid(alpha)}`);
    assert.ok(Math.abs(full / n - sigmoid(alpha - Math.log(5))) <= 2 ** -17 + 1.1e-4, `α ${alpha}: P(z = 1) ${full / n} vs ${sigmoid(alpha - Math.log(5))}`);
  }
});
