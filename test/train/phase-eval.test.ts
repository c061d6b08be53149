/**
 * A dev evaluation's θ + δ built in the inference graph (train/phase-eval.ts) scores what the
 * host-built weights (run-state.ts's currentWeights) score: the fixed-mask phase bit for bit,
 * the L0 phase's deterministic gates to float32 rounding; diffNonzeros counts what
 * currentWeights counts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Predictor } from '../../src-main/infer/evaluate.js';
import { diffName, gateName, groupGateName } from '../../src-main/train/diff-params.js';
import { maskName, shapesOf, type Method, type PhaseKind } from '../../src-main/train/methods.js';
import { evaluationParams } from '../../src-main/train/phase-eval.js';
import { currentWeights, diffNonzeros, type RunState } from '../../src-main/train/run-state.js';
import { paramInput } from '../../src-main/train/step-graph.js';
import { Rng } from '../../src-main/util/rng.js';
import { syntheticSentiment, tinyBert } from '../../support/trainer-fixtures.js';

/** A phase state with w spread over zero and nonzero values, gates over closed, open and in between, a half mask. */
function randomState(shapes: Record<string, number[]>, method: Method, kind: PhaseKind, head: Record<string, number[]>): RunState {
  const rng = new Rng(11), state: RunState = new Map();
  const fill = (n: number, f: () => number) => Float32Array.from({ length: n }, f);
  for (const [n, dims] of Object.entries(shapes)) {
    const size = dims.reduce((a, b) => a * b, 1);
    state.set(paramInput(diffName(n)), { dims, data: fill(size, () => (rng.uniform() < 0.2 ? 0 : (rng.uniform() - 0.5) * 0.2)) });
    if (kind === 'mask') state.set(maskName(n), { dims, data: fill(size, () => (rng.uniform() < 0.5 ? 1 : 0)) });
    else state.set(paramInput(gateName(n)), { dims, data: fill(size, () => (rng.uniform() - 0.5) * 8) });
    if (kind === 'l0' && method === 'diff-structured') state.set(paramInput(groupGateName(n)), { dims: [1], data: Float32Array.of((rng.uniform() - 0.3) * 4) });
  }
  for (const [n, dims] of Object.entries(head)) state.set(paramInput(n), { dims, data: fill(dims.reduce((a, b) => a * b, 1), () => (rng.uniform() - 0.5) * 0.5) });
  return state;
}

for (const [method, kind] of [['diff', 'l0'], ['diff-structured', 'l0'], ['diff', 'mask']] as [Method, PhaseKind][]) {
  test(`phase evaluation (${method}, ${kind}): θ + δ in the graph scores the host-built weights`, async () => {
    const { home, base } = tinyBert();
    const task = { type: 'classification' as const, outputs: 2, pair: false }, rows = syntheticSentiment(home, 40, 3).rows;
    const shapes = shapesOf(base), state = randomState(shapes, method, kind, base.headShapes(task));
    const { weights, nonzeros } = currentWeights(base, method, kind, state);
    assert.equal(diffNonzeros(base, method, kind, state), nonzeros);
    const host = await Predictor.open(base, task, { maxLength: 16 });
    const inGraph = await Predictor.open(base, task, { maxLength: 16, params: evaluationParams(method, kind, shapes, Object.keys(shapes)) });
    try {
      const expected = await host.scores(rows, (n) => weights.get(n) ?? base.weights.get(n)!);
      const fed: string[] = [];
      const got = await inGraph.scores(rows, (n) => {
        fed.push(n);
        const t = state.get(n) ?? state.get(paramInput(n)) ?? base.weights.get(n)!;
        return { dims: t.dims, data: t.data as Float32Array };
      });
      assert.ok(fed.includes(paramInput(diffName('emb.tok'))) && fed.includes(kind === 'mask' ? maskName('l0.ffn.in.w') : paramInput(gateName('l0.ffn.in.w'))), 'fed the phase state');
      if (kind === 'mask') assert.deepEqual(got, expected);
      else for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - expected[i]) <= 1e-4 * (1 + Math.abs(expected[i])), `score ${i}: ${got[i]} vs ${expected[i]}`);
    } finally {
      await host.dispose();
      await inGraph.dispose();
    }
  });
}
