/** Steps per phase: epochs × batches, the fixed-mask phase's own epochs, --max-steps; run jobs from before `maskEpochs`. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { phaseStepCounts } from '../../src-main/train/phase-budget.js';
import { readRunJob, runJobPath, writeRunJob } from '../../src-main/train/run-job.js';
import { DEFAULT_CONFIG } from '../../src-main/train/train-config.js';

test('steps per phase: epochs × batches, the fixed-mask phase its own epochs where set, each capped by maxSteps', () => {
  assert.deepEqual(phaseStepCounts(['l0', 'mask'], { epochs: 3 }, 268), [804, 804]);
  assert.deepEqual(phaseStepCounts(['l0', 'mask'], { epochs: 3, maskEpochs: 5 }, 268), [804, 1340]);
  assert.deepEqual(phaseStepCounts(['dense', 'mask'], { epochs: 3, maskEpochs: 1 }, 2105), [6315, 2105]);
  assert.deepEqual(phaseStepCounts(['dense'], { epochs: 3, maskEpochs: 5 }, 268), [804]);
  assert.deepEqual(phaseStepCounts(['l0', 'mask'], { epochs: 3, maskEpochs: 5, maxSteps: 100 }, 268), [100, 100]);
});

test('run jobs: maskEpochs round-trips, a job from before it reads without one (the fixed-mask phase then runs `epochs`), a bad one is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'taskpack-job-'));
  const job = { baseId: 'tiny', trainPath: '/data/train.tsv', columns: {}, provider: 'cpu' as const, config: { ...DEFAULT_CONFIG, method: 'diff' as const, epochs: 2 } };
  writeRunJob(dir, { ...job, config: { ...job.config, maskEpochs: 4 } });
  assert.equal(readRunJob(dir)?.config.maskEpochs, 4);
  writeFileSync(runJobPath(dir), JSON.stringify({ format: 1, ...job }));
  assert.equal(readRunJob(dir)?.config.maskEpochs, undefined);
  writeFileSync(runJobPath(dir), JSON.stringify({ format: 1, ...job, config: { ...job.config, maskEpochs: 0 } }));
  assert.throws(() => readRunJob(dir), /config\.maskEpochs/);
});
