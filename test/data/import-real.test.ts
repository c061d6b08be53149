/**
 * Every real file in ../shared/data (or TASKPACK_DATA) imports with its quirks handled:
 * row and label counts as its source documents them, header or not, bare quotes kept,
 * string and float labels, ISO-8859-1, parallel files. Skipped with a message where absent.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { importDataset, type Dataset } from '../../src-main/data/dataset.js';
import { loadTrainDev, qnliDevDerivedSplit } from '../../src-main/data/split.js';
import { dataPath, needData } from '../../support/real-data.js';

function labelCounts(ds: Dataset): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of ds.rows) out[ds.labels[r.label]] = (out[ds.labels[r.label]] ?? 0) + 1;
  return out;
}

test('SST-2: header, lower-cased text with its trailing space trimmed, 0/1 labels', needData('glue/SST-2/train.tsv', 'glue/SST-2/dev.tsv'), () => {
  const train = importDataset(dataPath('glue/SST-2/train.tsv'));
  assert.equal(train.rows.length, 67349);
  assert.deepEqual(labelCounts(train), { 0: 29780, 1: 37569 });
  assert.deepEqual(train.task, { type: 'classification', outputs: 2, pair: false });
  assert.deepEqual(train.labels, ['0', '1']);
  assert.deepEqual(train.source, {
    path: dataPath('glue/SST-2/train.tsv'), format: 'tsv', encoding: 'utf-8', header: true, quoting: false, glue: 'SST-2', columns: ['sentence', 'label'],
  });
  const dev = importDataset(dataPath('glue/SST-2/dev.tsv'));
  assert.deepEqual(labelCounts(dev), { 0: 428, 1: 444 });
  const raw = readFileSync(dataPath('glue/SST-2/dev.tsv'), 'utf8').split('\n')[1].split('\t')[0];
  assert.equal(raw, "it 's a charming and often affecting journey . ");
  assert.deepEqual(dev.rows[0], { text: "it 's a charming and often affecting journey .", label: 1 });
  assert.match(dev.fingerprint, /^[0-9a-f]{64}$/);
});

test('CoLA: no header (source, label, mark, sentence); generic detection agrees with the registry', needData('glue/CoLA/train.tsv', 'glue/CoLA/dev.tsv'), () => {
  const train = importDataset(dataPath('glue/CoLA/train.tsv'));
  assert.equal(train.rows.length, 8551);
  assert.deepEqual(labelCounts(train), { 0: 2528, 1: 6023 });
  assert.equal(train.source.header, false);
  assert.deepEqual(train.columns, { text: '3', label: '1' });
  assert.deepEqual(train.rows[0], { text: "Our friends won't buy this analysis, let alone the next one we propose.", label: 1 });
  const dev = importDataset(dataPath('glue/CoLA/dev.tsv'));
  assert.deepEqual(labelCounts(dev), { 0: 322, 1: 721 });
  assert.equal(importDataset(dataPath('glue/CoLA/dev.tsv'), { glue: false }).fingerprint, dev.fingerprint);
});

test('MRPC: header, pairs, bare double quotes read literally (quoting off)', needData('glue/MRPC/train.tsv', 'glue/MRPC/dev.tsv'), () => {
  const train = importDataset(dataPath('glue/MRPC/train.tsv'));
  assert.equal(train.rows.length, 3668);
  assert.deepEqual(labelCounts(train), { 0: 1194, 1: 2474 });
  assert.deepEqual(train.columns, { text: '#1 String', pair: '#2 String', label: 'Quality' });
  const dev = importDataset(dataPath('glue/MRPC/dev.tsv'));
  assert.equal(dev.rows.length, 408);
  assert.deepEqual(labelCounts(dev), { 0: 129, 1: 279 });
  assert.equal(dev.source.quoting, false);
  assert.equal(dev.rows[0].pair, '"The foodservice pie business does not fit our long-term growth strategy.');
  assert.equal(dev.rows[1].pair, 'His wife said he was "100 percent behind George Bush" and looked forward to using his years of training in the war.');
  assert.equal(importDataset(dataPath('glue/MRPC/dev.tsv'), { glue: false }).fingerprint, dev.fingerprint);
});

test('RTE: string labels in code-point order; a dev file takes the training file’s labels', needData('glue/RTE/train.tsv', 'glue/RTE/dev.tsv'), () => {
  const { train, dev } = loadTrainDev(dataPath('glue/RTE/train.tsv'), dataPath('glue/RTE/dev.tsv'), { seed: 1 });
  assert.deepEqual(train.labels, ['entailment', 'not_entailment']);
  // The file holds 2,489 rows (its README says 2,490; the header is not a row).
  assert.deepEqual(labelCounts(train), { entailment: 1248, not_entailment: 1241 });
  assert.deepEqual(labelCounts(dev), { entailment: 146, not_entailment: 131 });
  assert.deepEqual(dev.labels, train.labels);
  assert.equal(train.task.pair, true);
});

test('STS-B: regression on the score in the last column, bare quotes kept', needData('glue/STS-B/train.tsv', 'glue/STS-B/dev.tsv'), () => {
  const train = importDataset(dataPath('glue/STS-B/train.tsv'));
  assert.equal(train.rows.length, 5749);
  assert.deepEqual(train.task, { type: 'regression', outputs: 1, pair: true });
  assert.deepEqual(train.labels, []);
  assert.deepEqual(train.rows[1], { text: 'A man is playing a large flute.', pair: 'A man is playing a flute.', label: 3.8 });
  assert.ok(train.rows.every((r) => r.label >= 0 && r.label <= 5));
  assert.ok(train.rows.some((r) => r.text.includes('"') || r.pair!.includes('"')));
  const dev = importDataset(dataPath('glue/STS-B/dev.tsv'), { glue: false });
  assert.equal(dev.rows.length, 1500);
  assert.equal(dev.task.type, 'regression', 'decimal scores mean regression even without the registry');
});

test('QNLI: question/sentence pairs; the dev-derived split is seeded, stratified and disjoint', needData('glue/QNLI/dev.tsv'), () => {
  const all = importDataset(dataPath('glue/QNLI/dev.tsv'));
  assert.equal(all.rows.length, 5463);
  assert.deepEqual(all.columns, { text: 'question', pair: 'sentence', label: 'label' });
  assert.deepEqual(labelCounts(all), { entailment: 2702, not_entailment: 2761 });
  const a = qnliDevDerivedSplit(dataPath('glue/QNLI/dev.tsv'), 7), b = qnliDevDerivedSplit(dataPath('glue/QNLI/dev.tsv'), 7);
  assert.equal(a.dev.fingerprint, b.dev.fingerprint);
  assert.equal(a.train.fingerprint, b.train.fingerprint);
  assert.notEqual(qnliDevDerivedSplit(dataPath('glue/QNLI/dev.tsv'), 8).dev.fingerprint, a.dev.fingerprint);
  // 20% of 5,463 = 1,093 rows: 540.4 and 552.2 by class, the spare row to the larger remainder.
  assert.deepEqual(labelCounts(a.dev), { entailment: 541, not_entailment: 552 });
  assert.equal(a.train.rows.length + a.dev.rows.length, 5463);
  const key = (r: { text: string; pair?: string }) => `${r.text}\t${r.pair}`;
  const devKeys = new Set(a.dev.rows.map(key));
  assert.equal(a.train.rows.filter((r) => devKeys.has(key(r))).length, 0, 'no (question, sentence) pair in both parts');
  assert.deepEqual(a.dev.source.split, { part: 'dev', seed: 7, devFraction: 0.2 });
});

test('WNLI: small GLUE TSV with 0/1 labels', needData('glue/WNLI/train.tsv', 'glue/WNLI/dev.tsv'), () => {
  assert.deepEqual(labelCounts(importDataset(dataPath('glue/WNLI/train.tsv'))), { 0: 323, 1: 312 });
  assert.deepEqual(labelCounts(importDataset(dataPath('glue/WNLI/dev.tsv'))), { 0: 40, 1: 31 });
});

test('TREC: COARSE:fine lines in ISO-8859-1; coarse classes by default, fine on request', needData('trec/train_5500.label'), () => {
  const ds = importDataset(dataPath('trec/train_5500.label'));
  assert.equal(ds.source.encoding, 'iso-8859-1');
  assert.equal(ds.source.format, 'trec');
  assert.deepEqual(labelCounts(ds), { ABBR: 86, DESC: 1162, ENTY: 1250, HUM: 1223, LOC: 835, NUM: 896 });
  assert.equal(ds.rows[0].text, 'How did serfdom develop in and then leave Russia ?');
  assert.ok(ds.rows[65].text.includes('sister\u00f0city'), 'the one ISO-8859-1 byte (0xF0) decodes to ð');
  const fine = importDataset(dataPath('trec/train_5500.label'), { labelCol: 'fine' });
  assert.ok(fine.labels.length > 40 && fine.labels.includes('DESC:manner'));
});

test('SMS spam: label<TAB>message without a header', needData('sms-spam/SMSSpamCollection'), () => {
  const ds = importDataset(dataPath('sms-spam/SMSSpamCollection'));
  assert.equal(ds.source.header, false);
  assert.deepEqual(ds.labels, ['ham', 'spam']);
  assert.deepEqual(labelCounts(ds), { ham: 4827, spam: 747 });
  assert.ok(ds.rows.some((r) => r.text.includes('£900')), 'UTF-8 text');
});

test('SNLI: three parallel line files make 3-class pairs', needData('snli/s1.dev', 'snli/s2.dev', 'snli/labels.dev'), () => {
  const ds = importDataset(dataPath('snli/labels.dev'));
  assert.equal(ds.source.format, 'parallel');
  assert.deepEqual(ds.task, { type: 'classification', outputs: 3, pair: true });
  assert.deepEqual(ds.labels, ['contradiction', 'entailment', 'neutral']);
  assert.deepEqual(labelCounts(ds), { contradiction: 3278, entailment: 3329, neutral: 3235 });
  assert.deepEqual(ds.rows[0], {
    text: 'Two women are embracing while holding to go packages .',
    pair: 'The sisters are hugging goodbye while holding to go packages after just eating lunch .',
    label: 2,
  });
  assert.equal(importDataset(dataPath('snli')).fingerprint, ds.fingerprint, 'the folder works too');
});
