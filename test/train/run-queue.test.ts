/**
 * Compare methods (train/run-queue.ts) on the tiny BERT fixture, for real: runs one after
 * another on the same data and seed, a cancelled run holding the queue until it is resumed
 * and finishes, every finished run's pack installed, a failed run not holding the queue.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodePack } from '../../src-main/packs/codec.js';
import { PackStore } from '../../src-main/packs/store.js';
import { TrainingRuns } from '../../src-main/train/app-runs.js';
import { RunQueues, type SharedRun } from '../../src-main/train/run-queue.js';
import type { QueueStatus } from '../../src-main/train/run-status.js';
import { tinyBert, writeSyntheticSentiment } from '../../support/trainer-fixtures.js';

async function until(queues: RunQueues, queueId: string, done: (s: QueueStatus) => boolean, timeoutMs = 200_000): Promise<QueueStatus> {
  const started = Date.now();
  for (;;) {
    const s = queues.status(queueId);
    if (done(s)) return s;
    if (Date.now() - started > timeoutMs) throw new Error(`queue still ${JSON.stringify(s.runs.map((r) => [r.method, r.state, r.progress?.step]))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function setup() {
  const { home } = tinyBert();
  const store = new PackStore(home);
  const runs = new TrainingRuns(home, (bytes) => store.install(bytes).entry);
  const file = (name: string, n: number, seed: number) => ({ fileName: name, bytes: new Uint8Array(readFileSync(writeSyntheticSentiment(home, name, n, seed))) });
  const shared: SharedRun = { taskName: 'tiny comparison', train: file('train.tsv', 64, 1), epochs: 1, seed: 9, baseId: 'tiny' };
  return { store, runs, queues: new RunQueues(runs), shared };
}

test('compare methods: one run after another, cancel holds the queue, resume lets it go on; each pack installed on the same data and seed', { timeout: 600_000 }, async () => {
  const { store, runs, queues, shared } = setup();
  const q = queues.start(shared, [{ method: 'diff-structured', sparsity: 0.01 }, { method: 'bitfit', sparsity: 0.005 }, { method: 'last-layer', sparsity: 0.005 }]);
  assert.deepEqual(q.runs.map((r) => r.state), ['running', 'queued', 'queued']);
  assert.equal(q.state, 'running');

  const first = q.runs[0].runId!;
  await until(queues, q.queueId, (s) => (s.runs[0].progress?.step ?? 0) >= 1);
  runs.cancel(first);
  const paused = await until(queues, q.queueId, (s) => s.runs[0].state === 'cancelled');
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(queues.status(q.queueId).runs.map((r) => r.state), ['cancelled', 'queued', 'queued'], 'a cancelled run holds the queue');
  assert.equal(paused.state, 'paused');

  runs.resume(first);
  const done = await until(queues, q.queueId, (s) => s.state === 'done');
  assert.deepEqual(done.runs.map((r) => [r.method, r.state]), [['diff-structured', 'done'], ['bitfit', 'done'], ['last-layer', 'done']], JSON.stringify(done.runs.map((r) => r.error)));
  const packs = done.runs.map((r) => decodePack(store.read(r.result!.packId).bytes));
  assert.deepEqual(packs.map((p) => p.provenance.method), ['diff-structured', 'bitfit', 'last-layer']);
  assert.deepEqual(new Set(packs.map((p) => `${p.task.name} ${p.provenance.hyperParameters.seed} ${p.provenance.trainingData}`)).size, 1, 'one task, seed and training data');
  assert.equal(packs[0].provenance.hyperParameters.sparsity, 0.01);
  assert.throws(() => queues.status('0123456789abcdef'), /no comparison '0123456789abcdef'/);
});

test('a run that fails does not hold the queue', { timeout: 300_000 }, async () => {
  const { queues, shared } = setup();
  // A row without its label: the data is refused as each run loads it.
  const broken = { ...shared, train: { fileName: 'bad.tsv', bytes: new TextEncoder().encode('sentence\tlabel\nonly one column\n') } };
  const q = queues.start(broken, [{ method: 'bitfit', sparsity: 0.005 }, { method: 'last-layer', sparsity: 0.005 }]);
  const done = await until(queues, q.queueId, (s) => s.state === 'done');
  assert.deepEqual(done.runs.map((r) => r.state), ['failed', 'failed'], 'the second ran after the first failed');
  assert.match(done.runs[1].error ?? '', /bad\.tsv/);
});
