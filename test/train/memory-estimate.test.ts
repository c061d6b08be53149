/**
 * The training-peak estimate (train/memory-estimate.ts): how it moves with the run's
 * choices, and that it lies within 15 % of the peaks bench/train-memory measured on the
 * shipped base and on BERT-base (the results files committed with it).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readBaseManifest } from '../../src-main/model/base-store.js';
import { parseBertConfig } from '../../src-main/model/bert/config.js';
import { bertParamShapes } from '../../src-main/model/bert/hf-weights.js';
import { ensureShippedBase } from '../../src-main/model/registry.js';
import { projectRoot } from '../../src-main/paths.js';
import { estimateTrainingPeak, trainingPeaks, UNKNOWN_TOKEN_SHARE } from '../../src-main/train/memory-estimate.js';
import { METHODS, type Method } from '../../src-main/train/methods.js';
import type { MomentType } from '../../src-main/train/adamw.js';
import { bertBaseConfig } from '../../support/bert-base-synth.js';
import { tempHome } from '../../support/trainer-fixtures.js';

const bertBase = Object.entries(bertParamShapes(parseBertConfig(JSON.stringify(bertBaseConfig())))).map(([name, dims]) => ({ name, dims }));

test('estimate: grows with the batch, the length and the base; diff pruning above full finetuning above bitfit', () => {
  const at = (method: Method, batchSize = 32, maxLength = 128, tensors = bertBase) => estimateTrainingPeak({ tensors, method, batchSize, maxLength });
  for (const m of METHODS) {
    assert.ok(at(m, 64) > at(m, 32) && at(m, 32, 256) > at(m), `${m}: batch and length`);
    assert.ok(at(m, 32, 128, bertBase) > at(m, 32, 128, bertBase.filter((t) => !/^l1[01]\./.test(t.name))), `${m}: two layers fewer`);
  }
  assert.ok(at('diff') > at('full') && at('full') > at('bitfit'));
  assert.deepEqual(Object.keys(trainingPeaks(bertBase)).sort(), [...METHODS].sort());
  assert.equal(trainingPeaks(bertBase).diff, at('diff'), 'the wizard\'s run: batch 32, length 128');
  // The diff methods train the token-table rows the texts look up: fewer rows, less; the others train every row.
  const rows = (method: Method, tokenRows?: number) => estimateTrainingPeak({ tensors: bertBase, method, batchSize: 32, maxLength: 128, tokenRows });
  const all = 30_522;
  for (const m of ['diff', 'diff-structured'] as const) {
    assert.ok(rows(m, 12_000) < rows(m, 20_000) && rows(m, 20_000) < rows(m, all), `${m}: fewer rows, less`);
    assert.equal(rows(m, 10 ** 6), rows(m, all), `${m}: at most the whole table`);
    // Rows not known: two thirds of the table, within 7 % of both the whole table and SST-2's 39 %.
    assert.equal(rows(m), rows(m, Math.round(UNKNOWN_TOKEN_SHARE * all)));
    for (const known of [all, 12_000]) assert.ok(Math.abs(rows(m) - rows(m, known)) <= 0.07 * rows(m, known), `${m}: ${rows(m)} against ${rows(m, known)}`);
  }
  assert.equal(rows('full', 12_000), rows('full'), 'dense methods train every row');
});

/** The measured run peaks (MiB) of a train-memory results file, and their Adam moments (float32 before they were recorded), by method. */
function measured(file: string): Record<string, { peak: number; moments: MomentType; tokenRows?: number }> {
  const path = join(projectRoot(), 'bench', 'results', file);
  const runs = JSON.parse(readFileSync(path, 'utf8')).result.runs as Record<string, { peak_mib: number; phases?: number; moments?: MomentType; token_rows?: number }>;
  return Object.fromEntries(Object.entries(runs).filter(([, r]) => r.phases !== undefined)
    .map(([m, r]) => [m, { peak: r.peak_mib * 2 ** 20, moments: r.moments ?? 'float32', ...(r.token_rows ? { tokenRows: r.token_rows } : {}) }]));
}

test('estimate: within 15 % of the measured run peaks on the shipped base and on BERT-base', () => {
  const home = tempHome();
  const shipped = readBaseManifest(home, ensureShippedBase(home).id).tensors;
  for (const [file, tensors] of [['train-memory.json', shipped], ['train-memory-bert.json', bertBase]] as const) {
    assert.ok(existsSync(join(projectRoot(), 'bench', 'results', file)), `${file} is committed`);
    const peaks = measured(file);
    assert.ok(Object.keys(peaks).length > 0, `${file}: training runs measured`);
    for (const [method, { peak, moments, tokenRows }] of Object.entries(peaks)) {
      // With the rows the run looked up, and as the wizard estimates before the data is tokenized.
      for (const rows of [tokenRows, undefined]) {
        const est = estimateTrainingPeak({ tensors, method: method as Method, batchSize: 32, maxLength: 128, moments, tokenRows: rows });
        assert.ok(Math.abs(est - peak) <= 0.15 * peak, `${file} ${method} (${rows ?? 'unknown'} token rows): estimated ${(est / 2 ** 20).toFixed(0)} MiB, measured ${(peak / 2 ** 20).toFixed(0)} MiB`);
      }
    }
  }
});
