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
import { fromHalf } from '../../src-main/onnx/float16.js';
import { DEFAULT_ADAMW, halfScale, MOMENT_TYPES } from '../../src-main/train/adamw.js';
import type { HostTensor } from '../../src-main/runtime/index.js';

const HALF_SCALE = halfScale(DEFAULT_ADAMW.clipNorm);

/** A state tensor's values: float32 as they are, float16 moments as m and √v. */
const hostValues = (t: HostTensor): ArrayLike<number> => (t.dtype === 'float16' ? Float64Array.from(t.data as Uint16Array, (h) => fromHalf(h) / HALF_SCALE) : t.data as Float32Array);
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

// float16 moments are compared as m and √v (their stored S·m and S·√v over S), float32 ones as m and v.
// ORT rounds float32 values to float16, the interpreter float64 ones: a moment an ulp apart
// (2⁻¹¹ relative) moves a parameter by up to 2⁻¹¹·lr more that step, ≤ 5e-5 at the gates'
// lr 0.1, so over 20 steps the state is held to 1e-3 with float16 moments, 1e-4 without.
// The gradient-scaled penalty reads the moments' √v into the loss (S·√v cast up, or √v).
for (const moments of MOMENT_TYPES) for (const gradientScaledPenalty of [false, true]) test(`composite step (${moments} moments${gradientScaledPenalty ? ', penalty scaled by w\'s gradient scale' : ''}): 20 AdamW steps on ORT track the float64 interpreter and reduce the loss`, async () => {
  const task = syntheticTask({ method: 'diff-structured', optimizer: { ...DEFAULT_ADAMW, moments }, gradientScaledPenalty });
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
      assert.equal(finalState[name].dtype, ref.dtype === 'float16' ? 'float16' : 'float32', name);
      const got = hostValues(finalState[name]), want = ref.dtype === 'float16' ? ref.data.map((x) => x / HALF_SCALE) : ref.data;
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
      assert.ok(worst <= (moments === 'float16' ? 1e-3 : 1e-4), `final ${name}: max deviation ${worst.toExponential(2)}`);
    }
  } finally {
    await loop.dispose();
  }
  const head = losses.slice(0, 3).reduce((a, b) => a + b) / 3, tail = losses.slice(-3).reduce((a, b) => a + b) / 3;
  assert.ok(tail < 0.7 * head, `task loss should fall: first steps ${head.toFixed(4)}, last steps ${tail.toFixed(4)}`);
});

for (const moments of MOMENT_TYPES) test(`composite step (${moments} moments) on WebGPU (no CPU fallback) matches the CPU: scalars within 1e-4, one step's state within 1e-5, ten steps' within 1e-3; the state stays on the GPU`, async (t) => {
  const skip = await webgpuSkipReason();
  if (skip) return t.skip(skip);
  const task = syntheticTask({ method: 'diff-structured', optimizer: { ...DEFAULT_ADAMW, moments } });
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
    const x = hostValues(as[name]), y = hostValues(bs[name]);
    let worst = 0;
    for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / Math.max(1, Math.abs(y[i])));
    assert.ok(worst <= tol, `${name} ${when}: WebGPU vs CPU max deviation ${worst.toExponential(2)} (tolerance ${tol})`);
  }
}

test('penalty scaled by w\'s gradient scale: with every √v of w alike the step is the unscaled one (float64), and the penalty moves with √v apart', () => {
  const plain = syntheticTask({ method: 'diff-structured' }), scaled = syntheticTask({ method: 'diff-structured', gradientScaledPenalty: true });
  const outs = Object.keys(plain.graph.outputs);
  const stepOf = (task: typeof plain, v: (name: string) => number) => {
    const state = task.initialState();
    for (const [name, t] of Object.entries(state)) if (name.startsWith('v.diff.')) t.data.fill(v(name));
    // Gates alike too would leave the penalty unchanged: s's mean over all elements is 1.
    Object.entries(state).find(([name]) => name.startsWith('p.gate.'))![1].data.fill(1);
    const values = g.evaluate(outs.map((k) => task.graph.outputs[k]), { ...state, ...task.stepFeeds(1) });
    return Object.fromEntries(outs.map((k, i) => [k, values[i].data]));
  };
  const alike = stepOf(scaled, () => 0.37), reference = stepOf(plain, () => 0.37);
  for (const k of outs) {
    const worst = Array.from(reference[k]).reduce((w, x, i) => Math.max(w, Math.abs(alike[k][i] - x) / Math.max(1, Math.abs(x))), 0);
    assert.ok(worst <= 1e-12, `${k}: ${worst}`);
  }
  // One tensor's gradient scale 10 × the rest's: its gates' penalty share grows, the rest's falls.
  let first = '';
  const apart = stepOf(scaled, (name) => ((first ||= name) === name ? 3.7 : 0.37));
  assert.ok(Math.abs(apart.expectedL0[0] - reference.expectedL0[0]) > 1e-6 * reference.expectedL0[0], 'the penalty reads √v');
  assert.deepEqual(Array.from(stepOf(plain, (name) => ((first ||= name) === name ? 3.7 : 0.37)).expectedL0), Array.from(reference.expectedL0), 'unscaled, it does not');
});
