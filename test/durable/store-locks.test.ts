/**
 * Each store takes its lock against other processes: the base store waits for another
 * process's write; a run that another process trains is refused to the app (nothing marked
 * running) and to `taskpack train --run-id`.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createAppServices } from '../../src-main/app-services.js';
import { runCli } from '../../src-main/cli/run.js';
import { basesDir, saveBase } from '../../src-main/model/base-store.js';
import { TrainingRuns } from '../../src-main/train/app-runs.js';
import { runDir } from '../../src-main/train/checkpoint.js';
import { writeRunJob } from '../../src-main/train/run-job.js';
import { DEFAULT_CONFIG } from '../../src-main/train/train-config.js';
import { lockHolder } from '../support/lock-holder.js';
import { tinyBert, writeSyntheticSentiment } from '../../support/trainer-fixtures.js';

const tempHome = () => mkdtempSync(join(tmpdir(), 'taskpack-locks-'));

test('a base is written only once another process\'s write of the base store has ended', async (t) => {
  const home = tempHome();
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const marker = join(home, 'holder-done');
  const holder = await lockHolder(join(basesDir(home), '.lock'), { holdMs: 500, marker });
  saveBase(home, { id: 'b', architecture: 'bert', displayName: 'b', config: {}, maxLength: 8, weights: new Map([['w', { dims: [1], data: Float32Array.of(1) }]]), tokenizerJson: '{}' });
  assert.ok(existsSync(marker), 'saveBase waited for the other writer');
  await holder.exited;
});

test('a run another process trains is refused: the app\'s resume (nothing marked running) and taskpack train --run-id', async (t) => {
  const { home } = tinyBert();
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const trainPath = writeSyntheticSentiment(home, 'train.tsv', 32, 1);
  const dir = runDir(home, 'busy-run');
  writeRunJob(dir, { baseId: 'tiny', trainPath, columns: {}, config: { ...DEFAULT_CONFIG, method: 'bitfit' }, provider: 'cpu' });
  const holder = await lockHolder(join(dir, '.lock'));
  t.after(() => holder.kill());
  const runs = new TrainingRuns(home, () => { throw new Error('nothing is installed'); });
  assert.throws(() => runs.resume('busy-run'), new RegExp(`run .*busy-run is busy: in use by process ${holder.pid} on `));
  assert.notEqual(runs.status('busy-run').state, 'running');
  let stderr = '';
  const code = await runCli(['train', '--train', trainPath, '--base', 'tiny', '--run-id', 'busy-run', '--method', 'bitfit', '--out', join(home, 'x.taskpack')],
    { stdout: () => {}, stderr: (s) => { stderr += s; } }, { services: () => createAppServices(home), env: { TASKPACK_HOME: home } });
  assert.equal(code, 1);
  assert.match(stderr, new RegExp(`busy-run is busy: in use by process ${holder.pid} on `));
  assert.equal(existsSync(join(home, 'x.taskpack')), false);
});
