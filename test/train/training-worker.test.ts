/**
 * A training run in a worker thread: progress events arrive while the caller's event loop
 * keeps ticking; cancel leaves a checkpoint; a second worker on the same run directory
 * resumes it and ends with the pack an uninterrupted in-thread run writes, byte for byte.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadTrainDev } from '../../src-main/data/index.js';
import { decodePack } from '../../src-main/packs/codec.js';
import { Trainer } from '../../src-main/train/trainer.js';
import { DEFAULT_CONFIG, type TrainConfig } from '../../src-main/train/train-config.js';
import { TrainingWorker, type JobEvent, type TrainingJob } from '../../src-main/train/training-worker.js';
import { tinyBert, writeSyntheticSentiment } from '../../support/trainer-fixtures.js';

const CONFIG: TrainConfig = {
  ...DEFAULT_CONFIG, method: 'diff-structured', epochs: 1, batchSize: 16, maxLength: 16, lr: { diff: 1e-2, gates: 0.1, head: 1e-2, base: 1e-3 },
};

test('training worker: events while the event loop ticks; cancel, resume in a new worker = the uninterrupted pack', async () => {
  const { home, base } = tinyBert();
  const trainPath = writeSyntheticSentiment(home, 'train.tsv', 64, 1), devPath = writeSyntheticSentiment(home, 'dev.tsv', 16, 2);
  const job = (runId: string): TrainingJob => ({ home, baseId: base.id, trainPath, devPath, columns: {}, config: CONFIG, runDir: join(home, 'runs', runId), provider: 'cpu' });

  // Reference: the same run in this thread, never interrupted.
  const { train, dev } = loadTrainDev(trainPath, devPath, { seed: CONFIG.seed });
  const whole = await new Trainer({ base, train, dev, config: CONFIG, runDir: join(home, 'runs', 'whole') }).run();
  assert.equal(whole.status, 'done');

  // The caller's loop keeps turning while the worker loads, trains and checkpoints (counted,
  // not timed: a loaded machine stretches every gap; steps of one run arrive together).
  let ticks = 0;
  const ticker = setInterval(() => void ticks++, 1);
  const events: JobEvent[] = [];
  const ticksAtStep: number[] = [];
  const first = new TrainingWorker(job('cut'), (e) => {
    events.push(e);
    if (e.kind === 'step') ticksAtStep.push(ticks);
    if (e.kind === 'step' && e.step === 3) first.cancel();
  });
  const stopped = await first.outcome;
  const ticksAtOutcome = ticks;
  clearInterval(ticker);
  assert.equal(stopped.status, 'cancelled');
  assert.equal(events[0].kind, 'loaded');
  assert.ok(events.some((e) => e.kind === 'step'), 'step events reach the caller');
  assert.ok(ticksAtStep[0] > 0 && ticksAtOutcome > ticksAtStep[0], `ticks at the first step ${ticksAtStep[0]}, at the outcome ${ticksAtOutcome}`);

  const resumed = await new TrainingWorker(job('cut')).outcome;
  assert.equal(resumed.status, 'done');
  if (resumed.status !== 'done' || whole.status !== 'done') return;
  // The packs' creation times differ; their diffs and heads must not, bit for bit.
  const got = decodePack(resumed.packBytes, { base });
  assert.deepEqual(got.diffs, whole.pack.diffs);
  assert.deepEqual(got.dense, whole.pack.dense);
});
