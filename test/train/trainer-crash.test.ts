/**
 * A training process killed (SIGKILL) at a random point — mid-step or mid-checkpoint — while
 * holding its run's lock: the run resumes in another process (the dead holder's lock is taken
 * over) and ends with exactly the weights of an uninterrupted run. Every other kill (the first
 * included), the newest checkpoint is then zero-filled as a power loss can leave it: the
 * resume reports it damaged, goes on from the previous one, and still ends bit for bit the same.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { lockRun } from '../../src-main/train/checkpoint.js';
import { Trainer, type TrainEvent } from '../../src-main/train/trainer.js';
import { syntheticSentiment, tinyBert, TINY_DIFF_CONFIG, writeSyntheticSentiment } from '../../support/trainer-fixtures.js';

/** Each kill costs a run and a resume (tens of seconds here): CI kills once, by hand TRAIN_CRASH_KILLS=N. */
const KILLS = Number(process.env.TRAIN_CRASH_KILLS ?? 1);

/** Run the child until it has printed `step <atStep>`, then SIGKILL it within `jitterMs`. */
function trainAndKill(args: string[], atStep: number, jitterMs: number): Promise<void> {
  const here = fileURLToPath(import.meta.url);
  const script = join(here, '..', `train-crash-child${here.endsWith('.ts') ? '.ts' : '.js'}`);
  const proc = spawn(process.execPath, [...(here.endsWith('.ts') ? ['--import', 'tsx'] : []), script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => {
    const before = out;
    out += d.toString();
    if (!before.includes(`step ${atStep}\n`) && out.includes(`step ${atStep}\n`)) setTimeout(() => proc.kill('SIGKILL'), Math.random() * jitterMs);
  });
  return new Promise((resolve, reject) => proc.on('close', (_code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`the training child ended on its own: ${out}`)))));
}

test(`training killed (SIGKILL) at ${KILLS} random points resumes in another process to the uninterrupted weights`, async (t) => {
  const { home, base } = tinyBert();
  const trainPath = writeSyntheticSentiment(home, 'train.tsv', 64, 1), devPath = writeSyntheticSentiment(home, 'dev.tsv', 16, 2);
  const train = syntheticSentiment(home, 64, 1), dev = syntheticSentiment(home, 16, 2);
  const config = TINY_DIFF_CONFIG;
  const whole = await new Trainer({ base, train, dev, config, runDir: join(home, 'runs', 'whole') }).run();
  assert.equal(whole.status, 'done');
  if (whole.status !== 'done') return;
  let damagedReported = 0, damaged = 0;
  for (let k = 0; k < KILLS; k++) {
    const runDir = join(home, 'runs', `crash-${k}`);
    const damage = k % 2 === 0;
    const atStep = (damage ? 3 : 1) + Math.floor(Math.random() * (damage ? 5 : 7)); // of 8; checkpoints 1…atStep−1 are written by then
    await trainAndKill([home, runDir, trainPath, devPath], atStep, 400);
    if (damage) {
      assert.ok(readdirSync(runDir).filter((n) => n.startsWith('ckpt-')).length >= 2, 'the newest checkpoint and the previous one');
      const { checkpoint } = JSON.parse(readFileSync(join(runDir, 'latest.json'), 'utf8')) as { checkpoint: string };
      const tensors = join(runDir, checkpoint, 'tensors.bin');
      writeFileSync(tensors, Buffer.alloc(statSync(tensors).size));
      damaged++;
    }
    const lock = lockRun(runDir); // the killed child's lock is stale
    const events: TrainEvent[] = [];
    const resumed = await new Trainer({ base, train, dev, config, runDir, onEvent: (e) => events.push(e) }).run();
    lock.release();
    assert.equal(resumed.status, 'done');
    if (resumed.status !== 'done') return;
    damagedReported += events.filter((e) => e.kind === 'checkpoint-damaged').length;
    assert.equal(damagedReported, damaged, 'each zero-filled checkpoint is reported');
    for (const [n, w] of whole.weights) assert.deepEqual(resumed.weights.get(n)!.data, w.data, `'${n}' differs after a kill at step ${atStep}`);
    assert.deepEqual(resumed.pack.diffs, whole.pack.diffs);
  }
  t.diagnostic(`${KILLS} kills; ${damaged} zero-filled checkpoints reported and passed over`);
});
