/**
 * Runs started the way the finetune wizard starts them (train/app-runs.ts), on the tiny BERT
 * fixture: progress, the loss curve by cursor, dev evaluations, the projection and the pack
 * installed at the end; refused data reported with its line and nothing left on disk;
 * cancel, then resume, ends with the weights of an uninterrupted run.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodePack } from '../../src-main/packs/codec.js';
import { PackStore } from '../../src-main/packs/store.js';
import { TrainingRuns, type StartRun } from '../../src-main/train/app-runs.js';
import { runsDir } from '../../src-main/train/checkpoint.js';
import type { RunStatus } from '../../src-main/train/run-status.js';
import { tinyBert, writeSyntheticSentiment } from '../../support/trainer-fixtures.js';

async function until(runs: TrainingRuns, runId: string, done: (s: RunStatus) => boolean, timeoutMs = 300_000): Promise<RunStatus> {
  const started = Date.now();
  for (;;) {
    const s = runs.status(runId);
    if (done(s)) return s;
    if (Date.now() - started > timeoutMs) throw new Error(`run ${runId} still ${s.state} at step ${s.progress?.step}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const settled = (s: RunStatus) => !['running', 'cancelling'].includes(s.state);

function setup() {
  const { home } = tinyBert();
  const store = new PackStore(home);
  const runs = new TrainingRuns(home, (bytes) => store.install(bytes).entry);
  const file = (name: string, n: number, seed: number) => ({ fileName: name, bytes: new Uint8Array(readFileSync(writeSyntheticSentiment(home, name, n, seed))) });
  const request: StartRun = {
    taskName: 'tiny sentiment', train: file('train.tsv', 96, 1), dev: file('dev.tsv', 16, 2), method: 'diff-structured',
    sparsity: 0.005, epochs: 2, seed: 5, baseId: 'tiny',
  };
  return { home, store, runs, request };
}

test('a wizard run reports progress and installs its pack', { timeout: 900_000 }, async () => {
  const { home, store, runs, request } = setup();
  const started = runs.start(request);
  assert.equal(started.state, 'running');
  const done = await until(runs, started.runId, settled);
  assert.equal(done.state, 'done', done.error ?? '');
  // 96 rows, batch 32: 3 steps an epoch, 2 epochs of the L0 phase, 2 of the fixed mask.
  assert.deepEqual(done.rows, { train: 96, dev: 16 });
  assert.equal(done.progress?.totalSteps, 12);
  assert.deepEqual(done.losses.map(([step]) => step), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.ok(done.losses.every(([, loss]) => Number.isFinite(loss) && loss > 0));
  assert.deepEqual(runs.status(started.runId, 10).losses, done.losses.slice(10), 'losses from a cursor');
  assert.equal(runs.status(started.runId, 10).nextCursor, 12);
  assert.ok(done.evals.length >= 2 && done.evals.every((e) => 'accuracy' in e.metrics));
  assert.ok(done.projection && done.projection.nnz === Math.ceil(0.005 * done.projection.total));
  const installed = store.find(done.result!.packId);
  assert.equal(installed.task.name, 'tiny sentiment');
  // The wizard trains with the method's defaults, as the CLI does (methods.ts, lambda-schedule.ts).
  const hyper = decodePack(store.read(installed.id).bytes).provenance.hyperParameters;
  assert.deepEqual([hyper.lambdaSchedule, hyper.penaltyScale], ['target', 'gradient']);
  assert.equal(installed.nnz, done.result!.nonzeros);
  assert.deepEqual(installed.devMetrics, done.result!.devMetrics);
  assert.deepEqual(runs.list().map((r) => r.runId), [started.runId]);
  // The sparsity explorer on its L0 state: a point per target, each pack installable.
  runs.explore(started.runId, [0.002, 0.01], 2);
  const explored = await until(runs, started.runId, (st) => st.explore?.state !== 'running');
  assert.equal(explored.explore?.state, 'done', explored.explore?.error ?? '');
  assert.equal(explored.state, 'done', 'the run itself stays done');
  assert.deepEqual(explored.losses.map(([step]) => step), done.losses.map(([step]) => step), 'the explorer\'s steps stay out of the run\'s curve');
  const points = explored.explore!.points;
  assert.deepEqual(points.map((p) => [p.sparsity, p.nnz]), [[0.002, Math.ceil(0.002 * points[0].total)], [0.01, Math.ceil(0.01 * points[0].total)]]);
  assert.ok(points[1].packBytes > points[0].packBytes && points.every((p) => 'accuracy' in p.metrics));
  const withPack = runs.installExplored(started.runId, 0.01);
  const installedPoint = withPack.explore!.points[1];
  assert.equal(store.find(installedPoint.installedPackId!).nnz, points[1].nnz);
  assert.throws(() => runs.installExplored(started.runId, 0.5), /no explored pack at sparsity 0\.5/);

  // A later session (a new TrainingRuns on the same home) lists it as done, with its pack.
  const later = new TrainingRuns(home, () => assert.fail('nothing to install'));
  assert.deepEqual(later.list().map((r) => [r.runId, r.state, r.result?.packId]), [[started.runId, 'done', done.result!.packId]]);
  // ...and refuses to resume it, in this session or a later one (it would train again from its last checkpoint).
  for (const session of [runs, later]) assert.throws(() => session.resume(started.runId), new RegExp(`run '${started.runId}' has finished \\(its pack is ${done.result!.packId}\\)`));
});

test('refused data: the reason with its line, the run failed, nothing left in runs/', { timeout: 120_000 }, async () => {
  const { home, runs, request } = setup();
  const bad = { fileName: 'broken.tsv', bytes: new TextEncoder().encode('sentence\tlabel\ngood film\t1\nno label here\n') };
  const s = await until(runs, runs.start({ ...request, train: bad }).runId, settled);
  assert.equal(s.state, 'failed');
  assert.equal(s.error, 'broken.tsv:3: expected 2 tab-separated columns (as the header), found 1', 'named as the user knows the file');
  assert.ok(!existsSync(runsDir(home)) || readdirSync(runsDir(home)).length === 0, 'the run directory is removed');
  assert.throws(() => runs.start({ ...request, baseId: 'not-installed' }), /not-installed/);
  assert.ok(!existsSync(runsDir(home)) || readdirSync(runsDir(home)).length === 0, 'nothing written for an unknown base');
  const full = await until(runs, runs.start({ ...request, method: 'full', epochs: 1 }).runId, settled);
  assert.throws(() => runs.explore(full.runId, [0.01]), /trained with full, which has no L0 phase to explore/);
});

test('cancel, then resume: the pack holds the same diff as an uninterrupted run', { timeout: 900_000 }, async () => {
  const { home, store, runs, request } = setup();
  const whole = await until(runs, runs.start(request).runId, settled);
  const cut = runs.start(request);
  await until(runs, cut.runId, (s) => (s.progress?.step ?? 0) >= 2);
  assert.equal(runs.cancel(cut.runId).state, 'cancelling');
  const cancelled = await until(runs, cut.runId, settled);
  assert.equal(cancelled.state, 'cancelled');
  assert.ok(cancelled.stoppedAtStep! >= 2 && cancelled.stoppedAtStep! < 12);
  assert.throws(() => runs.cancel(cut.runId), /is not running/);
  // A later session sees the cut run as interrupted (its checkpoint on disk).
  assert.equal(new TrainingRuns(home, () => assert.fail()).list().find((r) => r.runId === cut.runId)?.state, 'interrupted');
  runs.resume(cut.runId);
  const resumed = await until(runs, cut.runId, settled);
  assert.equal(resumed.state, 'done', resumed.error ?? '');
  assert.deepEqual(resumed.losses.map(([step]) => step), whole.losses.map(([step]) => step), 'each step logged once');
  const diffs = (id: string) => decodePack(store.read(id).bytes).diffs.map((d) => ({ name: d.name, indices: [...d.indices], values: d.values }));
  assert.deepEqual(diffs(resumed.result!.packId), diffs(whole.result!.packId));

  // Quitting the app mid-run: stopAll leaves each running run cancelled at a checkpoint.
  const third = runs.start(request);
  await until(runs, third.runId, (s) => (s.progress?.step ?? 0) >= 1);
  await runs.stopAll();
  assert.equal(runs.status(third.runId).state, 'cancelled');

  // A step that outlasts the grace does not hold quitting: stopAll returns with the run still
  // finishing its step, which then checkpoints as cancelled if the process lives on.
  const fourth = runs.start(request);
  await until(runs, fourth.runId, (s) => (s.progress?.step ?? 0) >= 1);
  await runs.stopAll(0);
  assert.equal(runs.status(fourth.runId).state, 'cancelling', 'returned before the checkpoint');
  assert.equal((await until(runs, fourth.runId, settled)).state, 'cancelled');

  // Removing runs: refused while one runs; a cancelled or finished one leaves disk and list, its pack stays.
  const fifth = runs.start(request);
  assert.throws(() => runs.remove(fifth.runId), /is running: cancel it first/);
  const listed = runs.list();
  assert.ok(listed.every((r) => r.diskBytes! > 0), 'each run reports its bytes on disk');
  const packs = store.list().length;
  for (const id of [third.runId, whole.runId]) runs.remove(id);
  assert.ok(!existsSync(join(runsDir(home), third.runId)) && !existsSync(join(runsDir(home), whole.runId)));
  assert.deepEqual(new TrainingRuns(home, () => assert.fail()).list().map((r) => r.runId).filter((id) => id === third.runId || id === whole.runId), []);
  assert.equal(store.list().length, packs, 'the finished run\'s pack stays installed');
  assert.throws(() => runs.remove(third.runId), /no run/);
  assert.throws(() => runs.remove('../packs'), /no run/);
  // A delete cut short by a crash (the directory renamed aside) is finished by the next listing.
  mkdirSync(join(runsDir(home), '.removing-x', 'data'), { recursive: true });
  runs.list();
  assert.ok(!existsSync(join(runsDir(home), '.removing-x')));
  runs.cancel(fifth.runId);
  await until(runs, fifth.runId, settled);
});
