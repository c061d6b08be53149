/** infer/evaluate.ts: which metrics a pack's evaluation on a labelled file reports (the file's GLUE task, else the pack's own, else the task type's). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metricsOf, trainedMetricNames } from '../../src-main/infer/evaluate.js';

const classes = { type: 'classification', outputs: 2, pair: false } as const;
const regression = { type: 'regression', outputs: 1, pair: false } as const;
// Four rows, logits favouring classes 1, 0, 1, 1 against labels 1, 0, 0, 1: accuracy 3/4, MCC 1/√3.
const scores = Float32Array.from([0, 1, 2, 0, 0, 3, -1, 1]);
const rows = [1, 0, 0, 1].map((label) => ({ label }));

test("a pack's recorded dev metrics name its evaluation's metrics where the file is not a recognised GLUE file", () => {
  assert.deepEqual(trainedMetricNames({ mcc: 0.17 }, classes), ['mcc']);
  assert.deepEqual(trainedMetricNames({ accuracy: 0.7, f1: 0.8 }, classes), ['f1', 'accuracy']);
  assert.deepEqual(trainedMetricNames({ pearson: 0.8, spearman: 0.79, mcc: 1 }, regression), ['pearson', 'spearman']);
  assert.deepEqual(trainedMetricNames({ loss: 0.3 }, classes), []);

  const mcc = metricsOf(scores, rows, classes, undefined, { mcc: 0.17 });
  assert.deepEqual(Object.keys(mcc), ['mcc']);
  assert.ok(Math.abs(mcc.mcc! - 1 / Math.sqrt(3)) < 1e-12);
  assert.deepEqual(metricsOf(scores, rows, classes), { accuracy: 0.75 }, 'nothing recorded: the task type\'s');
  assert.deepEqual(metricsOf(scores, rows, classes, undefined, { loss: 0.3 }), { accuracy: 0.75 });
  assert.deepEqual(metricsOf(scores, rows, classes, 'SST-2', { mcc: 0.17 }), { accuracy: 0.75 }, 'a GLUE file: its task\'s metrics');
});
