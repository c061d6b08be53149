import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostTensor, openStepLoop, type HostStepLoop, type HostTensor } from '../../src-main/runtime/index.js';
import { TOY_BINDING, toyStepModel } from './models.js';
import { webgpuSkipReason } from './support.js';

const N = 64;
const STEPS = 20;
const LR = 0.1;

function initialW(): Float32Array {
  return Float32Array.from({ length: N }, (_, i) => Math.sin(i) * 3);
}
function batchX(): Float32Array {
  return Float32Array.from({ length: N }, (_, i) => Math.cos(i * 0.7));
}
function initialState(): Record<string, HostTensor> {
  return { w: hostTensor('float32', [N], initialW()), step: hostTensor('int32', [], Int32Array.of(0)) };
}

/** Closed form in float64: w_k = x + (1-lr)^k (w_0 - x); loss_k = sum((w_k - x)^2). */
function closedForm(k: number): { w: Float64Array; loss: number } {
  const w0 = initialW();
  const x = batchX();
  const f = (1 - LR) ** k;
  const w = Float64Array.from(w0, (v, i) => x[i]! + f * (v - x[i]!));
  let loss = 0;
  for (let i = 0; i < N; i++) loss += (w[i]! - x[i]!) ** 2;
  return { w, loss };
}

async function runLoop(loop: HostStepLoop, steps: number, onStep?: (k: number) => void): Promise<number[]> {
  const losses: number[] = [];
  for (let k = 0; k < steps; k++) {
    const out = await loop.step({ x: hostTensor('float32', [N], batchX()) });
    assert.deepEqual(Object.keys(out), ['loss'], 'only the non-state outputs come back');
    assert.deepEqual(out.loss!.dims, []);
    losses.push((out.loss!.data as Float32Array)[0]!);
    onStep?.(k);
  }
  return losses;
}

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    assert.ok(d <= tol * Math.max(1, Math.abs(want[i]!)), `${what}[${i}]: ${got[i]} vs ${want[i]} (|d| = ${d})`);
  }
}

test('CPU step loop: N steps equal the closed form', async () => {
  const loop = await openStepLoop(toyStepModel(N, LR), { provider: 'cpu' }, { ...TOY_BINDING }, initialState());
  try {
    assert.equal(loop.info().provider, 'cpu');
    const losses = await runLoop(loop, STEPS, () => assert.deepEqual(loop.stateLocations(), { w: 'cpu', step: 'cpu' }));
    assert.equal(loop.steps, STEPS);
    assertClose(losses, Array.from({ length: STEPS }, (_, k) => closedForm(k).loss), 1e-5, 'loss');
    const state = await loop.readState();
    assert.deepEqual(Object.keys(state).sort(), ['step', 'w']);
    assert.equal(state.step!.dtype, 'int32');
    assert.equal((state.step!.data as Int32Array)[0], STEPS);
    assertClose(state.w!.data as Float32Array, closedForm(STEPS).w, 1e-5, 'w');
    // readState hands out copies: changing them leaves the loop's state alone.
    (state.w!.data as Float32Array).fill(1e9);
    const again = await loop.readState();
    assertClose(again.w!.data as Float32Array, closedForm(STEPS).w, 1e-5, 'w after mutating a copy');
    // Only the named inputs, when asked; a name that is not state is an error.
    const some = await loop.readState(['w']);
    assert.deepEqual(Object.keys(some), ['w']);
    assertClose(some.w!.data as Float32Array, closedForm(STEPS).w, 1e-5, 'w read alone');
    await assert.rejects(loop.readState(['x']), /'x' is not state/);
  } finally {
    await loop.dispose();
  }
});

test('WebGPU step loop (no CPU fallback): matches the CPU within 1e-5, state stays on the GPU', async (t) => {
  const skip = await webgpuSkipReason();
  if (skip) return t.skip(skip);
  const gpu = await openStepLoop(
    toyStepModel(N, LR),
    { provider: 'webgpu', disableCpuFallback: true, fallbackToCpu: false },
    { ...TOY_BINDING },
    initialState(),
  );
  const cpu = await openStepLoop(toyStepModel(N, LR), { provider: 'cpu' }, { ...TOY_BINDING }, initialState());
  try {
    const info = gpu.info();
    assert.equal(info.provider, 'webgpu');
    assert.deepEqual([...info.gpuOutputs].sort(), ['new_w', 'step_next']);
    // Before the first step the state is the host's initial tensors; after it, GPU buffers.
    assert.deepEqual(gpu.stateLocations(), { w: 'cpu', step: 'cpu' });
    const gpuLosses = await runLoop(gpu, STEPS, () =>
      assert.deepEqual(gpu.stateLocations(), { w: 'gpu-buffer', step: 'gpu-buffer' }),
    );
    const cpuLosses = await runLoop(cpu, STEPS);
    assertClose(gpuLosses, cpuLosses, 1e-5, 'loss gpu vs cpu');
    const gs = await gpu.readState();
    const cs = await cpu.readState();
    assertClose(gs.w!.data as Float32Array, cs.w!.data as Float32Array, 1e-5, 'w gpu vs cpu');
    assert.equal((gs.step!.data as Int32Array)[0], STEPS);
    // Reading the state does not move it off the GPU, and the loop goes on from it.
    assert.deepEqual(gpu.stateLocations(), { w: 'gpu-buffer', step: 'gpu-buffer' });
    await runLoop(gpu, 1);
    const after = await gpu.readState();
    assertClose(after.w!.data as Float32Array, closedForm(STEPS + 1).w, 1e-5, 'w after one more step');
  } finally {
    await gpu.dispose();
    await cpu.dispose();
  }
});

test('step loop: a failed step leaves the state as it was', async () => {
  const loop = await openStepLoop(toyStepModel(N, LR), { provider: 'cpu' }, { ...TOY_BINDING }, initialState());
  try {
    await runLoop(loop, 3);
    await assert.rejects(loop.step({ x: hostTensor('float32', [N + 1], new Float32Array(N + 1)) }));
    await assert.rejects(loop.step({}), /x/);
    assert.equal(loop.steps, 3);
    await runLoop(loop, 2);
    const s = await loop.readState();
    assert.equal((s.step!.data as Int32Array)[0], 5);
    assertClose(s.w!.data as Float32Array, closedForm(5).w, 1e-5, 'w');
  } finally {
    await loop.dispose();
  }
  await assert.rejects(loop.step({}), /after dispose/);
});

test('step loop: the binding and the initial state are checked against the model', async () => {
  const model = toyStepModel(N, LR);
  const open = (binding: Record<string, string>, state: Record<string, HostTensor>) =>
    openStepLoop(model, { provider: 'cpu' }, binding, state);
  await assert.rejects(open({ nope: 'w' }, initialState()), /no output 'nope'/);
  await assert.rejects(open({ new_w: 'nope' }, initialState()), /no input 'nope'/);
  await assert.rejects(open({ new_w: 'w', step_next: 'w' }, initialState()), /bound twice|int32 but 'w' is float32/);
  await assert.rejects(open({ ...TOY_BINDING }, { w: initialState().w! }), /lacks 'step'/);
  await assert.rejects(
    open({ ...TOY_BINDING }, { ...initialState(), w: hostTensor('float32', [3], new Float32Array(3)) }),
    /wants \[64\], got \[3\]/,
  );
  await assert.rejects(
    open({ ...TOY_BINDING }, { ...initialState(), step: hostTensor('float32', [], new Float32Array(1)) }),
    /wants int32, got float32/,
  );
  await assert.rejects(open({ new_w: 'w' }, initialState()), /'step', which no state output feeds/);
  const loop = await open({ ...TOY_BINDING }, initialState());
  await assert.rejects(loop.step({ x: hostTensor('float32', [N], batchX()), w: initialState().w! }), /which is state/);
  await loop.dispose();
});

test('step loop: fixed inputs are held by the loop (on the GPU where the state is) and checked', async (t) => {
  const skip = await webgpuSkipReason();
  const providers = skip ? (['cpu'] as const) : (['cpu', 'webgpu'] as const);
  if (skip) t.diagnostic(`WebGPU part skipped: ${skip}`);
  for (const provider of providers) {
    const loop = await openStepLoop(toyStepModel(N, LR), { provider, disableCpuFallback: true, fallbackToCpu: false }, { ...TOY_BINDING }, initialState(),
      { x: hostTensor('float32', [N], batchX()) });
    try {
      assert.deepEqual(loop.fixedLocations(), { x: provider === 'cpu' ? 'cpu' : 'gpu-buffer' });
      const losses: number[] = [];
      for (let k = 0; k < STEPS; k++) losses.push(((await loop.step({})).loss!.data as Float32Array)[0]!);
      assertClose(losses, Array.from({ length: STEPS }, (_, k) => closedForm(k).loss), 1e-5, `${provider} loss`);
      assertClose((await loop.readState()).w!.data as Float32Array, closedForm(STEPS).w, 1e-5, `${provider} w`);
      await assert.rejects(loop.step({ x: hostTensor('float32', [N], batchX()) }), /'x', which is a fixed input/);
    } finally {
      await loop.dispose();
    }
  }
  const open = (fixed: Record<string, HostTensor>) => openStepLoop(toyStepModel(N, LR), { provider: 'cpu' }, { ...TOY_BINDING }, initialState(), fixed);
  await assert.rejects(open({ nope: hostTensor('float32', [N], batchX()) }), /fixed input 'nope': the model has no such input/);
  await assert.rejects(open({ w: hostTensor('float32', [N], batchX()) }), /fixed input 'w' is state/);
});
