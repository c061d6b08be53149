/**
 * Crash safety of a run: with checkpointEverySeconds 0 a checkpoint is written before every
 * run of steps (here one step per run), so a run that dies mid-phase (here: an exception thrown from its event handler, no
 * cancel checkpoint) resumes from the step it was on and ends with exactly the weights of an
 * uninterrupted run; the phase boundary is checkpointed too.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadCheckpoint } from '../../src-main/train/checkpoint.js';
import { Trainer, type TrainEvent } from '../../src-main/train/trainer.js';
import type { TrainConfig } from '../../src-main/train/train-config.js';
import { withRecipe } from '../../src-main/train/recipes.js';
import { syntheticSentiment, tinyBert, TINY_DIFF_CONFIG } from '../../support/trainer-fixtures.js';

const CONFIG = TINY_DIFF_CONFIG;

// Today's default, and the reference recipe's switches (additive penalty, constant gate rate, separate clips, dense mask start, its own mask-phase rate).
const CONFIGS: [string, TrainConfig][] = [
  ['default', CONFIG],
  ['reference recipe', { ...withRecipe(CONFIG, 'reference'), method: 'diff-structured', batchSize: 16 }],
  ['float16 moments', { ...CONFIG, moments: 'float16' }],
  // A dense phase (every base tensor trained) with float16 moments, then magnitude's fixed-mask one.
  ['magnitude, float16 moments', { ...CONFIG, method: 'magnitude', moments: 'float16' }],
];

for (const [name, CONFIG] of CONFIGS) test(`periodic checkpoints (${name}): a run killed mid-phase resumes from its last checkpoint to the uninterrupted weights`, async () => {
  const { home, base } = tinyBert();
  const train = syntheticSentiment(home, 64, 1), dev = syntheticSentiment(home, 16, 2);
  const whole = await new Trainer({ base, train, dev, config: CONFIG, runDir: join(home, 'runs', 'whole') }).run();
  assert.equal(whole.status, 'done');

  const crashAt = 2 + Math.floor(Math.random() * 6); // during step 2..7 of 8 (4 per phase)
  const runDir = join(home, 'runs', 'crash');
  const events: TrainEvent[] = [];
  const crashing = new Trainer({
    base, train, dev, config: CONFIG, runDir, checkpointEverySeconds: 0, stepsPerRun: 1,
    onEvent: (e) => { events.push(e); if (e.kind === 'step' && e.step === crashAt) throw new Error('simulated crash'); },
  });
  await assert.rejects(crashing.run(), /simulated crash/);
  const checkpointed = events.filter((e) => e.kind === 'checkpoint').map((e) => e.kind === 'checkpoint' && e.step);
  // Checkpoint k holds the state after k steps: written before every step but a phase's first, and at the phase boundary (4).
  const expected = [1, 2, 3, 4, 5, 6, 7].filter((k) => k < crashAt);
  assert.deepEqual(checkpointed, expected, `checkpoints before the crash during step ${crashAt}`);
  assert.ok(existsSync(join(runDir, 'latest.json')));
  assert.equal(existsSync(join(runDir, 'l0', 'latest.json')), CONFIG.method !== 'magnitude' && crashAt > 4, 'the L0 state is kept once the L0 phase ended');
  const { meta, tensors } = loadCheckpoint<{ phaseIndex: number; phaseStep: number }>(runDir);
  assert.equal(meta.phaseIndex * 4 + meta.phaseStep, crashAt - 1, 'the newest checkpoint is the state before the crashed step');
  // The moments as the step keeps them: float16 ones are not widened on the way to disk.
  const moments = [...tensors].filter(([n]) => /^[mv]\./.test(n));
  assert.ok(moments.length > 0 && moments.every(([, t]) => t.data instanceof (CONFIG.moments === 'float16' ? Uint16Array : Float32Array)), `moments stored as ${CONFIG.moments}`);

  const resumedSteps: number[] = [];
  const resumed = await new Trainer({ base, train, dev, config: CONFIG, runDir, onEvent: (e) => { if (e.kind === 'step') resumedSteps.push(e.step); } }).run();
  assert.equal(resumed.status, 'done');
  assert.equal(resumedSteps[0], crashAt, 'the crashed step runs again');
  if (whole.status !== 'done' || resumed.status !== 'done') return;
  for (const [n, t] of whole.weights) assert.deepEqual(resumed.weights.get(n)!.data, t.data, `'${n}' differs after a crash during step ${crashAt}`);
  assert.deepEqual(resumed.pack.diffs, whole.pack.diffs);
});
