/**
 * The gated parameterisation and its penalty against finite differences (float64), and the
 * projection's exact sparsity.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import * as g from '../../src-main/graph/index.js';
import type { NDArray } from '../../src-main/graph/index.js';
import { diffName, diffPruned, diffTrainables, gateName, groupGateName, groupNoiseName, noiseName, type DiffPruningOptions } from '../../src-main/train/diff-params.js';
import { L0_SHIFT, STRETCH_LEFT, STRETCH_RIGHT } from '../../src-main/train/hard-concrete.js';
import { expectedDiff, projectedCount, projectTopK } from '../../src-main/train/projection.js';
import { maskName } from '../../src-main/train/methods.js';
import { currentWeights, f32Of, tensorsOf, type RunState } from '../../src-main/train/run-state.js';
import { paramInput } from '../../src-main/train/step-graph.js';
import { tinyBert } from '../../support/trainer-fixtures.js';
import { Rng } from '../../src-main/util/rng.js';

// 'emb.tok' is a lookup table (its row 2 of w starts all zero: a row no batch looked up).
const SHAPES: Record<string, number[]> = { 'emb.tok': [4, 3], 'l0.w': [3, 4], 'l0.b': [5] };
// Graphs are declared float32 (as trained); the interpreter computes in float64 on Float64Array feeds.
const f64 = (shape: number[], f: () => number): NDArray => ({ dtype: 'float32', shape, data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, f) });
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

// Per-tensor penalty factors (the per-layer penalty) for the last variant.
const WEIGHTS: Record<string, number> = { 'emb.tok': 0.5, 'l0.w': 2, 'l0.b': 1 };
// w's gradient scale r (Adam's √v), asked for at w's name, comes in as inputs `r.<n>`, fed below.
const scaleInput = (trainable: string) => { const n = trainable.slice(diffName('').length); return g.input(`r.${n}`, 'float32', SHAPES[n]); };
const VARIANTS: { name: string; o: DiffPruningOptions }[] = [
  { name: 'unstructured', o: { structured: false } },
  { name: 'structured, product penalty', o: { structured: true } },
  { name: 'structured, additive penalty', o: { structured: true, penalty: 'additive' } },
  { name: 'structured, additive penalty, per-tensor λ factors', o: { structured: true, penalty: 'additive', penaltyWeight: (n) => WEIGHTS[n] } },
  { name: 'unstructured, penalty scaled by w\'s gradient scale', o: { structured: false, gradientScale: scaleInput } },
  { name: 'structured, product penalty scaled by w\'s gradient scale', o: { structured: true, penalty: 'product', gradientScale: scaleInput } },
];

for (const [k, { name: variant, o }] of VARIANTS.entries()) {
  const { structured } = o;
  test(`gated diff + λ·E[L0] (${variant}): gradients match finite differences in float64`, () => {
    const rng = new Rng(11 + k);
    const params = new Map(diffTrainables(SHAPES, { structured }).map((t) => [t.name, g.input(`p.${t.name}`, 'float32', t.shape)]));
    const frozen = (n: string) => g.input(`frozen.${n}`, 'float32', SHAPES[n]);
    const diff = diffPruned(SHAPES, frozen, (n) => params.get(n)!, o);
    // A task-like objective: a fixed random projection of θ + δ, squared, plus the penalty.
    const terms = Object.keys(SHAPES).map((n) => g.reduceSum(g.square(g.mul(diff.param(n), g.input(`c.${n}`, 'float32', SHAPES[n])))));
    const loss = g.add(terms.reduce((a, b) => g.add(a, b)), g.mul(diff.expectedL0, 0.3));
    const feeds: Record<string, NDArray> = {};
    for (const [n, shape] of Object.entries(SHAPES)) {
      feeds[`frozen.${n}`] = f64(shape, () => rng.normal());
      feeds[`c.${n}`] = f64(shape, () => rng.normal());
      feeds[`p.${diffName(n)}`] = f64(shape, () => 0.5 * rng.normal());
      feeds[`p.${gateName(n)}`] = f64(shape, () => 2 * rng.uniform() - 1);
      if (structured) feeds[`p.${groupGateName(n)}`] = f64([1], () => 2 * rng.uniform() - 1);
      if (o.gradientScale) feeds[`r.${n}`] = f64(shape, () => 3 * rng.uniform());
    }
    feeds[`p.${diffName('emb.tok')}`].data.fill(0, 6, 9);
    // Noise: logistic draws L = log(u/(1 − u)) keeping every stretched gate 0.05 away from
    // its clips (no kink inside the FD step), and a few gates clipped shut or fully open.
    const safeNoise = (alpha: Float64Array | Float32Array) => Float64Array.from(alpha, (a, i) => {
      if (i === 1) return -8 - a;
      if (i === 2) return 8 - a;
      for (;;) {
        const e = 4 * (2 * rng.uniform() - 1), s = sigmoid(e + a) * (STRETCH_RIGHT - STRETCH_LEFT) + STRETCH_LEFT;
        if (s > 0.05 && s < 0.95) return e;
      }
    });
    for (const [n, shape] of Object.entries(SHAPES)) {
      feeds[noiseName(n)] = { dtype: 'float32', shape, data: safeNoise(feeds[`p.${gateName(n)}`].data as Float64Array) };
      if (structured) feeds[groupNoiseName(n)] = { dtype: 'float32', shape: [1], data: safeNoise(feeds[`p.${groupGateName(n)}`].data as Float64Array) };
    }
    const r = g.gradCheck(loss, [...params.values()], feeds, () => rng.uniform(), 1e-5);
    // θ + δ against the definition, computed here independently: z = clip(σ(log u − log(1 − u) + α)(r − l) + l, 0, 1).
    const gate = (a: number, noise: number) => {
      const u = 1 / (1 + Math.exp(-noise));
      return Math.min(1, Math.max(0, sigmoid(Math.log(u) - Math.log(1 - u) + a) * (STRETCH_RIGHT - STRETCH_LEFT) + STRETCH_LEFT));
    };
    for (const n of Object.keys(SHAPES)) {
      const [got] = g.evaluate([diff.param(n)], feeds);
      const at = (k: string, i: number) => feeds[k].data[i];
      const zg = structured ? gate(at(`p.${groupGateName(n)}`, 0), at(groupNoiseName(n), 0)) : 1;
      got.data.forEach((v, i) => {
        const z = gate(at(`p.${gateName(n)}`, i), at(noiseName(n), i));
        if (i === 1) assert.equal(z, 0);
        if (i === 2) assert.equal(z, 1);
        const want = at(`frozen.${n}`, i) + z * zg * at(`p.${diffName(n)}`, i);
        assert.ok(Math.abs(v - want) <= 1e-12 * Math.max(1, Math.abs(want)), `${n}[${i}]: ${v} vs ${want}`);
      });
    }
    assert.ok(r.relErr <= 1e-6, `jvp ${r.jvp} vs vjp ${r.vjp}: rel ${r.relErr.toExponential(2)}`);
    // The penalty's value against its definition, computed here independently: the
    // paper's product Σ_j σ(α^j)·Σ_i σ(α_i), or the official code's sum Σ_j [Σ_i σ(α_i) + σ(α^j)];
    // gradient-scaled, each Σ_i σ(α_i) times s_j = mean_j r / mean r.
    const [penalty] = g.evaluate([diff.expectedL0], feeds);
    const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0) / xs.length;
    const allR = o.gradientScale ? Object.keys(SHAPES).flatMap((n) => Array.from(feeds[`r.${n}`].data)) : [];
    const scaleOf = (n: string) => (o.gradientScale ? mean(feeds[`r.${n}`].data) / mean(allR) : 1);
    let want = 0, wantPenalty = 0;
    for (const n of Object.keys(SHAPES)) {
      const groupOpen = structured ? sigmoid(feeds[`p.${groupGateName(n)}`].data[0] - Math.log(1.5 / 1.5)) : 1;
      let open = 0;
      for (const a of feeds[`p.${gateName(n)}`].data) open += sigmoid(a - L0_SHIFT);
      want += open * groupOpen;
      const scaled = open * scaleOf(n);
      wantPenalty += (o.penaltyWeight?.(n) ?? 1) * (o.penalty === 'additive' ? scaled + groupOpen : scaled * groupOpen);
    }
    assert.ok(Math.abs(penalty.data[0] - wantPenalty) <= 1e-12 * wantPenalty, `penalty ${penalty.data[0]} vs ${wantPenalty}`);
    // E[nnz δ]: the same less the open gates of the table's all-zero row.
    const [nonzeros] = g.evaluate([diff.expectedNonzeros], feeds);
    const groupOpen = structured ? sigmoid(feeds[`p.${groupGateName('emb.tok')}`].data[0] - L0_SHIFT) : 1;
    const zeroRow = [6, 7, 8].reduce((a, i) => a + sigmoid(feeds[`p.${gateName('emb.tok')}`].data[i] - L0_SHIFT) * groupOpen, 0);
    assert.ok(zeroRow > 0 && Math.abs(nonzeros.data[0] - (want - zeroRow)) <= 1e-12 * want, `E[nnz δ] ${nonzeros.data[0]} vs ${want - zeroRow}`);
  });
}

test('projection keeps exactly ⌈t·d⌉ entries, the largest |δ|, for any sizes, ties and zeros', () => {
  fc.assert(fc.property(
    fc.array(fc.array(fc.oneof(fc.constant(0), fc.constant(0.5), fc.double({ min: -2, max: 2, noNaN: true })), { minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 4 }),
    fc.double({ min: 1e-4, max: 1, noNaN: true }),
    (tensors, t) => {
      const delta = new Map(tensors.map((v, i) => [`t${i}`, Float32Array.from(v)]));
      const d = tensors.reduce((a, v) => a + v.length, 0);
      const p = projectTopK(new Map([...delta].map(([n, v]) => [n, v.slice()])), t);
      const k = Math.ceil(t * d - 1e-9);
      assert.equal(p.nnz, Math.min(d, Math.max(1, k)));
      let kept = 0, minKept = Infinity, maxDropped = -Infinity;
      for (const [n, m] of p.masks) {
        const dn = delta.get(n)!;
        m.forEach((x, i) => {
          if (x === 1) { kept++; minKept = Math.min(minKept, Math.abs(dn[i])); assert.equal(p.kept.get(n)![i], dn[i]); }
          else { maxDropped = Math.max(maxDropped, Math.abs(dn[i])); assert.equal(p.kept.get(n)![i], 0); }
        });
      }
      assert.equal(kept, p.nnz);
      assert.ok(minKept >= maxDropped, `kept ${minKept} < dropped ${maxDropped}`);
    },
  ), { numRuns: 200, seed: 5 });
  assert.equal(projectedCount(0.005, 6_975_744), 34_879);
});

test('projection: the threshold of a full sort, for magnitudes that share their high bits or span float32, and δ zeroed in place, not copied', () => {
  // 1 + j·2⁻²³ differ in the low 16 bits only; subnormals, 0 and large values span the whole range.
  const value = fc.oneof(fc.integer({ min: -40, max: 40 }).map((j) => Math.fround(1 + j * 2 ** -23)), fc.constant(0), fc.constant(1e-40), fc.constant(-3e38), fc.float({ noNaN: true }));
  fc.assert(fc.property(fc.array(fc.array(value, { minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 3 }), fc.double({ min: 1e-4, max: 1, noNaN: true }), (tensors, t) => {
    const delta = new Map(tensors.map((v, i) => [`t${i}`, Float32Array.from(v)]));
    const sorted = tensors.flat().map((v) => Math.abs(Math.fround(v))).sort((a, b) => b - a);
    const arrays = [...delta.values()];
    const p = projectTopK(delta, t);
    const kept = [...p.masks].flatMap(([n, m]) => [...m.keys()].filter((i) => m[i] === 1).map((i) => Math.abs(tensors[Number(n.slice(1))][i])));
    assert.deepEqual(kept.map((v) => Math.fround(v)).sort((a, b) => b - a), sorted.slice(0, p.nnz));
    [...p.kept.values()].forEach((k, i) => assert.equal(k, arrays[i], 'kept is δ itself'));
  }), { numRuns: 300, seed: 7 });
});

test('projection with a tie-break: the first ⌈t·d⌉ positions by (|δ|, |w|, position), as a full sort orders them', () => {
  const value = fc.oneof(fc.constant(0), fc.constant(0.5), fc.constant(-0.5), fc.double({ min: -2, max: 2, noNaN: true }));
  fc.assert(fc.property(
    fc.array(fc.array(fc.tuple(value, value), { minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 4 }),
    fc.double({ min: 1e-4, max: 1, noNaN: true }),
    (tensors, t) => {
      const delta = new Map(tensors.map((v, i) => [`t${i}`, Float32Array.from(v, ([d]) => d)]));
      const w = new Map(tensors.map((v, i) => [`t${i}`, Float32Array.from(v, ([, x]) => x)]));
      const p = projectTopK(delta, t, w);
      const all = [...delta].flatMap(([n, d], ti) => Array.from(d, (v, i) => ({ n, i, ti, m: Math.abs(v), tb: Math.abs(w.get(n)![i]) })));
      all.sort((a, b) => b.m - a.m || b.tb - a.tb || a.ti - b.ti || a.i - b.i);
      const want = new Set(all.slice(0, p.nnz).map((e) => `${e.n}[${e.i}]`));
      const got = new Set([...p.masks].flatMap(([n, m]) => [...m.keys()].filter((i) => m[i] === 1).map((i) => `${n}[${i}]`)));
      assert.deepEqual(got, want);
    },
  ), { numRuns: 300, seed: 6 });
});

test('currentWeights: θ + δ of an L0 state (deterministic gates) and of a fixed-mask state, δ\'s nonzeros counted, the base untouched', () => {
  const { base } = tinyBert();
  const rng = new Rng(23), state: RunState = new Map();
  const baseBefore = new Map([...base.weights].map(([n, t]) => [n, t.data.slice()]));
  for (const [n, t] of base.weights) {
    const w = Float32Array.from(t.data, () => (rng.uniform() < 0.3 ? 0 : rng.normal()));
    state.set(paramInput(diffName(n)), { dims: [...t.dims], data: w });
    state.set(paramInput(gateName(n)), { dims: [...t.dims], data: Float32Array.from(t.data, () => 4 * rng.normal()) });
    state.set(maskName(n), { dims: [...t.dims], data: Float32Array.from(t.data, () => +(rng.uniform() < 0.5)) });
  }
  const l0 = expectedDiff(tensorsOf(base, state, diffName('')), tensorsOf(base, state, gateName('')), undefined);
  const mask = new Map([...tensorsOf(base, state, diffName(''))].map(([n, w]) => [n, w.map((v, i) => v * f32Of(state.get(maskName(n))!)[i])]));
  for (const [kind, deltas] of [['l0', l0], ['mask', mask]] as const) {
    const { weights, nonzeros } = currentWeights(base, 'diff', kind, state);
    let want = 0;
    for (const [n, d] of deltas) {
      want += d.filter((v) => v !== 0).length;
      assert.deepEqual(weights.get(n)!.data, Float32Array.from(base.weights.get(n)!.data, (x, i) => x + d[i]), `${kind} ${n}`);
    }
    assert.equal(nonzeros, want, kind);
  }
  for (const [n, t] of base.weights) assert.deepEqual(t.data, baseBefore.get(n), n);
});
