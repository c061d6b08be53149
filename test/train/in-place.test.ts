/**
 * State written in place (train/in-place.ts, runtime/step-loop.ts): which outputs may
 * overwrite their inputs, and that a loop doing so on ONNX Runtime gives the same state and
 * scalars, bit for bit, as one that does not, while holding the state in the buffers it was
 * handed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as g from '../../src-main/graph/index.js';
import { openStepLoop, type HostTensor } from '../../src-main/runtime/index.js';
import { syntheticBatch, syntheticTask } from '../../src-main/selftest/synthetic-task.js';
import { DEFAULT_ADAMW } from '../../src-main/train/adamw.js';
import { compileStep, toHostAll } from '../../src-main/train/compile.js';
import { inPlaceOutputs } from '../../src-main/train/in-place.js';
import { multiStepGraph } from '../../src-main/train/multi-step.js';
import { Rng } from '../../src-main/util/rng.js';
import { buildStepGraph } from '../../src-main/train/step-graph.js';

for (const method of ['diff-structured', 'full'] as const) {
  test(`in place: every state output of a ${method} step, and the same steps bit for bit`, async () => {
    const task = syntheticTask({ method });
    const inPlace = inPlaceOutputs(task.graph);
    assert.deepEqual(inPlace.sort(), Object.keys(task.graph.stateBinding).sort(), 'AdamW\'s clipping orders every read before the updates');
    assert.deepEqual(inPlaceOutputs(multiStepGraph(task.graph, 3, () => false)).sort(), inPlace, 'unrolled steps too');

    const rng = new Rng(4);
    const feeds = [1, 2, 3].map((t) => ({ ...toHostAll(task.stepFeeds(t)), ...toHostAll(syntheticBatch(rng, task.config, 5, 6)) }));
    const run = async (written: string[]) => {
      const initial = toHostAll(task.initialState());
      const held = Object.fromEntries(Object.entries(initial).map(([n, t]) => [n, t.data]));
      const loop = await openStepLoop(compileStep(task.graph).bytes, { provider: 'cpu' }, task.graph.stateBinding, initial, {}, written);
      const scalars: Record<string, HostTensor>[] = [];
      for (const f of feeds) scalars.push(await loop.step(f));
      const state = await loop.readState(), view = await loop.viewState();
      await loop.dispose();
      return { scalars, state, held, view };
    };
    const copied = await run([]), written = await run(inPlace);
    for (const [n, t] of Object.entries(copied.state)) {
      assert.deepEqual(written.state[n].data, t.data, `state '${n}'`);
      assert.deepEqual(written.held[n], t.data, `'${n}' was updated in the buffer the loop was handed`);
      assert.equal(written.view[n].data, written.held[n], `viewState hands out '${n}' itself`);
      assert.notEqual(written.state[n].data, written.held[n], 'readState copies');
    }
    const moved = Object.keys(copied.state).filter((n) => copied.held[n].some((v, i) => v !== copied.state[n].data[i]));
    assert.ok(moved.length > 0 && moved.every((n) => copied.state[n].data !== copied.held[n]), 'without in place, new buffers each step');
    copied.scalars.forEach((s, j) => { for (const k of task.graph.scalars) assert.equal(written.scalars[j][k].data[0], s[k].data[0], `${k} of step ${j + 1}`); });
  });
}

test('in place: not for a parameter that a metric reads outside the gradient path', () => {
  const step = buildStepGraph([{ name: 'a', shape: [3], group: 'base', decay: false }], (p) => ({
    loss: g.reduceSum(g.square(p('a'))),
    metrics: { total: g.reduceSum(p('a')) },
  }), DEFAULT_ADAMW);
  assert.deepEqual(inPlaceOutputs(step).sort(), ['m.a.next', 'v.a.next']);
});

test('in place: an unknown output is refused', async () => {
  const task = syntheticTask({ method: 'full' });
  await assert.rejects(openStepLoop(compileStep(task.graph).bytes, { provider: 'cpu' }, task.graph.stateBinding, toHostAll(task.initialState()), {}, ['loss']),
    /in-place output 'loss' is not a state output/);
});
