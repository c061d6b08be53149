/**
 * Runs of the trainer: cancel at a random step and resume → the same final weights as an
 * uninterrupted run (tiny BERT fixture); several steps per ONNX Runtime run give the same
 * weights as one, and a cancel inside such a run stops at its end; dev evaluations change no
 * weight and score what the saved state scores; every method writes a pack that decodes, binds to
 * the base and has the sparsity its method promises; a short real SST-2 run on the shipped
 * base whose loss falls and whose pack beats the majority class.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadTrainDev, stratifiedSample } from '../../src-main/data/index.js';
import { compactVocabulary } from '../../src-main/model/compact-vocabulary.js';
import { loadBase } from '../../src-main/model/registry.js';
import { decodePack, encodePack } from '../../src-main/packs/codec.js';
import { mergeDense } from '../../src-main/packs/sparse.js';
import { metricsOf, Predictor } from '../../src-main/infer/evaluate.js';
import { METHODS, moduleSpecOf, shapesOf, type Method } from '../../src-main/train/methods.js';
import { moduleShapes } from '../../src-main/model/modules.js';
import { projectedCount } from '../../src-main/train/projection.js';
import { loadL0State } from '../../src-main/train/l0-state.js';
import { currentWeights } from '../../src-main/train/run-state.js';
import { Trainer, type TrainEvent } from '../../src-main/train/trainer.js';
import { DEFAULT_CONFIG, type TrainConfig } from '../../src-main/train/train-config.js';
import { dataDir, syntheticSentiment, tempHome, tinyBert } from '../../support/trainer-fixtures.js';

const TINY: Omit<TrainConfig, 'method'> = { ...DEFAULT_CONFIG, epochs: 1, batchSize: 16, maxLength: 16, lr: { diff: 1e-2, gates: 0.1, head: 1e-2, base: 1e-3 } };

test('cancel at a random step, resume: the same final weights as an uninterrupted run', async () => {
  const { home, base } = tinyBert();
  const train = syntheticSentiment(home, 64, 1), dev = syntheticSentiment(home, 16, 2);
  // 24 L0 steps (λ moves from its third control block on, lambda-schedule.ts), then 12 fixed-mask steps.
  const config: TrainConfig = { ...TINY, method: 'diff-structured', epochs: 6, maskEpochs: 3, lambdaSchedule: 'target' };
  const lambdas = new Set<number>(), phaseOfStep: string[] = [];
  const full = await new Trainer({
    base, train, dev, config, runDir: join(home, 'runs', 'whole'),
    onEvent: (e) => { if (e.kind === 'step') { phaseOfStep[e.step - 1] = e.phase; if (e.lambda !== undefined) lambdas.add(e.lambda); } },
  }).run();
  assert.equal(full.status, 'done');
  assert.ok(lambdas.size > 1, 'λ follows its schedule');
  assert.deepEqual(phaseOfStep, [...Array(24).fill('l0'), ...Array(12).fill('mask')], 'each phase its own epochs');
  const cut = 1 + Math.floor(Math.random() * 35); // after step 1..35 of 36
  const runDir = join(home, 'runs', 'cut');
  // One step per run, so the cancel lands right after step `cut` (see the next test for runs of several).
  const first = new Trainer({ base, train, dev, config, runDir, stepsPerRun: 1, onEvent: (e) => { if (e.kind === 'step' && e.step === cut) first.cancel(); } });
  const stopped = await first.run();
  assert.equal(stopped.status, 'cancelled', `cancel after step ${cut}`);
  assert.ok(existsSync(join(runDir, 'latest.json')));
  const resumedSteps: number[] = [];
  const resumed = await new Trainer({ base, train, dev, config, runDir, stepsPerRun: 1, onEvent: (e) => { if (e.kind === 'step') resumedSteps.push(e.step); } }).run();
  assert.equal(resumed.status, 'done');
  assert.equal(resumedSteps[0], cut + 1, 'the resumed run starts at the step after the cut');
  if (full.status !== 'done' || resumed.status !== 'done') return;
  assert.deepEqual([...resumed.weights.keys()].sort(), [...full.weights.keys()].sort());
  for (const [n, t] of full.weights) assert.deepEqual(resumed.weights.get(n)!.data, t.data, `'${n}' differs after resuming at step ${cut}`);
  assert.deepEqual(resumed.pack.diffs.map((d) => d.indices), full.pack.diffs.map((d) => d.indices));
});

test('steps per run (1, 3, 4) give the same weights bit for bit; a cancel inside a run of 3 stops at its end and resumes', async () => {
  const { home, base } = tinyBert();
  const train = syntheticSentiment(home, 64, 5), dev = syntheticSentiment(home, 16, 6);
  // 24 L0 steps (λ moves from step 17 on) and 12 fixed-mask ones, dev evaluation every 4 steps: runs of 3 leave single steps before each.
  const config: TrainConfig = { ...TINY, method: 'diff-structured', epochs: 6, maskEpochs: 3, lambdaSchedule: 'target' };
  const runs = new Map<number, Awaited<ReturnType<Trainer['run']>>>();
  for (const k of [1, 3, 4]) runs.set(k, await new Trainer({ base, train, dev, config, runDir: join(home, 'runs', `k${k}`), stepsPerRun: k }).run());
  const one = runs.get(1)!;
  assert.equal(one.status, 'done');
  if (one.status !== 'done') return;
  for (const [k, r] of runs) {
    assert.equal(r.status, 'done');
    if (r.status !== 'done') continue;
    for (const [n, t] of one.weights) assert.deepEqual(r.weights.get(n)!.data, t.data, `'${n}' differs with ${k} steps per run`);
    assert.deepEqual(r.devMetrics, one.devMetrics);
  }
  const runDir = join(home, 'runs', 'cut3');
  const steps: number[] = [];
  const first = new Trainer({ base, train, dev, config, runDir, stepsPerRun: 3, onEvent: (e) => { if (e.kind === 'step') { steps.push(e.step); if (e.step === 2) first.cancel(); } } });
  const stopped = await first.run();
  assert.equal(stopped.status, 'cancelled');
  if (stopped.status !== 'cancelled') return;
  assert.deepEqual(steps, [1, 2, 3], 'the run of steps 1–3 finishes');
  assert.equal(stopped.step, 3);
  const resumed = await new Trainer({ base, train, dev, config, runDir, stepsPerRun: 3 }).run();
  assert.equal(resumed.status, 'done');
  if (resumed.status !== 'done') return;
  for (const [n, t] of one.weights) assert.deepEqual(resumed.weights.get(n)!.data, t.data, `'${n}' differs after a cancel inside a run`);
});

test('L0 dev evaluations after every step leave training unchanged and score the saved state\'s weights', async () => {
  const { home, base } = tinyBert();
  const train = syntheticSentiment(home, 64, 7), dev = syntheticSentiment(home, 16, 8);
  // 8 L0 steps and 4 fixed-mask ones; the tiny BERT's token table is a row-read noise input (gate-noise.ts).
  const config: TrainConfig = { ...TINY, method: 'diff-structured', epochs: 2, maskEpochs: 1 };
  const once = await new Trainer({ base, train, dev, config, runDir: join(home, 'runs', 'once'), stepsPerRun: 1 }).run();
  const l0Evals: { step: number; metrics: Record<string, number> }[] = [];
  const runDir = join(home, 'runs', 'every');
  const every = await new Trainer({
    base, train, dev, config: { ...config, evalEvery: 1 }, runDir, stepsPerRun: 1,
    onEvent: (e) => { if (e.kind === 'eval' && e.phase === 'l0') l0Evals.push({ step: e.step, metrics: e.metrics }); },
  }).run();
  assert.equal(once.status, 'done');
  assert.equal(every.status, 'done');
  if (once.status !== 'done' || every.status !== 'done') return;
  assert.equal(l0Evals.length, 8, 'an evaluation after every L0 step');
  for (const [n, t] of once.weights) assert.deepEqual(every.weights.get(n)!.data, t.data, `'${n}' differs when every step is evaluated`);
  // The last L0 evaluation against the saved L0 state's weights (over the rows the texts look up, as trained).
  const l0 = loadL0State(runDir);
  const trained = compactVocabulary(base, train.task, [train.rows, dev.rows]).base;
  const { weights } = currentWeights(trained, config.method, 'l0', l0.tensors);
  const predictor = await Predictor.open(trained, train.task, { maxLength: config.maxLength });
  try {
    const metrics = metricsOf(await predictor.scores(dev.rows, (n) => weights.get(n) ?? trained.weights.get(n)!), dev.rows, train.task);
    assert.deepEqual(l0Evals.at(-1)!.metrics, metrics);
  } finally {
    await predictor.dispose();
  }
});

test('every method writes a pack that decodes against the base, with its promised sparsity', async () => {
  const { home, base } = tinyBert();
  const train = syntheticSentiment(home, 48, 3), dev = syntheticSentiment(home, 16, 4);
  const d = [...base.weights.values()].reduce((a, t) => a + t.data.length, 0);
  for (const method of METHODS) {
    const events: TrainEvent[] = [];
    const r = await new Trainer({ base, train, dev, config: { ...TINY, method, maxSteps: 2 }, runDir: join(home, 'runs', method), onEvent: (e) => events.push(e) }).run();
    assert.equal(r.status, 'done');
    if (r.status !== 'done') continue;
    const pack = decodePack(encodePack(r.pack), { base });
    const nnz = pack.diffs.reduce((a, x) => a + x.indices.length, 0);
    const biases = [...base.weights].filter(([n]) => n.endsWith('.b')).reduce((a, [, t]) => a + t.data.length, 0);
    const layerNorms = [...base.weights].filter(([n]) => /^l\d+\.ln/.test(n)).reduce((a, [, t]) => a + t.data.length, 0);
    const expected: Record<Method, (n: number) => boolean> = {
      'diff-structured': (n) => n === projectedCount(0.005, d), diff: (n) => n === projectedCount(0.005, d), magnitude: (n) => n === projectedCount(0.005, d),
      bitfit: (n) => n > 0 && n <= biases, 'last-layer': (n) => n > 0 && n < d / 2, full: (n) => n > d / 2,
      // Module methods change no base tensor but Houlsby's LayerNorms; their modules travel apart (r.modules).
      lora: (n) => n === 0, 'adapter-pfeiffer': (n) => n === 0, 'adapter-houlsby': (n) => n > 0 && n <= layerNorms,
    };
    assert.ok(expected[method](nnz), `${method}: ${nnz} nonzeros of ${d}`);
    assert.deepEqual(pack.dense.map((t) => t.name).sort(), ['head.b', 'head.w']);
    assert.equal(pack.provenance.method, method);
    const spec = moduleSpecOf(method, TINY, shapesOf(base));
    assert.equal(pack.kind, spec?.kind ?? 'diff');
    assert.deepEqual(pack.module, spec);
    assert.deepEqual(pack.modules.map((t) => [t.name, t.dims]), Object.entries(spec ? moduleShapes(spec, shapesOf(base)) : {}));
    assert.ok(events.some((e) => e.kind === 'eval'), `${method}: no dev evaluation`);
    if (method === 'diff' || method === 'diff-structured' || method === 'magnitude') assert.ok(events.some((e) => e.kind === 'projection'));
  }
});

test('SST-2 subset on the shipped base: the loss falls and the pack beats the majority class', async (t) => {
  const glue = join(dataDir(), 'glue', 'SST-2');
  if (!existsSync(join(glue, 'train.tsv'))) { t.skip(`SST-2 not found under ${glue} (set TASKPACK_DATA)`); return; }
  const home = tempHome();
  const base = loadBase(home);
  const { train, dev } = loadTrainDev(join(glue, 'train.tsv'), join(glue, 'dev.tsv'), { seed: 1 });
  const trainSub = stratifiedSample(train, 1000, 1), devSub = stratifiedSample(dev, 300, 1);
  const losses: number[] = [];
  const r = await new Trainer({
    base, train: trainSub, dev: devSub, runDir: join(home, 'runs', 'sst2'),
    config: { ...DEFAULT_CONFIG, method: 'diff-structured', maxSteps: 150, maxLength: 48 },
    onEvent: (e) => { if (e.kind === 'step' && e.phase === 'l0') losses.push(e.taskLoss); },
  }).run();
  assert.equal(r.status, 'done');
  if (r.status !== 'done') return;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean(losses.slice(-5)) < mean(losses.slice(0, 5)) - 0.03, `task loss ${mean(losses.slice(0, 5)).toFixed(3)} → ${mean(losses.slice(-5)).toFixed(3)}`);
  // Evaluate the decoded pack by an independent path: dense merge, not the trainer's weights.
  const pack = decodePack(encodePack(r.pack), { base });
  const merged = mergeDense(base.weights, pack);
  const predictor = await Predictor.open(base, devSub.task);
  try {
    const acc = metricsOf(await predictor.scores(devSub.rows, (n) => merged.get(n)!), devSub.rows, devSub.task).accuracy!;
    const positives = devSub.rows.filter((x) => x.label === 1).length;
    const majority = Math.max(positives, devSub.rows.length - positives) / devSub.rows.length;
    assert.ok(acc > majority + 0.05, `pack accuracy ${acc.toFixed(3)} vs majority ${majority.toFixed(3)}`);
  } finally {
    await predictor.dispose();
  }
});
