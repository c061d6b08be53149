/**
 * A training job's own process: when it dies mid-run (the runtime aborting, the system's
 * out-of-memory killer) the run fails with a clear error, the host lives on and the run
 * resumes; when its host dies, it ends too (it must not write a run whose lock is gone).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { TrainingWorker, type TrainingJob } from '../../src-main/train/training-worker.js';
import { tinyBert, TINY_DIFF_CONFIG, writeSyntheticSentiment } from '../../support/trainer-fixtures.js';
import { isJob, jobPids } from './job-pids.js';

const notLinux = process.platform === 'linux' ? false : 'reads /proc';

function fixture() {
  const { home } = tinyBert();
  const trainPath = writeSyntheticSentiment(home, 'train.tsv', 64, 1), devPath = writeSyntheticSentiment(home, 'dev.tsv', 16, 2);
  const job = (runId: string): TrainingJob => ({ home, baseId: 'tiny', trainPath, devPath, columns: {}, config: TINY_DIFF_CONFIG, runDir: join(home, 'runs', runId), provider: 'cpu' });
  return { home, trainPath, devPath, job };
}

test('a training process killed mid-run fails its run with a clear error; the host lives on and the run resumes', { skip: notLinux }, async () => {
  const { job } = fixture();
  let killed: number[] = [];
  const first = new TrainingWorker(job('killed'), (e) => {
    if (e.kind !== 'step' || killed.length) return;
    killed = jobPids();
    for (const pid of killed) process.kill(pid, 'SIGKILL');
  });
  await assert.rejects(first.outcome, /the training process was killed by SIGKILL before the run ended/);
  assert.equal(killed.length, 1, 'one job process');
  assert.deepEqual(jobPids(), [], 'no job process is left');
  // Its lock is released: the same run goes on in a new process, to the end.
  const resumed = await new TrainingWorker(job('killed')).outcome;
  assert.equal(resumed.status, 'done');
  assert.deepEqual(jobPids(), [], 'a finished job leaves no process');
});

test('a training process ends when its host dies', { skip: notLinux }, async () => {
  const { home, trainPath, devPath } = fixture();
  const here = fileURLToPath(import.meta.url);
  const ts = here.endsWith('.ts');
  const host = spawn(process.execPath, [...(ts ? ['--import', 'tsx'] : []), join(here, '..', `training-host-child.${ts ? 'ts' : 'js'}`), home, join(home, 'runs', 'orphan'), trainPath, devPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const pids = await new Promise<number[]>((resolve, reject) => {
    host.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^job ([\d ]*)\n/m.exec(out);
      if (m) resolve(m[1].split(' ').filter(Boolean).map(Number));
    });
    host.on('exit', () => reject(new Error(`the host ended before its job loaded: ${out}`)));
  });
  host.kill('SIGKILL');
  assert.equal(pids.length, 1, 'the host ran one job process');
  // The job notices between steps; the tiny BERT's take milliseconds (waited for, not timed: a minute at most).
  for (let i = 0; i < 600 && isJob(pids[0]); i++) await sleep(100);
  assert.ok(!isJob(pids[0]), 'the job process ended with its host');
});
