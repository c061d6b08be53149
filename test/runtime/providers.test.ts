import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectProviders, hostTensor, openSession } from '../../src-main/runtime/index.js';
import { threadsFromEnv } from '../../src-main/runtime/providers.js';
import { AFFINE, signModel } from './models.js';
import { loaderExecArgv, runtimeModuleUrl, webgpuSkipReason } from './support.js';

const run = promisify(execFile);

test('detectProviders: cpu works; every provider that fails says why', async () => {
  const all = await detectProviders();
  const names = all.map((p) => p.name);
  assert.ok(names.includes('cpu') && names.includes('webgpu'), `listed: ${names.join(', ')}`);
  assert.deepEqual(all.find((p) => p.name === 'cpu'), { name: 'cpu', ok: true });
  for (const p of all) {
    if (!p.ok) assert.ok(p.reason && p.reason.length > 0, `${p.name} failed without a reason`);
    else assert.equal(p.reason, undefined);
  }
});

test('CPU session: x @ A + b gives the right numbers', async () => {
  const s = await openSession(AFFINE.model(), { provider: 'cpu' });
  try {
    assert.equal(s.provider, 'cpu');
    assert.equal(s.fallbackReason, undefined);
    const x = hostTensor('float32', [2, 3], Float32Array.of(1, 0, -1, 0.5, 2, 3));
    const { y } = await s.run({ x });
    assert.deepEqual(y!.dims, [2, 2]);
    assert.equal(y!.dtype, 'float32');
    // [1,0,-1]·A = [1-5, 2-6] = [-4,-4]; [0.5,2,3]·A = [0.5+6+15, 1+8+18] = [21.5, 27]
    assert.deepEqual(Array.from(y!.data as Float32Array), [-4 + 0.5, -4 - 1, 21.5 + 0.5, 27 - 1]);
    const info = s.info();
    assert.deepEqual(info.inputs, [{ name: 'x', dtype: 'float32', shape: ['batch', 3] }]);
    assert.deepEqual(info.outputs, [{ name: 'y', dtype: 'float32', shape: ['batch', 2] }]);
  } finally {
    await s.dispose();
  }
});

test('WebGPU session: same numbers as the CPU', async (t) => {
  const skip = await webgpuSkipReason();
  if (skip) return t.skip(skip);
  const s = await openSession(AFFINE.model(), { provider: 'webgpu', disableCpuFallback: true, fallbackToCpu: false });
  try {
    assert.equal(s.provider, 'webgpu');
    const { y } = await s.run({ x: hostTensor('float32', [1, 3], Float32Array.of(1, 0, -1)) });
    assert.deepEqual(Array.from(y!.data as Float32Array), [-3.5, -5]);
  } finally {
    await s.dispose();
  }
});

test('fallback: a graph WebGPU cannot run whole opens on the CPU, with the reason', async () => {
  // Sign has no WebGPU kernel; with CPU fallback disabled the WebGPU open fails (or, with no
  // adapter at all, fails for that reason): either way the session says why it is on the CPU.
  const s = await openSession(signModel(), { provider: 'webgpu', disableCpuFallback: true });
  try {
    assert.equal(s.requested, 'webgpu');
    assert.equal(s.provider, 'cpu');
    assert.match(s.fallbackReason ?? '', /^webgpu failed: .+/);
    const { y } = await s.run({ x: hostTensor('float32', [3], Float32Array.of(-2, 0, 5)) });
    assert.deepEqual(Array.from(y!.data as Float32Array), [-1, 0, 1]);
  } finally {
    await s.dispose();
  }
  await assert.rejects(
    openSession(signModel(), { provider: 'webgpu', disableCpuFallback: true, fallbackToCpu: false }),
    /fallback to CPU EP has been explicitly disabled|WebGPU adapter/,
  );
});

test('a graph WebGPU runs only in part opens on WebGPU and says some nodes run on the CPU', async (t) => {
  const skip = await webgpuSkipReason();
  if (skip) return t.skip(skip);
  const s = await openSession(signModel(), { provider: 'webgpu' });
  try {
    assert.equal(s.provider, 'webgpu');
    assert.equal(s.fallbackReason, undefined);
    assert.match(s.partialFallback ?? '', /some nodes have no webgpu kernel and run on the CPU EP/);
    assert.equal(s.info().partialFallback, s.partialFallback);
    const { y } = await s.run({ x: hostTensor('float32', [3], Float32Array.of(-2, 0, 5)) });
    assert.deepEqual(Array.from(y!.data as Float32Array), [-1, 0, 1]);
  } finally {
    await s.dispose();
  }
  const whole = await openSession(AFFINE.model(), { provider: 'webgpu' });
  assert.equal(whole.partialFallback, undefined);
  await whole.dispose();
});

test('fallback: with no Vulkan driver at all, WebGPU falls back and says there is no adapter', async () => {
  // A child process whose Vulkan loader finds no driver: the machine-independent way to see
  // the "no adapter" path.
  const script = `
    const { openSession, detectProviders } = await import(${JSON.stringify(runtimeModuleUrl('index'))});
    const m = Uint8Array.from(${JSON.stringify(Array.from(AFFINE.model()))});
    const s = await openSession(m, { provider: 'webgpu' });
    const gpu = (await detectProviders()).find((p) => p.name === 'webgpu');
    console.log(JSON.stringify({ provider: s.provider, requested: s.requested, reason: s.fallbackReason, gpu }));
    await s.dispose();`;
  const { stdout } = await run(process.execPath, [...loaderExecArgv(), '--input-type=module', '-e', script], {
    env: { ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' },
    maxBuffer: 1 << 20,
  });
  const line = stdout.trim().split('\n').at(-1)!;
  const r = JSON.parse(line) as { provider: string; requested: string; reason?: string; gpu: { ok: boolean; reason?: string } };
  assert.equal(r.requested, 'webgpu');
  assert.equal(r.provider, 'cpu');
  assert.match(r.reason ?? '', /^webgpu failed: .*adapter/i);
  assert.equal(r.gpu.ok, false);
  assert.match(r.gpu.reason ?? '', /adapter/i);
});

test('TASKPACK_THREADS: a whole number from 1 to 256, or absent for ONNX Runtime\'s default', () => {
  assert.equal(threadsFromEnv({}), undefined);
  assert.equal(threadsFromEnv({ TASKPACK_THREADS: ' ' }), undefined);
  assert.equal(threadsFromEnv({ TASKPACK_THREADS: '3' }), 3);
  for (const bad of ['0', '-1', '1.5', 'two', '257']) assert.throws(() => threadsFromEnv({ TASKPACK_THREADS: bad }), new RegExp(`TASKPACK_THREADS must be a whole number of threads from 1 to 256, got '${bad}'`));
});

test('TASKPACK_THREADS sets the intra-op threads of a session that sets none: three more threads at 4 than at 1', async () => {
  // Each count in a fresh process (ONNX Runtime starts process-wide threads with its first session).
  const script = `
    const { readdirSync } = await import('node:fs');
    const { openSession } = await import(${JSON.stringify(runtimeModuleUrl('index'))});
    const m = Uint8Array.from(${JSON.stringify(Array.from(AFFINE.model()))});
    const before = readdirSync('/proc/self/task').length;
    const s = await openSession(m, { provider: 'cpu' });
    console.log(readdirSync('/proc/self/task').length - before);
    await s.dispose();`;
  const added = async (threads: string) => {
    const { stdout } = await run(process.execPath, [...loaderExecArgv(), '--input-type=module', '-e', script], { env: { ...process.env, TASKPACK_THREADS: threads } });
    return Number(stdout.trim().split('\n').at(-1));
  };
  assert.equal(await added('4') - await added('1'), 3);
  await assert.rejects(added('lots'), /TASKPACK_THREADS must be a whole number/);
});

test('gpuOutputs naming no output is an error, not a reason to fall back to the CPU', async () => {
  await assert.rejects(openSession(AFFINE.model(), { provider: 'webgpu', gpuOutputs: ['nope'] }), /nope/);
});
