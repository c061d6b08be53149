/**
 * Module methods through the trainer on the tiny BERT (separate Q/K/V, post-norm): each
 * trains its module tensors (and, Houlsby, the layer norms) with the rest of the base
 * frozen, and the task loss falls, below what the head alone reaches; a cancelled Houlsby run resumes to the same weights and
 * modules bit for bit; the dev evaluation's Predictor runs the trained modules.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { metricsOf, Predictor } from '../../src-main/infer/evaluate.js';
import { moduleShapes } from '../../src-main/model/modules.js';
import { MODULE_METHODS, moduleSpecOf, shapesOf } from '../../src-main/train/methods.js';
import { Trainer, type TrainResult } from '../../src-main/train/trainer.js';
import { DEFAULT_CONFIG, type TrainConfig } from '../../src-main/train/train-config.js';
import { syntheticSentiment, tinyBert } from '../../support/trainer-fixtures.js';

const TINY: Omit<TrainConfig, 'method'> = {
  ...DEFAULT_CONFIG, epochs: 8, batchSize: 16, maxLength: 16, rank: 4, loraAlpha: 4, bottleneck: 4,
  lr: { diff: 1e-2, gates: 0.1, head: 1e-2, base: 1e-3, module: 3e-2 },
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The task losses of a run on the synthetic task. */
async function lossesOf(config: TrainConfig, runDir: string, home: string, base: Awaited<ReturnType<typeof tinyBert>>['base']) {
  const train = syntheticSentiment(home, 64, 11), dev = syntheticSentiment(home, 32, 12);
  const losses: number[] = [];
  const r = await new Trainer({ base, train, dev, config, runDir, onEvent: (e) => { if (e.kind === 'step') losses.push(e.taskLoss); } }).run();
  return { r, losses, train, dev };
}

/** The head alone (LoRA with B = 0 kept there by a vanishing rate): what the modules must beat. */
let headOnly: Promise<number> | undefined;
const headOnlyLoss = () => (headOnly ??= (async () => {
  const { home, base } = tinyBert();
  const { losses } = await lossesOf({ ...TINY, method: 'lora', lr: { ...TINY.lr, module: 1e-12 } }, join(home, 'runs', 'head'), home, base);
  return mean(losses.slice(-6));
})());

for (const method of MODULE_METHODS) test(`${method}: the module tensors train with the base frozen, and the task loss falls below the head alone's`, async () => {
  const { home, base } = tinyBert();
  const config: TrainConfig = { ...TINY, method };
  const { r, losses, train, dev } = await lossesOf(config, join(home, 'runs', method), home, base);
  assert.equal(r.status, 'done');
  if (r.status !== 'done') return;
  assert.equal(losses.length, 32);
  const [start, end, head] = [mean(losses.slice(0, 6)), mean(losses.slice(-6)), await headOnlyLoss()];
  assert.ok(end < start - 0.1 && end < head - 0.05, `task loss ${start.toFixed(3)} → ${end.toFixed(3)}; the head alone ends at ${head.toFixed(3)}`);

  const spec = moduleSpecOf(method, config, shapesOf(base))!;
  assert.deepEqual(r.modules?.spec, spec);
  const shapes = moduleShapes(spec, shapesOf(base));
  assert.deepEqual([...r.modules!.tensors.keys()].sort(), Object.keys(shapes).sort());
  for (const [n, t] of r.modules!.tensors) assert.deepEqual(t.dims, shapes[n]);
  // B (LoRA) and the up-projections (adapters) start at or near zero: training moved them.
  const grown = [...r.modules!.tensors].filter(([n]) => n.endsWith(spec.kind === 'lora' ? '.b' : '.up.w'));
  assert.ok(grown.length > 0 && grown.every(([, t]) => t.data.some((v) => Math.abs(v) > 1e-3)), 'the zero-started factors did not move');
  // Frozen base: the only base tensors a run returns are those it trains (Houlsby's layer norms), and they moved.
  const trainedBase = [...r.weights.keys()].filter((n) => !n.startsWith('head.'));
  if (method === 'adapter-houlsby') {
    assert.deepEqual(trainedBase, [...base.weights.keys()].filter((n) => /^l\d+\.ln\d\.[gb]$/.test(n)));
    for (const n of trainedBase) assert.notDeepEqual(r.weights.get(n)!.data, base.weights.get(n)!.data, `${n} did not train`);
  } else assert.deepEqual(trainedBase, []);

  // The run's dev metrics are the trained modules' through a fresh Predictor.
  const predictor = await Predictor.open(base, train.task, { maxLength: config.maxLength, module: spec });
  try {
    const all = new Map([...r.weights, ...r.modules!.tensors]);
    const scores = await predictor.scores(dev.rows, (n) => all.get(n) ?? base.weights.get(n)!);
    assert.deepEqual(metricsOf(scores, dev.rows, train.task), r.devMetrics);
  } finally {
    await predictor.dispose();
  }
});

test('adapter-houlsby: cancel at a random step, resume: the same weights and modules as an uninterrupted run', async () => {
  const { home, base } = tinyBert();
  const train = syntheticSentiment(home, 64, 13), dev = syntheticSentiment(home, 16, 14);
  const config: TrainConfig = { ...TINY, method: 'adapter-houlsby', epochs: 4 };
  const full = await new Trainer({ base, train, dev, config, runDir: join(home, 'runs', 'whole') }).run();
  const cut = 1 + Math.floor(Math.random() * 15); // after step 1..15 of 16
  const runDir = join(home, 'runs', 'cut');
  const first = new Trainer({ base, train, dev, config, runDir, stepsPerRun: 1, onEvent: (e) => { if (e.kind === 'step' && e.step === cut) first.cancel(); } });
  assert.equal((await first.run()).status, 'cancelled', `cancel after step ${cut}`);
  assert.ok(existsSync(join(runDir, 'latest.json')));
  const resumed = await new Trainer({ base, train, dev, config, runDir }).run();
  assert.equal(full.status, 'done');
  assert.equal(resumed.status, 'done');
  const [a, b] = [full, resumed] as TrainResult[];
  for (const key of ['weights', 'modules'] as const) {
    const [x, y] = key === 'weights' ? [a.weights, b.weights] : [a.modules!.tensors, b.modules!.tensors];
    assert.deepEqual([...y.keys()].sort(), [...x.keys()].sort());
    for (const [n, t] of x) assert.deepEqual(y.get(n)!.data, t.data, `'${n}' differs after resuming at step ${cut}`);
  }
  assert.deepEqual(b.devMetrics, a.devMetrics);
});
