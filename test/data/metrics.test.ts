/**
 * GLUE metrics against goldens from scikit-learn and SciPy (test/fixtures/metrics-goldens.py,
 * run once, output committed), plus property tests of the invariants each metric must keep.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { projectRoot } from '../../src-main/paths.js';
import { accuracy, averageRanks, f1, glueMetrics, glueScore, matthews, metricNames, pearson, spearman } from '../../src-main/data/metrics.js';
import { GLUE_TASK_METRICS } from '../../src-main/data/glue-tasks.js';

interface Case { name: string; labels: number[]; predictions: number[]; [metric: string]: unknown }
const goldens = JSON.parse(readFileSync(join(projectRoot(), 'test', 'fixtures', 'metrics-goldens.json'), 'utf8')) as {
  reference: string; classification: Case[]; regression: Case[];
};

function close(got: number, want: number | null, what: string): void {
  if (want === null) return assert.ok(Number.isNaN(got), `${what}: expected NaN (undefined), got ${got}`);
  assert.ok(Math.abs(got - want) <= 1e-12 * Math.max(1, Math.abs(want)), `${what}: got ${got}, reference ${want}`);
}

test(`classification metrics match ${goldens.reference}`, () => {
  assert.ok(goldens.classification.length >= 30);
  for (const c of goldens.classification) {
    close(accuracy(c.predictions, c.labels), c.accuracy as number, `${c.name} accuracy`);
    close(matthews(c.predictions, c.labels), c.mcc as number, `${c.name} MCC`);
    if ('f1' in c) close(f1(c.predictions, c.labels), c.f1 as number, `${c.name} F1`);
  }
});

test(`Pearson and Spearman (ties: average ranks) match ${goldens.reference}`, () => {
  assert.ok(goldens.regression.some((c) => c.name.startsWith('tied')));
  for (const c of goldens.regression) {
    close(pearson(c.predictions, c.labels), c.pearson as number | null, `${c.name} Pearson`);
    close(spearman(c.predictions, c.labels), c.spearman as number | null, `${c.name} Spearman`);
  }
});

test('glueMetrics picks each task’s metrics', () => {
  const labels = [1, 0, 1, 1, 0, 1], predictions = [1, 1, 1, 0, 0, 1];
  assert.deepEqual(Object.keys(glueMetrics('CoLA', predictions, labels)), ['mcc']);
  assert.deepEqual(glueMetrics('MRPC', predictions, labels), { f1: f1(predictions, labels), accuracy: accuracy(predictions, labels) });
  assert.deepEqual(Object.keys(glueMetrics('STS-B', [0.1, 2, 3.5], [0, 2.2, 4])), ['pearson', 'spearman']);
  for (const task of ['SST-2', 'QNLI', 'RTE', 'WNLI', 'MNLI'] as const) assert.deepEqual(Object.keys(glueMetrics(task, predictions, labels)), ['accuracy']);
  assert.deepEqual(metricNames({ type: 'regression', outputs: 1, pair: true }), GLUE_TASK_METRICS['STS-B']);
  assert.deepEqual(metricNames({ type: 'classification', outputs: 2, pair: false }, 'CoLA'), ['mcc']);
  assert.ok(Math.abs(glueScore({ f1: 0.9, accuracy: 0.8 }, GLUE_TASK_METRICS.MRPC) - 0.85) < 1e-15);
  assert.throws(() => accuracy([1, 0], [1]), /2 predictions for 1 labels/);
  assert.throws(() => pearson([], []), /no examples/);
});

const classPairs = (k: number) => fc.array(fc.tuple(fc.integer({ min: 0, max: k - 1 }), fc.integer({ min: 0, max: k - 1 })), { minLength: 1, maxLength: 60 })
  .map((pairs) => ({ predictions: pairs.map((p) => p[0]), labels: pairs.map((p) => p[1]) }));
const near = (a: number, b: number) => Math.abs(a - b) <= 1e-9;

test('properties: accuracy, F1 and MCC bounds, symmetry and relabelling', () => {
  fc.assert(fc.property(classPairs(2), ({ predictions, labels }) => {
    const acc = accuracy(predictions, labels), score = f1(predictions, labels), mcc = matthews(predictions, labels);
    assert.ok(acc >= 0 && acc <= 1 && score >= 0 && score <= 1 && mcc >= -1 - 1e-12 && mcc <= 1 + 1e-12);
    assert.ok(near(mcc, matthews(labels, predictions)), 'MCC is symmetric');
    // Swapping the classes keeps MCC and accuracy; F1 of class 0 is F1 of class 1 after the swap.
    const flip = (xs: number[]) => xs.map((x) => 1 - x);
    assert.ok(near(mcc, matthews(flip(predictions), flip(labels))));
    assert.equal(f1(predictions, labels, 0), f1(flip(predictions), flip(labels)));
    assert.equal(acc, accuracy(flip(predictions), flip(labels)));
  }));
  fc.assert(fc.property(classPairs(5), fc.shuffledSubarray([0, 1, 2, 3, 4], { minLength: 5, maxLength: 5 }), ({ predictions, labels }, perm) => {
    const mcc = matthews(predictions, labels);
    assert.ok(near(mcc, matthews(predictions.map((p) => perm[p]), labels.map((l) => perm[l]))), 'MCC ignores class names');
    if (new Set(labels).size >= 2) assert.ok(near(matthews(labels, labels), 1), 'perfect predictions: MCC 1');
  }));
});

const finite = fc.double({ min: -1e3, max: 1e3, noNaN: true });
const xyPairs = fc.array(fc.tuple(finite, finite), { minLength: 3, maxLength: 60 })
  .map((pairs) => ({ x: pairs.map((p) => p[0]), y: pairs.map((p) => p[1]) }))
  .filter(({ x, y }) => new Set(x).size > 1 && new Set(y).size > 1);

test('properties: Pearson and Spearman invariances, average ranks', () => {
  fc.assert(fc.property(xyPairs, ({ x, y }) => {
    const r = pearson(x, y), rho = spearman(x, y);
    assert.ok(Math.abs(r) <= 1 && Math.abs(rho) <= 1);
    assert.ok(near(r, pearson(y, x)) && near(rho, spearman(y, x)), 'symmetric');
    assert.ok(near(pearson(x.map((v) => -v), y), -r), 'negation flips the sign');
  }));
  // The affine map is computed in floating point, so it is only near-exact where values sit on
  // a grid far above the rounding of the shift (a tiny x with a large shift collapses: 1e-232 + 1e-221).
  const grid = fc.integer({ min: -1e6, max: 1e6 }).map((i) => i / 1000);
  const gridPairs = fc.array(fc.tuple(grid, grid), { minLength: 3, maxLength: 60 })
    .map((pairs) => ({ x: pairs.map((p) => p[0]), y: pairs.map((p) => p[1]) }))
    .filter(({ x, y }) => new Set(x).size > 1 && new Set(y).size > 1);
  fc.assert(fc.property(gridPairs, fc.double({ min: 0.01, max: 100, noNaN: true }), grid, ({ x, y }, scale, shift) => {
    assert.ok(Math.abs(pearson(x, y) - pearson(x.map((v) => scale * v + shift), y)) <= 1e-6, 'Pearson ignores a positive affine map');
  }));
  // Spearman sees only the order: a strictly increasing map (exact on these integers) keeps it.
  const ints = fc.array(fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -5, max: 5 })), { minLength: 3, maxLength: 60 })
    .map((pairs) => ({ x: pairs.map((p) => p[0]), y: pairs.map((p) => p[1]) }))
    .filter(({ x, y }) => new Set(x).size > 1 && new Set(y).size > 1);
  fc.assert(fc.property(ints, ({ x, y }) => {
    assert.ok(near(spearman(x, y), spearman(x.map((v) => v ** 3 + 7 * v), y)));
    assert.ok(near(spearman(x, y), pearson(averageRanks(x), averageRanks(y))));
  }));
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 40 }), (xs) => {
    const ranks = averageRanks(xs);
    const n = xs.length;
    assert.ok(near(ranks.reduce((a, b) => a + b, 0), (n * (n + 1)) / 2), 'ranks sum to n(n+1)/2');
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      if (xs[i] === xs[j]) assert.equal(ranks[i], ranks[j]);
      else assert.equal(ranks[i] < ranks[j], xs[i] < xs[j]);
    }
  }));
});
