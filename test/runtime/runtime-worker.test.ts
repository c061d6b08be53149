import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostTensor, openSession, RuntimeWorker, type HostTensor } from '../../src-main/runtime/index.js';
import { workerEntry } from '../../src-main/runtime/runtime-worker.js';
import { AFFINE, heavyModel, TOY_BINDING, toyStepModel } from './models.js';
import { SOURCE_EXT, webgpuSkipReason } from './support.js';

const N = 16;

function toyState(): Record<string, HostTensor> {
  return {
    w: hostTensor('float32', [N], Float32Array.from({ length: N }, (_, i) => i)),
    step: hostTensor('int32', [], Int32Array.of(0)),
  };
}
const toyX = () => hostTensor('float32', [N], new Float32Array(N).fill(1));

test('the worker entry matches how this code runs (.ts under tsx, .js from dist/)', () => {
  const { url, eval: viaBootstrap } = workerEntry();
  assert.ok(url.pathname.endsWith(`/src-main/runtime/runtime-worker-entry${SOURCE_EXT}`), url.href);
  assert.equal(viaBootstrap, SOURCE_EXT === '.ts');
});

test('worker: open, run, close; numbers as on the main thread; arrays handed over', async () => {
  const rt = new RuntimeWorker();
  try {
    const s = await rt.openSession(AFFINE.model(), { provider: 'cpu' });
    assert.equal(s.info.provider, 'cpu');
    assert.deepEqual(s.info.inputs.map((i) => i.name), ['x']);
    const data = Float32Array.of(1, 0, -1, 0.5, 2, 3);
    const { y } = await s.run({ x: hostTensor('float32', [2, 3], data) });
    assert.equal(data.length, 0, 'a feed that owns its buffer is transferred (detached here)');
    assert.deepEqual(Array.from(y!.data as Float32Array), [-3.5, -5, 22, 26]);

    // A view into a larger buffer is copied, never detached.
    const big = new Float32Array(12).fill(7);
    const view = big.subarray(3, 6);
    view.set([1, 0, -1]);
    const r2 = await s.run({ x: hostTensor('float32', [1, 3], view) });
    assert.equal(big.length, 12);
    assert.deepEqual(Array.from(r2.y!.data as Float32Array), [-3.5, -5]);

    // The model bytes are copied unless transferModel is set.
    const model = AFFINE.model();
    const s2 = await rt.openSession(model, { provider: 'cpu' });
    assert.ok(model.length > 0);
    const s3 = await rt.openSession(model, { provider: 'cpu', transferModel: true });
    assert.equal(model.length, 0);
    await s2.close();
    await s3.close();
    await s.close();
    await assert.rejects(s.run({ x: hostTensor('float32', [1, 3], new Float32Array(3)) }), /no open session or loop with handle/);
  } finally {
    await rt.terminate();
  }
});

test('worker: errors come back as rejections and the worker stays usable', async () => {
  const rt = new RuntimeWorker();
  try {
    await assert.rejects(rt.openSession(Uint8Array.of(1, 2, 3), { provider: 'cpu' }), (e: unknown) => {
      assert.ok(e instanceof Error && e.stack?.includes('[in runtime worker: openSession]'), String(e));
      return true;
    });
    const s = await rt.openSession(AFFINE.model(), { provider: 'cpu' });
    await assert.rejects(s.run({ x: hostTensor('float32', [1, 2], new Float32Array(2)) }));
    const { y } = await s.run({ x: hostTensor('float32', [1, 3], Float32Array.of(1, 0, -1)) });
    assert.deepEqual(Array.from(y!.data as Float32Array), [-3.5, -5]);
    const providers = await rt.detectProviders();
    assert.ok(providers.find((p) => p.name === 'cpu')?.ok);
  } finally {
    await rt.terminate();
  }
  await assert.rejects(rt.detectProviders(), /terminated/);
});

test('worker step loop on the CPU: state fed back, read back', async () => {
  const rt = new RuntimeWorker();
  try {
    const loop = await rt.openLoop(toyStepModel(N, 0.5), { provider: 'cpu' }, { ...TOY_BINDING }, toyState());
    const losses: number[] = [];
    for (let k = 0; k < 4; k++) losses.push(((await loop.step({ x: toyX() })).loss!.data as Float32Array)[0]!);
    // w_k - 1 = 0.5^k (i - 1): loss_k = 0.25^k · Σ (i-1)^2
    const s0 = Array.from({ length: N }, (_, i) => (i - 1) ** 2).reduce((a, b) => a + b, 0);
    assert.deepEqual(losses, [0, 1, 2, 3].map((k) => s0 * 0.25 ** k));
    const state = await loop.readState();
    assert.deepEqual(Array.from(state.w!.data as Float32Array), Array.from({ length: N }, (_, i) => 1 + (i - 1) / 16));
    assert.equal((state.step!.data as Int32Array)[0], 4);
    assert.deepEqual(Object.keys(await loop.readState(['step'])), ['step'], 'only the named state crosses back');
    assert.deepEqual(await loop.stateLocations(), { w: 'cpu', step: 'cpu' });
    await loop.close();
  } finally {
    await rt.terminate();
  }
});

test('worker step loop on WebGPU: state stays on the GPU in the worker', async (t) => {
  const skip = await webgpuSkipReason();
  if (skip) return t.skip(skip);
  const rt = new RuntimeWorker();
  try {
    const loop = await rt.openLoop(
      toyStepModel(N, 0.5),
      { provider: 'webgpu', disableCpuFallback: true, fallbackToCpu: false },
      { ...TOY_BINDING },
      toyState(),
    );
    assert.equal(loop.info.provider, 'webgpu');
    for (let k = 0; k < 4; k++) {
      await loop.step({ x: toyX() });
      assert.deepEqual(await loop.stateLocations(), { w: 'gpu-buffer', step: 'gpu-buffer' });
    }
    const state = await loop.readState();
    const want = Array.from({ length: N }, (_, i) => 1 + (i - 1) / 16);
    (state.w!.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= 1e-6, `w[${i}] = ${v}`));
    assert.equal((state.step!.data as Int32Array)[0], 4);
    await loop.close();
  } finally {
    await rt.terminate();
  }
});

/** Largest gap between setInterval ticks (ms) while `work` runs. */
async function maxTickGap(work: () => Promise<unknown>): Promise<{ maxGap: number; ticks: number; ms: number }> {
  let last = performance.now();
  let maxGap = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    ticks++;
  }, 5);
  const t0 = performance.now();
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  const end = performance.now();
  maxGap = Math.max(maxGap, end - last);
  return { maxGap, ticks, ms: end - t0 };
}

test('the main event loop keeps ticking (gaps <= 150 ms) while a >= 1 s step runs in the worker', async (t) => {
  const n = 1024;
  const x = () => hostTensor('float32', [n, n], Float32Array.from({ length: n * n }, (_, i) => Math.sin(i)));
  const rt = new RuntimeWorker();
  try {
    let layers = 100;
    const measure = async () => {
      const s = await rt.openSession(heavyModel(n, layers), { provider: 'cpu' });
      const feed = x();
      const m = await maxTickGap(() => s.run({ x: feed }));
      await s.close();
      t.diagnostic(`worker: ${layers} layers, run ${m.ms.toFixed(0)} ms, ${m.ticks} ticks, max gap ${m.maxGap.toFixed(1)} ms`);
      return m;
    };
    // A faster machine gets more 1024×1024 MatMul layers, until the step takes a second.
    let r = await measure();
    for (let attempt = 0; attempt < 3 && r.ms < 1000; attempt++) {
      layers = Math.ceil((layers * 1600) / Math.max(r.ms, 50));
      r = await measure();
    }
    assert.ok(r.ms >= 1000, `the heavy step took only ${r.ms.toFixed(0)} ms`);
    // On a loaded machine the OS may hold this thread back for tens of ms now and then (52–76 ms
    // beside two niced trainings on 2 cores); a loop blocked by the session stalls for the whole
    // run, every time. So one of three runs must stay under a seventh of the run.
    const bound = 150;
    let best = r.maxGap;
    for (let retry = 0; retry < 2 && best > bound; retry++) best = Math.min(best, (await measure()).maxGap);
    assert.ok(best <= bound, `event loop stalled for ${best.toFixed(1)} ms (best of 3 runs) while the worker ran`);

    // Control: the same run on the main thread does stall the loop, so the measure measures.
    const local = await openSession(heavyModel(n, layers), { provider: 'cpu' });
    try {
      const feed2 = x();
      const c = await maxTickGap(() => local.run({ x: feed2 }));
      t.diagnostic(`main thread: run ${c.ms.toFixed(0)} ms, max gap ${c.maxGap.toFixed(1)} ms`);
      assert.ok(c.maxGap >= 500, `control: expected a stall on the main thread, max gap ${c.maxGap.toFixed(1)} ms`);
    } finally {
      await local.dispose();
    }
  } finally {
    await rt.terminate();
  }
});
