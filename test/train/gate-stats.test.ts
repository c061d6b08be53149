/**
 * The gate statistics of an L0 phase (train/gate-stats.ts) against a sort of copies of all
 * values: the same quantiles, max and share below 10 ε, from float32 and float16-stored
 * moments, with ties and zeros, though they are computed without a copy.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BaseModel } from '../../src-main/model/base.js';
import { toHalf } from '../../src-main/onnx/float16.js';
import { DEFAULT_ADAMW, halfSecondMoment } from '../../src-main/train/adamw.js';
import { gateName, groupGateName } from '../../src-main/train/diff-params.js';
import { gateStats } from '../../src-main/train/gate-stats.js';
import type { RunState } from '../../src-main/train/run-state.js';
import { momentInputs, paramInput } from '../../src-main/train/step-graph.js';
import { Rng } from '../../src-main/util/rng.js';

test('gate statistics: quantiles, max and share below 10 ε as a sort of all √v̂ gives them', () => {
  const rng = new Rng(11), adam = DEFAULT_ADAMW, phaseStep = 37, bc2 = 1 - adam.beta2 ** phaseStep;
  const sizes = { a: 1000, b: 777, c: 1 };
  const base = { weights: new Map(Object.keys(sizes).map((n) => [n, {}])) } as unknown as BaseModel;
  const state: RunState = new Map();
  const reference: number[] = [], groups: number[] = [];
  for (const [n, size] of Object.entries(sizes)) {
    state.set(paramInput(gateName(n)), { dims: [size], data: Float32Array.from({ length: size }, () => rng.normal() * 3) });
    // Spanning many orders of magnitude, with ties (a small set of values) and exact zeros.
    const v = Float32Array.from({ length: size }, (_, i) => (i % 7 === 0 ? 0 : i % 5 === 0 ? 1e-16 : 10 ** (-20 + 18 * rng.uniform())));
    if (n === 'b') {
      const half = Uint16Array.from(v, (x) => toHalf(Math.sqrt(x) * 2 ** 14 / adam.clipNorm));
      state.set(momentInputs(gateName(n))[1], { dims: [size], data: half });
      for (const h of half) reference.push(Math.fround(Math.sqrt(Math.fround(halfSecondMoment(h, adam.clipNorm)) / bc2)));
    } else {
      state.set(momentInputs(gateName(n))[1], { dims: [size], data: v });
      for (const x of v) reference.push(Math.fround(Math.sqrt(x / bc2)));
    }
    const gv = Float32Array.of(10 ** (-12 + 6 * rng.uniform()));
    state.set(paramInput(groupGateName(n)), { dims: [1], data: Float32Array.of(rng.normal()) });
    state.set(momentInputs(groupGateName(n))[1], { dims: [1], data: gv });
    groups.push(Math.fround(Math.sqrt(gv[0] / bc2)));
  }
  const stats = gateStats(base, state, phaseStep, 99, adam);
  const spreadOf = (xs: number[]) => {
    const sorted = Float64Array.from(xs).sort(), at = (q: number) => sorted[Math.floor(q * sorted.length)];
    return { p10: at(0.1), p50: at(0.5), p90: at(0.9), max: sorted.at(-1)! };
  };
  const { mean, eps, belowTenEps, ...sqrtV } = stats.sqrtV;
  assert.deepEqual(sqrtV, spreadOf(reference));
  assert.equal(belowTenEps, reference.filter((x) => x < 10 * adam.eps).length / reference.length);
  assert.equal(eps, adam.eps);
  assert.ok(Math.abs(mean - reference.reduce((a, b) => a + b, 0) / reference.length) <= 1e-12 * Math.max(...reference));
  const { mean: groupMean, ...groupSpread } = stats.groupSqrtV!;
  assert.deepEqual(groupSpread, spreadOf(groups));
  assert.ok(Math.abs(groupMean - groups.reduce((a, b) => a + b, 0) / groups.length) < 1e-15);
  assert.equal(stats.step, 99);
  assert.deepEqual(Object.keys(stats.tensors), ['a', 'b', 'c']);
});
