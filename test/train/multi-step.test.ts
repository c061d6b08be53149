/**
 * Several training steps in one graph (train/multi-step.ts, graph/clone.ts): on ONNX Runtime
 * they give the same state and scalars as the steps run one by one, bit for bit, with batches
 * of different sizes and lengths in one run (the trainer's tests cover the shared inputs).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openStepLoop, type HostTensor } from '../../src-main/runtime/index.js';
import { syntheticBatch, syntheticTask } from '../../src-main/selftest/synthetic-task.js';
import { compileStep, toHostAll } from '../../src-main/train/compile.js';
import { multiStepGraph, stepsPerRun, STEPS_PER_RUN, substepName } from '../../src-main/train/multi-step.js';
import { Rng } from '../../src-main/util/rng.js';

// Substeps of one run: batch × sequence length (a short last batch, as at an epoch's end).
const SHAPES = [[8, 6], [3, 4], [8, 5]];

for (const method of ['diff-structured', 'full'] as const) {
  test(`${SHAPES.length} steps in one graph = the same steps one by one, bit for bit (${method})`, async () => {
    const task = syntheticTask({ method });
    const rng = new Rng(9);
    const feeds = SHAPES.map(([batch, seq], j) => ({ ...toHostAll(task.stepFeeds(j + 1)), ...toHostAll(syntheticBatch(rng, task.config, batch, seq)) }));

    const single = await openStepLoop(compileStep(task.graph).bytes, { provider: 'cpu' }, task.graph.stateBinding, toHostAll(task.initialState()));
    const scalars: Record<string, HostTensor>[] = [];
    for (const f of feeds) scalars.push(await single.step(f));
    const want = await single.readState();
    await single.dispose();

    const graph = multiStepGraph(task.graph, SHAPES.length, () => false);
    assert.deepEqual(graph.stateBinding, task.graph.stateBinding);
    const merged: Record<string, HostTensor> = {};
    feeds.forEach((f, j) => {
      for (const [n, t] of Object.entries(f)) if (j === 0 || n !== 'step') merged[substepName(n, j)] = t;
    });
    const multi = await openStepLoop(compileStep(graph).bytes, { provider: 'cpu' }, graph.stateBinding, toHostAll(task.initialState()));
    const out = await multi.step(merged);
    const got = await multi.readState();
    await multi.dispose();

    for (const [n, t] of Object.entries(want)) assert.deepEqual(got[n].data, t.data, `state '${n}'`);
    scalars.forEach((s, j) => {
      for (const k of task.graph.scalars) assert.equal(out[`${k}@${j}`].data[0], s[k].data[0], `${k} of substep ${j}`);
    });
  });
}

test('multiStepGraph: one step is the step itself, scalars named @0', () => {
  const task = syntheticTask({ method: 'diff' });
  const one = multiStepGraph(task.graph, 1, () => false);
  assert.deepEqual(one.scalars, task.graph.scalars.map((s) => `${s}@0`));
  for (const s of task.graph.scalars) assert.equal(one.outputs[`${s}@0`], task.graph.outputs[s]);
  assert.throws(() => multiStepGraph(task.graph, 0, () => false), /positive integer/);
});

test('steps per run: several on the CPU while their gate noise stays small, one on a GPU', () => {
  assert.equal(stepsPerRun('cpu', 0), STEPS_PER_RUN);
  assert.equal(stepsPerRun('cpu', 4 * 6_975_744), STEPS_PER_RUN, 'the shipped base');
  assert.equal(stepsPerRun('cpu', 4 * 86_000_000), 1, 'a BERT-base diff step');
  assert.equal(stepsPerRun('webgpu', 0), 1);
});
