/** Seeded stratified dev splits: exact per-stratum counts, determinism, partition, train/dev loading. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { DataError } from '../../src-main/data/errors.js';
import { importDataset } from '../../src-main/data/dataset.js';
import { loadTrainDev, splitDataset, stratifiedDevIndices, stratifiedSample } from '../../src-main/data/split.js';
import { Rng } from '../../src-main/util/rng.js';

const dir = mkdtempSync(join(tmpdir(), 'taskpack-split-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const countBy = (xs: number[]) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<number, number>());

test('classification: round(fraction · n) dev rows, each class its share rounded down or up; seeded', () => {
  fc.assert(fc.property(
    fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 300 }),
    fc.double({ min: 0.05, max: 0.5, noNaN: true }),
    fc.integer({ min: 0, max: 2 ** 31 }),
    (labels, devFraction, seed) => {
      const dev = stratifiedDevIndices(labels, 'classification', { seed, devFraction });
      assert.deepEqual(dev, stratifiedDevIndices(labels, 'classification', { seed, devFraction }), 'same seed, same split');
      assert.ok(dev.every((v, i) => i === 0 || dev[i - 1] < v), 'ascending, no repeats');
      const devCounts = countBy(dev.map((i) => labels[i]));
      assert.equal(dev.length, Math.round(devFraction * labels.length));
      for (const [label, count] of countBy(labels)) {
        const got = devCounts.get(label) ?? 0;
        assert.ok(got === Math.floor(devFraction * count) || got === Math.ceil(devFraction * count), `class ${label}: ${got} of ${count}`);
      }
    },
  ));
});

test('different seeds choose different rows; maxDev caps the dev part', () => {
  const labels = Array.from({ length: 1000 }, (_, i) => i % 3);
  const a = stratifiedDevIndices(labels, 'classification', { seed: 1, devFraction: 0.1 });
  const b = stratifiedDevIndices(labels, 'classification', { seed: 2, devFraction: 0.1 });
  assert.equal(a.length, 100);
  assert.notDeepEqual(a, b);
  assert.equal(stratifiedDevIndices(labels, 'classification', { seed: 1, devFraction: 0.1, maxDev: 30 }).length, 30);
  const counts = countBy(a.map((i) => labels[i]));
  assert.deepEqual([...counts.values()].sort(), [33, 33, 34], '334/333/333 rows give 33.4/33.3/33.3 → 34/33/33');
  assert.throws(() => stratifiedDevIndices(labels, 'classification', { seed: 1, devFraction: 1 }), /devFraction must be in \(0, 1\)/);
});

test('regression: stratified by score, so dev keeps the score distribution', () => {
  const rng = new Rng(5);
  const scores = Array.from({ length: 2000 }, () => 5 * rng.uniform() ** 2); // skewed toward 0
  const dev = stratifiedDevIndices(scores, 'regression', { seed: 3, devFraction: 0.1 });
  assert.equal(dev.length, 200);
  const sorted = [...scores].sort((x, y) => x - y), devSorted = dev.map((i) => scores[i]).sort((x, y) => x - y);
  for (const q of [0.1, 0.25, 0.5, 0.75, 0.9]) {
    const all = sorted[Math.floor(q * sorted.length)], part = devSorted[Math.floor(q * devSorted.length)];
    assert.ok(Math.abs(all - part) < 0.1, `quantile ${q}: all ${all.toFixed(3)}, dev ${part.toFixed(3)}`);
  }
});

test('splitDataset and loadTrainDev: parts with their own fingerprints; a dev file takes the training labels', () => {
  const lines = Array.from({ length: 40 }, (_, i) => `sentence ${i}\t${['neg', 'pos'][i % 2]}`);
  const trainPath = join(dir, 'train.tsv'), devPath = join(dir, 'dev.tsv'), badDev = join(dir, 'bad.tsv');
  writeFileSync(trainPath, `text\tlabel\n${lines.join('\n')}\n`);
  writeFileSync(devPath, 'text\tlabel\nsomething\tpos\n');
  writeFileSync(badDev, 'text\tlabel\nsomething\tneutral\n');
  const whole = importDataset(trainPath);
  const { train, dev } = splitDataset(whole, { seed: 9, devFraction: 0.25 });
  assert.equal(dev.rows.length, 10);
  assert.equal(train.rows.length + dev.rows.length, 40);
  assert.deepEqual([...countBy(dev.rows.map((r) => r.label))].sort(), [[0, 5], [1, 5]]);
  assert.notEqual(train.fingerprint, whole.fingerprint);
  assert.deepEqual(train.source.split, { part: 'train', seed: 9, devFraction: 0.25 });
  const sample = stratifiedSample(whole, 8, 4);
  assert.deepEqual([...countBy(sample.rows.map((r) => r.label))].sort(), [[0, 4], [1, 4]]);
  assert.equal(stratifiedSample(whole, 100, 4), whole);
  assert.deepEqual(loadTrainDev(trainPath, undefined, { seed: 9, devFraction: 0.25 }).dev.rows, dev.rows);
  const withDev = loadTrainDev(trainPath, devPath, { seed: 9 });
  assert.equal(withDev.train.rows.length, 40);
  assert.deepEqual(withDev.dev.labels, ['neg', 'pos']);
  assert.deepEqual(withDev.dev.rows, [{ text: 'something', label: 1 }], 'a single-class dev file is fine with the training labels');
  assert.throws(() => loadTrainDev(trainPath, badDev, { seed: 9 }), (e: unknown) => e instanceof DataError && e.line === 2 && /'neutral'.*not one of the task's labels/.test(e.reason));
});
