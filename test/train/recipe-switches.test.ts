/**
 * Each switch of the reference recipe (recipes.ts) changes what it names and nothing else:
 * the gates' constant rate, the gates' clip set, the fixed-mask phase's start and rate; and
 * the gate statistics each L0 evaluation records. (The additive penalty and the per-tensor
 * λ factors are checked against finite differences in trainer-math.test.ts, the clip sets
 * against AdamW's definition in adamw.test.ts.)
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadCheckpoint } from '../../src-main/train/checkpoint.js';
import { diffName, gateName } from '../../src-main/train/diff-params.js';
import { gateStatsPath, type GateStats } from '../../src-main/train/gate-stats.js';
import { loadL0State } from '../../src-main/train/l0-state.js';
import { buildPhaseGraph, layerPenaltyWeight, maskName } from '../../src-main/train/methods.js';
import { PhaseFeeds } from '../../src-main/train/phase-feeds.js';
import { Rng } from '../../src-main/util/rng.js';
import { paramInput } from '../../src-main/train/step-graph.js';
import { Trainer, type TrainEvent } from '../../src-main/train/trainer.js';
import { DEFAULT_CONFIG, type TrainConfig } from '../../src-main/train/train-config.js';
import { syntheticSentiment, tinyBert } from '../../support/trainer-fixtures.js';

const TINY: TrainConfig = {
  ...DEFAULT_CONFIG, method: 'diff-structured', epochs: 1, batchSize: 16, maxLength: 16, lr: { diff: 1e-2, gates: 0.1, head: 1e-2, base: 1e-3 },
};

test('gateSchedule constant: the gates are fed their peak rate every step, the other groups the same warm-up and decay', () => {
  const { home, base } = tinyBert();
  const train = syntheticSentiment(home, 32, 1);
  const pg = buildPhaseGraph(base, train.task, 'diff-structured', 'l0', { weightDecay: 0 });
  const lr = { diff: 1e-2, gates: 0.1, head: 2e-2 };
  const feedsOf = (constantGroups: string[]) => new PhaseFeeds(base, train.task, pg, { maxLength: 16, lr, warmup: 0.2, phaseSteps: 10, constantGroups, lambda: () => 1e-7 });
  const shared = feedsOf([]), constant = feedsOf(['gates']);
  const rows = train.rows.slice(0, 4);
  for (let s = 0; s < 10; s++) {
    const a = shared.steps([rows], s, new Rng(1)), b = constant.steps([rows], s, new Rng(1));
    const fed = (f: typeof a, k: string) => f[k].data[0];
    assert.equal(fed(b, 'lr.gates'), Math.fround(0.1), `step ${s}`);
    assert.equal(fed(a, 'lr.gates'), Math.fround(0.1 * shared.lrScale(s)), `step ${s}`);
    for (const k of ['lr.diff', 'lr.head']) assert.equal(fed(b, k), fed(a, k), `${k} at step ${s}`);
  }
  assert.notEqual(shared.lrScale(0), 1, 'the shared schedule warms up');
});

test('clip separate: only the gates (element and group) form a clip set of their own', () => {
  const { home, base } = tinyBert();
  const train = syntheticSentiment(home, 16, 1);
  const sets = (clip: 'global' | 'separate') => buildPhaseGraph(base, train.task, 'diff-structured', 'l0', { weightDecay: 0, clip }).trainables.map((t) => [t.group, t.clipSet]);
  assert.ok(sets('global').every(([, c]) => c === undefined));
  const separate = sets('separate');
  assert.ok(separate.every(([group, c]) => (group === 'gates' ? c === 'gates' : c === undefined)));
  assert.ok(separate.some(([group]) => group === 'gates') && separate.some(([group]) => group === 'diff'));
});

test('per-layer λ factors map embeddings, each layer and the rest, and a wrong count is refused', () => {
  const names = ['emb.tok', 'l0.attn.q.w', 'l1.ffn.b', 'pool.w'];
  const w = layerPenaltyWeight([1, 2, 3, 4], names);
  assert.deepEqual(names.map(w), [1, 2, 3, 4]);
  assert.throws(() => layerPenaltyWeight([1, 2, 3], names), /takes 4 factors \(embeddings, 2 layers, the rest\), got 3/);
});

test('alphaInit: the element gates\' logits start there (after the 4 L0 steps here, each is within a few steps of its rate of it)', async () => {
  for (const alphaInit of [5, 2]) {
    const { base, l0 } = await maskPhaseStart({ ...TINY, alphaInit });
    let n = 0, sum = 0;
    for (const name of base.weights.keys()) {
      for (const a of l0.get(paramInput(gateName(name)))!.data) {
        assert.ok(Math.abs(a - alphaInit) < 1, `'${name}': ${a} against α₀ = ${alphaInit}`);
        n++; sum += a;
      }
    }
    assert.ok(n > 0 && Math.abs(sum / n - alphaInit) < 0.5, `mean ${sum / n} against α₀ = ${alphaInit}`);
  }
});

/** A run stopped at the start of its fixed-mask phase: that phase's initial state, the L0 state, and the events. */
async function maskPhaseStart(config: TrainConfig) {
  const { home, base } = tinyBert();
  const train = syntheticSentiment(home, 64, 1), dev = syntheticSentiment(home, 16, 2);
  const runDir = join(home, 'runs', 'r');
  const events: TrainEvent[] = [];
  const trainer: Trainer = new Trainer({ base, train, dev, config, runDir, onEvent: (e) => { events.push(e); if (e.kind === 'projection') trainer.cancel(); } });
  assert.equal((await trainer.run()).status, 'cancelled');
  return { base, runDir, events, start: loadCheckpoint(runDir).tensors, l0: loadL0State(runDir).tensors };
}

test('maskStart dense: the fixed-mask phase starts from the L0 phase\'s w, with the same mask as a sampled start', async () => {
  const sampled = await maskPhaseStart(TINY), dense = await maskPhaseStart({ ...TINY, maskStart: 'dense' });
  let kept = 0, differ = 0;
  for (const n of sampled.base.weights.keys()) {
    const mask = sampled.start.get(maskName(n))!.data;
    assert.deepEqual(dense.start.get(maskName(n))!.data, mask, `'${n}': the mask`);
    const w = sampled.l0.get(paramInput(diffName(n)))!.data;
    assert.deepEqual(dense.start.get(paramInput(diffName(n)))!.data, w, `'${n}': the dense start is the L0 phase's w`);
    const s = sampled.start.get(paramInput(diffName(n)))!.data;
    s.forEach((v, i) => {
      if (mask[i] === 0) assert.equal(v, 0);
      else { kept++; if (v !== w[i]) differ++; }
    });
  }
  assert.ok(kept > 0 && differ > 0, `the sampled start is z ⊙ w on the mask (${differ} of ${kept} kept values differ from w)`);
});

test('lr.mask: the fixed-mask phase\'s w rate, the L0 phase\'s unchanged', async () => {
  const config = { ...TINY, epochs: 1, lr: { ...TINY.lr, mask: 3e-3 } };
  const { home, base } = tinyBert();
  const train = syntheticSentiment(home, 64, 1), dev = syntheticSentiment(home, 16, 2);
  const steps: Extract<TrainEvent, { kind: 'step' }>[] = [];
  await new Trainer({ base, train, dev, config, runDir: join(home, 'runs', 'r'), onEvent: (e) => { if (e.kind === 'step') steps.push(e); } }).run();
  const peak = (phase: string) => Math.max(...steps.filter((e) => e.phase === phase).map((e) => e.lr));
  assert.ok(Math.abs(peak('l0') - 1e-2) < 1e-12 && Math.abs(peak('mask') - 3e-3) < 1e-12, `peaks ${peak('l0')}, ${peak('mask')}`);
});

test('each L0 evaluation records E[L0] per tensor and the gates\' √v̂ against ε, in the event and in gates.json', async () => {
  const { events, runDir } = await maskPhaseStart({ ...TINY, evalEvery: 2 });
  const evals = events.filter((e): e is Extract<TrainEvent, { kind: 'eval' }> => e.kind === 'eval');
  assert.equal(evals.length, 2);
  const saved = JSON.parse(readFileSync(gateStatsPath(runDir), 'utf8')) as GateStats[];
  assert.ok(existsSync(gateStatsPath(runDir)));
  assert.deepEqual(saved, evals.map((e) => e.gates));
  assert.deepEqual(saved.map((s) => s.step), [2, 4]);
  // E[L0] from the recorded per-tensor sums after 2 steps against the graph's own (float32) in step 3, from the same α
  // (the default structured penalty, additive: Σ_τ [Σ_i σ(α_i − c) + σ(α^j − c)]).
  assert.equal(TINY.penalty, 'additive');
  const fromStats = Object.values(saved[0].tensors).reduce((a, t) => a + t.expectedL0 + t.groupOpen!, 0);
  const inGraph = events.filter((e) => e.kind === 'step' && e.step === 3).map((e) => e.kind === 'step' && e.expectedL0)[0] as number;
  assert.ok(Math.abs(fromStats - inGraph) <= 1e-3 * inGraph, `${fromStats} vs ${inGraph}`);
  const last = saved[1];
  const { sqrtV } = last;
  assert.equal(sqrtV.eps, 1e-8);
  assert.ok(sqrtV.p10 <= sqrtV.p50 && sqrtV.p50 <= sqrtV.p90 && sqrtV.p90 <= sqrtV.max && sqrtV.mean > 0, JSON.stringify(sqrtV));
  assert.ok(last.groupSqrtV && last.groupSqrtV.max > 0);
});
