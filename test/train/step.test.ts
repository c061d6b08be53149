/**
 * The composite training step (1-layer hidden-8 encoder, Hard-Concrete gates, L0 penalty,
 * softmax cross-entropy, AdamW): full gradient check; 20 steps on ORT track the float64
 * interpreter and reduce the loss.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as g from '../../src-main/graph/index.js';
import type { NDArray } from '../../src-main/graph/index.js';
import { openStepLoop, type HostStepLoop } from '../../src-main/runtime/index.js';
import { genericPoint, syntheticTask } from '../../src-main/selftest/synthetic-task.js';
import { compileStep, toHostAll } from '../../src-main/train/compile.js';
import { Rng } from '../../src-main/util/rng.js';
import { webgpuSkipReason } from '../runtime/support.js';

for (const structured of [false, true]) {
  test(`composite step: full gradient check (${structured ? 'structured' : 'unstructured'} gates)`, () => {
    const task = syntheticTask({ method: structured ? 'diff-structured' : 'diff' });
    const rng = new Rng(3);
    const feeds = genericPoint({ ...task.initialState(), ...task.stepFeeds(1) }, rng);
    const wrt = task.graph.inputs.filter((t) => t.name!.startsWith('p.'));
    const r = g.gradCheck(task.graph.outputs.loss, wrt, feeds, () => rng.uniform(), 1e-4);
    assert.ok(r.relErr <= 1e-6, `jvp ${r.jvp} vs vjp ${r.vjp}: rel ${r.relErr.toExponential(2)}`);
  });
}

test('composite step: 20 AdamW steps on ORT track the float64 interpreter and reduce the loss', async () => {
  const task = syntheticTask({ method: 'diff-structured' });
  const { bytes } = compileStep(task.graph);
  const state0 = task.initialState();
  const loop = await openStepLoop(bytes, { provider: 'cpu' }, task.graph.stateBinding, toHostAll(state0));
  const outs = Object.keys(task.graph.outputs);
  const tensors = outs.map((k) => task.graph.outputs[k]);
  let refState: Record<string, NDArray> = state0;
  const losses: number[] = [];
  try {
    for (let t = 1; t <= 20; t++) {
      const feeds = task.stepFeeds(t);
      const ref = g.evaluate(tensors, { ...refState, ...feeds });
      const byName = Object.fromEntries(outs.map((k, i) => [k, ref[i]]));
      const got = await loop.step(toHostAll(feeds));
      for (const k of task.graph.scalars) {
        const a = Number(got[k].data[0]), b = byName[k].data[0];
        assert.ok(Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)), `step ${t} ${k}: ORT ${a} vs float64 ${b}`);
      }
      losses.push(byName.taskLoss.data[0]);
      refState = Object.fromEntries(Object.entries(task.graph.stateBinding).map(([o, i]) => [i, byName[o]]));
    }
    const finalState = await loop.readState();
    for (const [name, ref] of Object.entries(refState)) {
      const got = finalState[name].data as Float32Array;
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref.data[i]) / Math.max(1, Math.abs(ref.data[i])));
      assert.ok(worst <= 1e-4, `final ${name}: max deviation ${worst.toExponential(2)}`);
    }
  } finally {
    await loop.dispose();
  }
  const head = losses.slice(0, 3).reduce((a, b) => a + b) / 3, tail = losses.slice(-3).reduce((a, b) => a + b) / 3;
  assert.ok(tail < 0.7 * head, `task loss should fall: first steps ${head.toFixed(4)}, last steps ${tail.toFixed(4)}`);
});

test('composite step on WebGPU (no CPU fallback) matches the CPU: scalars within 1e-4, one step\'s state within 1e-5, ten steps\' within 1e-3; the state stays on the GPU', async (t) => {
  const skip = await webgpuSkipReason();
  if (skip) return t.skip(skip);
  const task = syntheticTask({ method: 'diff-structured' });
  const { bytes } = compileStep(task.graph);
  const open = (provider: 'cpu' | 'webgpu') => openStepLoop(bytes,
    provider === 'cpu' ? { provider } : { provider, disableCpuFallback: true, fallbackToCpu: false },
    task.graph.stateBinding, toHostAll(task.initialState()));
  const gpu = await open('webgpu'), cpu = await open('cpu');
  try {
    assert.equal(gpu.info().provider, 'webgpu');
    for (let t = 1; t <= 10; t++) {
      const feeds = task.stepFeeds(t);
      const [a, b] = [await gpu.step(toHostAll(feeds)), await cpu.step(toHostAll(feeds))];
      for (const k of task.graph.scalars) {
        const x = Number(a[k].data[0]), y = Number(b[k].data[0]);
        assert.ok(Math.abs(x - y) <= 1e-4 * Math.max(1, Math.abs(y)), `step ${t} ${k}: WebGPU ${x} vs CPU ${y}`);
      }
      assert.ok(Object.values(gpu.stateLocations()).every((l) => l === 'gpu-buffer'), `step ${t}: state left the GPU`);
      // One step from the same state must agree to rounding. Over ten, Adam's per-coordinate
      // normalisation lets a rounding-level difference in a small gradient move a weight by
      // a sizeable part of its step: a gate logit whose gate comes inside the clip for one
      // step (z in (0, 1): the task gradient reaches it) can end 1e-4 apart.
      if (t === 1 || t === 10) await assertStatesClose(gpu, cpu, t === 1 ? 1e-5 : 1e-3, `after step ${t}`);
    }
  } finally {
    await gpu.dispose();
    await cpu.dispose();
  }
});

async function assertStatesClose(a: HostStepLoop, b: HostStepLoop, tol: number, when: string): Promise<void> {
  const [as, bs] = [await a.readState(), await b.readState()];
  for (const name of Object.keys(bs)) {
    const x = as[name].data as Float32Array, y = bs[name].data as Float32Array;
    let worst = 0;
    for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / Math.max(1, Math.abs(y[i])));
    assert.ok(worst <= tol, `${name} ${when}: WebGPU vs CPU max deviation ${worst.toExponential(2)} (tolerance ${tol})`);
  }
}
