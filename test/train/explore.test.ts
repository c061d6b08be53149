/**
 * The sparsity explorer on the tiny BERT fixture: a short diff-structured run keeps its L0
 * state; exploring it gives, per target, a pack that decodes with exactly ⌈t·d⌉ nonzeros,
 * masks nested across targets, and at the run's own target and step count the run's own
 * pack bit for bit; a second call reuses the kept results; runs without an L0 state are
 * refused.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodePack } from '../../src-main/packs/codec.js';
import type { PackContent } from '../../src-main/packs/format.js';
import { Explorer, type ExploreEvent } from '../../src-main/train/explore.js';
import { hasL0State, loadL0State } from '../../src-main/train/l0-state.js';
import { projectedCount } from '../../src-main/train/projection.js';
import { Trainer } from '../../src-main/train/trainer.js';
import { DEFAULT_CONFIG, type TrainConfig } from '../../src-main/train/train-config.js';
import { syntheticSentiment, tinyBert } from '../../support/trainer-fixtures.js';

const CONFIG: TrainConfig = {
  ...DEFAULT_CONFIG, method: 'diff-structured', epochs: 1, batchSize: 16, maxLength: 16, lr: { diff: 1e-2, gates: 0.1, head: 1e-2, base: 1e-3 },
};

/** Diff positions per tensor, as "name:index" strings. */
const positions = (p: PackContent) => new Set(p.diffs.flatMap((d) => [...d.indices].map((i) => `${d.name}:${i}`)));

test('explore: every target decodes with ⌈t·d⌉ nonzeros, masks nest, the run\'s own target reproduces its pack; results are kept', async () => {
  const { home, base } = tinyBert();
  const train = syntheticSentiment(home, 64, 1), dev = syntheticSentiment(home, 16, 2);
  const runDir = join(home, 'runs', 'r');
  const run = await new Trainer({ base, train, dev, config: CONFIG, runDir }).run();
  assert.equal(run.status, 'done');
  if (run.status !== 'done') return;
  assert.ok(hasL0State(runDir));
  const l0 = loadL0State(runDir);
  assert.ok([...l0.tensors.keys()].every((n) => n.startsWith('p.')), 'the L0 state holds parameters only');
  assert.ok(l0.tensors.has('p.head.w') && [...l0.tensors.keys()].some((n) => n.startsWith('p.gate.')));

  const d = [...base.weights.values()].reduce((a, t) => a + t.data.length, 0);
  const targets = [0.001, CONFIG.sparsity, 0.02];
  const steps = 4; // = the run's own fixed-mask phase (64 rows / 16 per batch, one epoch)
  const events: ExploreEvent[] = [];
  const explored = await new Explorer({ base, train, dev, config: CONFIG, runDir, targets, steps, onEvent: (e) => events.push(e) }).run();
  assert.equal(explored.status, 'done');
  if (explored.status !== 'done') return;
  assert.equal(explored.steps, steps);
  const packs = explored.points.map(({ pack }) => decodePack(pack, { base }));
  for (const [i, { point, pack }] of explored.points.entries()) {
    const nnz = packs[i].diffs.reduce((a, x) => a + x.indices.length, 0);
    assert.equal(point.sparsity, targets[i]);
    assert.equal(nnz, projectedCount(targets[i], d), `target ${targets[i]}: ${nnz} nonzeros of ${d}`);
    assert.equal(point.nnz, nnz);
    assert.equal(point.total, d);
    assert.equal(point.packBytes, pack.length);
    assert.equal(typeof point.metrics.accuracy, 'number');
    assert.equal(packs[i].provenance.hyperParameters.sparsity, targets[i]);
  }
  for (let i = 1; i < targets.length; i++) {
    assert.ok(explored.points[i].point.packBytes > explored.points[i - 1].point.packBytes, 'a larger target makes a larger pack');
    const larger = positions(packs[i]);
    assert.ok([...positions(packs[i - 1])].every((p) => larger.has(p)), `the ${targets[i - 1]} mask lies inside the ${targets[i]} mask`);
  }
  // The run's own target and step count: the run's own projection and fixed-mask phase.
  assert.deepEqual(packs[1].diffs, run.pack.diffs);
  assert.deepEqual(packs[1].dense, run.pack.dense);
  assert.deepEqual(explored.points[1].point.metrics, run.devMetrics);
  assert.deepEqual(events.filter((e) => e.kind === 'explore-target').map((e) => e.sparsity), targets);
  assert.deepEqual(events.filter((e) => e.kind === 'explore-step' && e.sparsity === 0.02).map((e) => e.kind === 'explore-step' && e.step), [1, 2, 3, 4]);

  const again: ExploreEvent[] = [];
  const second = await new Explorer({ base, train, dev, config: CONFIG, runDir, targets, steps, onEvent: (e) => again.push(e) }).run();
  assert.equal(second.status, 'done');
  if (second.status !== 'done') return;
  assert.ok(again.every((e) => e.kind === 'explore-point' && e.reused), 'a second call reuses every kept point');
  assert.deepEqual(second.points.map((p) => p.pack), explored.points.map((p) => p.pack));
});

test('explore: cancelled within a target, a second call resumes it and ends with the uninterrupted points', async () => {
  const { home, base } = tinyBert();
  const train = syntheticSentiment(home, 64, 3), dev = syntheticSentiment(home, 16, 4);
  const config: TrainConfig = { ...CONFIG, maxSteps: 2 };
  const runDirs = [join(home, 'runs', 'whole'), join(home, 'runs', 'cut')];
  for (const runDir of runDirs) assert.equal((await new Trainer({ base, train, dev, config, runDir }).run()).status, 'done');
  const targets = [0.002, 0.01], steps = 3;
  const whole = await new Explorer({ base, train, dev, config, runDir: runDirs[0], targets, steps }).run();
  const first: Explorer = new Explorer({
    base, train, dev, config, runDir: runDirs[1], targets, steps, onEvent: (e) => { if (e.kind === 'explore-step' && e.sparsity === 0.01 && e.step === 1) first.cancel(); },
  });
  const stopped = await first.run();
  assert.equal(stopped.status, 'cancelled');
  const resumedEvents: ExploreEvent[] = [];
  const resumed = await new Explorer({ base, train, dev, config, runDir: runDirs[1], targets, steps, onEvent: (e) => resumedEvents.push(e) }).run();
  assert.ok(whole.status === 'done' && resumed.status === 'done');
  assert.deepEqual(resumedEvents.filter((e) => e.kind === 'explore-point').map((e) => e.kind === 'explore-point' && e.reused), [true, false]);
  assert.deepEqual(resumedEvents.filter((e) => e.kind === 'explore-step').map((e) => e.kind === 'explore-step' && e.step), [2, 3], 'the cut target resumes after its first step');
  const diffsOf = (r: typeof whole) => (r.status === 'done' ? r.points.map((p) => decodePack(p.pack, { base }).diffs) : []);
  assert.deepEqual(diffsOf(resumed), diffsOf(whole));
});

test('explore refuses runs without an L0 state and bad targets', async () => {
  const { home, base } = tinyBert();
  const train = syntheticSentiment(home, 32, 5), dev = syntheticSentiment(home, 16, 6);
  const cutDir = join(home, 'runs', 'cut-in-l0');
  const cut: Trainer = new Trainer({ base, train, dev, config: CONFIG, runDir: cutDir, onEvent: (e) => { if (e.kind === 'step' && e.step === 1) cut.cancel(); } });
  assert.equal((await cut.run()).status, 'cancelled');
  assert.ok(!hasL0State(cutDir));
  await assert.rejects(new Explorer({ base, train, dev, config: CONFIG, runDir: cutDir, targets: [0.01] }).run(), /has not finished its L0 phase/);
  assert.throws(() => new Explorer({ base, train, dev, config: { ...CONFIG, method: 'bitfit' }, runDir: cutDir, targets: [0.01] }), /method 'bitfit' has no L0 phase/);
  assert.throws(() => new Explorer({ base, train, dev, config: CONFIG, runDir: cutDir, targets: [0.01, 1.5] }), /must be in \(0, 1\]/);
  assert.throws(() => new Explorer({ base, train, dev, config: CONFIG, runDir: cutDir, targets: [] }), /no sparsity targets/);
});
