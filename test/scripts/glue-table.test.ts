/** scripts/glue-table.ts: the grid's cells and their commands, variants, and the report's arithmetic and goals on written run results. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cellId, cells, meanSd, parseVariants, report, trainArgs } from '../../scripts/glue-table.js';

const home = mkdtempSync(join(tmpdir(), 'taskpack-glue-table-'));
after(() => rmSync(home, { recursive: true, force: true }));

test('cells run task by task, seed by seed, and each cell names its run', () => {
  const order = cells(['CoLA', 'RTE'], ['full', 'diff'], [1, 2]).map(cellId);
  assert.deepEqual(order, ['CoLA-full-s1', 'CoLA-diff-s1', 'CoLA-full-s2', 'CoLA-diff-s2', 'RTE-full-s1', 'RTE-diff-s1', 'RTE-full-s2', 'RTE-diff-s2']);
});

test("a cell's command: the task's files (QNLI its dev-derived split), the method or a variant's options, seed, run id", () => {
  assert.deepEqual(trainArgs('/g', { task: 'RTE', method: 'diff', seed: 2 }, 'o.taskpack'),
    ['train', '--train', '/g/RTE/train.tsv', '--dev', '/g/RTE/dev.tsv', '--method', 'diff', '--seed', '2', '--run-id', 'RTE-diff-s2', '--out', 'o.taskpack', '--json']);
  assert.deepEqual(trainArgs('/g', { task: 'QNLI', method: 'full', seed: 1 }, 'o').slice(0, 5), ['train', '--train', '/g/QNLI/dev.tsv', '--method', 'full']);
  const variants = parseVariants(['ds-additive=--method diff-structured --penalty additive  --lambda-schedule target']);
  assert.deepEqual(variants, { 'ds-additive': ['--method', 'diff-structured', '--penalty', 'additive', '--lambda-schedule', 'target'] });
  assert.deepEqual(trainArgs('/g', { task: 'CoLA', method: 'ds-additive', seed: 3 }, 'o', variants).slice(5, 13),
    ['--method', 'diff-structured', '--penalty', 'additive', '--lambda-schedule', 'target', '--seed', '3']);
  assert.throws(() => parseVariants(['no-equals']), /expected NAME=/);
  assert.throws(() => parseVariants(['x=--penalty additive']), /must name a --method/);
});

test('mean and sample standard deviation', () => {
  assert.deepEqual(meanSd([5]), { mean: 5, sd: 0 });
  const { mean, sd } = meanSd([0.177, 0.130, 0.091]);
  assert.ok(Math.abs(mean - 0.13266666) < 1e-6);
  assert.ok(Math.abs(sd - 0.0430620) < 1e-6);
});

function writeResult(id: string, method: string, metrics: Record<string, number>, nonzeroBefore?: number): void {
  mkdirSync(join(home, 'runs', id), { recursive: true });
  const projection = nonzeroBefore === undefined ? {} : { projection: { nonzeroBefore, total: 1000 } };
  writeFileSync(join(home, 'runs', id, 'result.json'), JSON.stringify({ method, metrics, steps: 10, totalSeconds: 12.4, ...projection }));
}

test("the report: each seed's score, mean ± sd, nonzeros before projection, and the diff methods' two goals", () => {
  writeResult('CoLA-full-s1', 'full', { mcc: 0.20 });
  writeResult('CoLA-full-s2', 'full', { mcc: 0.18 });
  writeResult('CoLA-magnitude-s1', 'magnitude', { mcc: 0.17 }, 1000);
  writeResult('CoLA-magnitude-s2', 'magnitude', { mcc: 0.15 }, 1000);
  writeResult('CoLA-diff-s1', 'diff', { mcc: 0.19 }, 5);
  writeResult('CoLA-diff-s2', 'diff', { mcc: 0.18 }, 6);
  writeResult('CoLA-ds-add-s1', 'diff-structured', { mcc: 0.10 }, 50); // seed 2 not run yet: no mean compared
  const md = report(home, ['CoLA', 'RTE'], ['full', 'magnitude', 'diff', 'ds-add'], [1, 2]);
  assert.match(md, /### CoLA \(mcc\)/);
  assert.doesNotMatch(md, /### RTE/); // nothing run there
  assert.match(md, /\| full \| 20\.0 \| 18\.0 \| \*\*19\.0 ± 1\.4\*\* \| –, – \| 12, 12 \|/);
  assert.match(md, /\| diff \| 19\.0 \| 18\.0 \| \*\*18\.5 ± 0\.7\*\* \| 0\.50 %, 0\.60 % \|/);
  assert.match(md, /\| ds-add \| 10\.0 \| · \| 10\.0 \(1 of 2\) \|/);
  assert.match(md, /- diff: -0\.5 against full \(goal ≥ −0\.5: met\); 2\.5 against magnitude \(goal ≥ 0: met\)/);
  assert.doesNotMatch(md, /- ds-add:/);
  // A cell cut short and resumed: its wall-clock is the sum of its sittings.
  mkdirSync(join(home, 'grid'), { recursive: true });
  writeFileSync(join(home, 'grid', 'CoLA-full-s2.sittings'), '{"commit":"a","seconds":300,"exit":130}\n{"commit":"b","seconds":45,"exit":0}\n');
  assert.match(report(home, ['CoLA'], ['full'], [1, 2]), /\| full \| 20\.0 \| 18\.0 \| \*\*19\.0 ± 1\.4\*\* \| –, – \| 12, 345 \(2 sittings\) \|/);
  writeResult('CoLA-ds-add-s2', 'diff-structured', { mcc: 0.12 }, 40);
  assert.match(report(home, ['CoLA'], ['full', 'magnitude', 'ds-add'], [1, 2]), /- ds-add: -8\.0 against full \(goal ≥ −0\.5: missed\); -5\.0 against magnitude \(goal ≥ 0: missed\)/);
});
