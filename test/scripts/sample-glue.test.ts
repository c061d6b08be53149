/** scripts/sample-glue.ts and data/row-subset.ts on generated GLUE-shaped files: stratified, nested, seeded, read back line for line. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { importDataset, qnliDevDerivedSplit } from '../../src-main/data/index.js';
import { rowSubsetText } from '../../src-main/data/row-subset.js';
import { projectRoot } from '../../src-main/paths.js';
import { sampleGlue } from '../../scripts/sample-glue.js';

const dir = mkdtempSync(join(tmpdir(), 'taskpack-sample-glue-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// SST-2: 200 rows, 120 positive and 80 negative, GLUE's trailing space and a bare quote.
// QNLI: 150 rows, 90 entailment and 60 not, with GLUE's index column.
const glue = join(dir, 'glue');
mkdirSync(join(glue, 'SST-2'), { recursive: true });
mkdirSync(join(glue, 'QNLI'), { recursive: true });
const sst2Lines = Array.from({ length: 200 }, (_, i) => `a "film" number ${i} \t${i % 5 < 3 ? 1 : 0}`);
writeFileSync(join(glue, 'SST-2', 'train.tsv'), `sentence\tlabel\n${sst2Lines.join('\n')}\n`);
const qnliLines = Array.from({ length: 150 }, (_, i) => `${i}\twhat is ${i}?\tit is ${i}.\t${i % 5 < 3 ? 'entailment' : 'not_entailment'}`);
writeFileSync(join(glue, 'QNLI', 'dev.tsv'), `index\tquestion\tsentence\tlabel\n${qnliLines.join('\n')}\n`);

const linesOf = (path: string) => readFileSync(path, 'utf8').trimEnd().split('\n');
const countLabels = (path: string) => {
  const ds = importDataset(path);
  return Object.fromEntries(ds.labels.map((name, k) => [name, ds.rows.filter((r) => r.label === k).length]));
};

test('sampleGlue: stratified samples of the source lines, nested across sizes, QNLI dev held out as qnliDevDerivedSplit holds it', () => {
  const out = join(dir, 'out');
  const records = sampleGlue(glue, out, { sizes: [20, 60], seed: 3 });
  assert.deepEqual(records.map((r) => r.file), ['QNLI/dev.tsv', 'SST-2/train-20.tsv', 'QNLI/train-20.tsv', 'SST-2/train-60.tsv', 'QNLI/train-60.tsv']);
  assert.deepEqual(countLabels(join(out, 'SST-2', 'train-60.tsv')), { 0: 24, 1: 36 });
  assert.deepEqual(countLabels(join(out, 'SST-2', 'train-20.tsv')), { 0: 8, 1: 12 });
  assert.deepEqual(countLabels(join(out, 'QNLI', 'dev.tsv')), { entailment: 18, not_entailment: 12 });
  assert.deepEqual(countLabels(join(out, 'QNLI', 'train-60.tsv')), { entailment: 36, not_entailment: 24 });

  for (const [task, source] of [['SST-2', 'train.tsv'], ['QNLI', 'dev.tsv']]) {
    const src = linesOf(join(glue, task, source));
    const small = linesOf(join(out, task, 'train-20.tsv')), large = linesOf(join(out, task, 'train-60.tsv'));
    assert.equal(large[0], src[0], 'the header is kept');
    const at = large.slice(1).map((l) => src.indexOf(l));
    assert.ok(at.every((k, i) => k > 0 && (i === 0 || at[i - 1] < k)), 'source lines, in file order, none twice');
    assert.ok(small.slice(1).every((l) => large.includes(l)), 'the 20-row sample is inside the 60-row one');
  }

  const split = qnliDevDerivedSplit(join(glue, 'QNLI', 'dev.tsv'), 3);
  assert.equal(importDataset(join(out, 'QNLI', 'dev.tsv')).fingerprint, split.dev.fingerprint);
  const dev = new Set(linesOf(join(out, 'QNLI', 'dev.tsv')).slice(1));
  assert.ok(linesOf(join(out, 'QNLI', 'train-60.tsv')).slice(1).every((l) => !dev.has(l)), 'no QNLI training row is a dev row');

  const manifest = JSON.parse(readFileSync(join(out, 'samples.json'), 'utf8'));
  assert.deepEqual(manifest.files, records);
  assert.equal(records[3].fingerprint, importDataset(join(out, 'SST-2', 'train-60.tsv')).fingerprint);

  const again = join(dir, 'again'), other = join(dir, 'other');
  sampleGlue(glue, again, { sizes: [20, 60], seed: 3 });
  sampleGlue(glue, other, { sizes: [20, 60], seed: 4 });
  assert.equal(readFileSync(join(again, 'SST-2', 'train-60.tsv'), 'utf8'), readFileSync(join(out, 'SST-2', 'train-60.tsv'), 'utf8'), 'same seed, same bytes');
  assert.notEqual(readFileSync(join(other, 'SST-2', 'train-60.tsv'), 'utf8'), readFileSync(join(out, 'SST-2', 'train-60.tsv'), 'utf8'));
});

test('sampleGlue: a folder inside the repository, a size the data cannot fill or a bad seed is refused before anything is written', () => {
  const inside = join(projectRoot(), 'sample-glue-test-out');
  assert.throws(() => sampleGlue(glue, inside, { sizes: [20], seed: 1 }), /inside the repository/);
  assert.equal(existsSync(inside), false);
  const out = join(dir, 'refused');
  assert.throws(() => sampleGlue(glue, out, { sizes: [20, 130], seed: 1 }), /130 rows asked of QNLI's training part, which has 120/);
  assert.throws(() => sampleGlue(glue, out, { sizes: [0], seed: 1 }), /0 is not a positive whole number/);
  assert.throws(() => sampleGlue(glue, out, { sizes: [20], seed: NaN }), /--seed: NaN/);
  assert.equal(existsSync(out), false);
});

test('rowSubsetText: records spanning lines (quoted CSV) are copied whole, in the order asked', () => {
  const path = join(dir, 'quoted.csv');
  writeFileSync(path, 'text,label\r\n"one\r\nline two",a\r\nplain,b\r\n\r\n"x ""y""",a\r\n');
  const ds = importDataset(path);
  assert.equal(rowSubsetText(ds, [2, 0]), 'text,label\r\n"x ""y""",a\r\n"one\r\nline two",a\r\n');
  const back = join(dir, 'back.csv');
  writeFileSync(back, rowSubsetText(ds, [2, 1]));
  assert.deepEqual(importDataset(back).rows.map((r) => r.text), ['x "y"', 'plain']);
  assert.throws(() => rowSubsetText(ds, [3]), /row 3 is not in/);
});
