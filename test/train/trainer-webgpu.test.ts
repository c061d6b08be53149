/**
 * The trainer on WebGPU: a diff-structured run (L0 phase, projection, fixed-mask phase) on
 * the tiny BERT runs every step graph wholly on the WebGPU EP with its state, frozen
 * weights and masks resident on the GPU, evaluates on WebGPU, and trains the same model as the same run on the CPU.
 *
 * Tolerances (float32 on two backends; measured over seeds 1, 3, 4, 6, 7 with lavapipe):
 *  - task loss per step: 1e-4 relative (measured ≤ 1.5e-6): the backends differ in the
 *    last bits of each op, and a few steps at the default learning rates keep that small.
 *  - loss and expected L0 per step: 2e-3 relative. E[L0] is one float32 sum of ~10⁶ gate
 *    probabilities; ORT's CPU ReduceSum is 6.7e-4 off the exact value on it, WebGPU's
 *    3e-5 (measured), and λ·E[L0] is most of the L0 phase's loss. Gradients do not see it.
 *  - final weights, per tensor: ‖w_gpu − w_cpu‖ ≤ 1e-2 · ‖w_cpu − θ‖, i.e. relative to
 *    what training changed (measured ≤ 3e-4). Not element-wise: Adam divides each step by
 *    the gradient's own size, so a gradient near zero (a few units of ε) that the backends
 *    compute with different rounding gives steps of different size on that one parameter.
 *    (At the tiny-test rate 1e-2 on weights of scale 0.02 this chaos reaches the loss;
 *    hence the default rates here.) With float16 moments (adamw.ts), 1e-1 (measured ≤ 4.8e-2 on
 *    three tensors, ≤ 3.6e-3 on the rest): float16 rounds the backends' last-bit differences to
 *    2⁻¹¹ of a moment, and for gradients in Adam's ε regime (|ĝ| ≲ ε·√(1 − β₂ᵗ), so S·√v
 *    below float16's normal range) to a few bits.
 *  - the pack: the same number of positions, and the same positions but for at most 0.1%
 *    of them (a tie at the top-k threshold may break either way; measured: none or one).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ProviderName } from '../../src-main/runtime/index.js';
import { Trainer, type TrainEvent, type TrainInput, type TrainResult } from '../../src-main/train/trainer.js';
import { DEFAULT_CONFIG, type TrainConfig } from '../../src-main/train/train-config.js';
import { MOMENT_TYPES } from '../../src-main/train/adamw.js';
import { webgpuSkipReason } from '../runtime/support.js';
import { syntheticSentiment, tinyBert } from '../../support/trainer-fixtures.js';

type StepEvent = Extract<TrainEvent, { kind: 'step' }>;
type DeviceEvent = Extract<TrainEvent, { kind: 'device' }>;

const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));
const norm = (xs: ArrayLike<number>, ys?: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] - (ys ? ys[i] : 0)) ** 2;
  return Math.sqrt(s);
};

/** The same run on the CPU and on WebGPU, with each one's step and device events. */
async function trainOnBoth(input: Pick<TrainInput, 'base' | 'train' | 'dev' | 'config'>, home: string) {
  const runs = {} as Record<ProviderName, { result: TrainResult; steps: StepEvent[]; devices: DeviceEvent[] }>;
  for (const provider of ['cpu', 'webgpu'] as const) {
    const steps: StepEvent[] = [], devices: DeviceEvent[] = [];
    const result = await new Trainer({
      ...input, provider, runDir: join(home, 'runs', provider),
      onEvent: (e) => { if (e.kind === 'step') steps.push(e); if (e.kind === 'device') devices.push(e); },
    }).run();
    if (result.status !== 'done') assert.fail(`the ${provider} run ended ${result.status}`);
    runs[provider] = { result, steps, devices };
  }
  return runs;
}

for (const moments of MOMENT_TYPES) test(`diff-structured run on WebGPU (${moments} Adam moments): no CPU nodes, state on the GPU, the same training as on the CPU`, async (t) => {
  const skip = await webgpuSkipReason();
  if (skip) return t.skip(skip);
  const { home, base } = tinyBert();
  const train = syntheticSentiment(home, 48, 7), dev = syntheticSentiment(home, 16, 8);
  // 3 steps per phase: one epoch of 48 rows at batch 16, so each phase ends with a dev evaluation.
  const config: TrainConfig = { ...DEFAULT_CONFIG, method: 'diff-structured', moments, epochs: 1, batchSize: 16, maxLength: 16, seed: 7 };
  const { cpu, webgpu: gpu } = await trainOnBoth({ base, train, dev, config }, home);

  // A session with no `fallback` was opened with disable_cpu_ep_fallback (the runtime tries
  // that first), so no node of the step graph ran on the CPU EP.
  assert.deepEqual(gpu.devices.map((d) => d.phase), ['l0', 'mask']);
  for (const d of gpu.devices) {
    assert.equal(d.provider, 'webgpu', `${d.phase}: the step ran on ${d.provider} (${d.fallback})`);
    assert.equal(d.fallback, undefined, `${d.phase}: ${d.fallback}`);
    assert.equal(d.stateLocation, 'gpu-buffer', `${d.phase}: state on ${d.stateLocation} after a step`);
    assert.equal(d.fixedLocation, 'gpu-buffer', `${d.phase}: frozen weights on ${d.fixedLocation}, uploaded every step`);
    assert.equal(d.evalProvider, 'webgpu');
  }
  assert.ok(cpu.devices.every((d) => d.provider === 'cpu' && d.stateLocation === 'cpu' && d.fixedLocation === 'cpu'));

  assert.equal(gpu.steps.length, 6);
  assert.deepEqual(gpu.steps.map((e) => e.phase), cpu.steps.map((e) => e.phase));
  gpu.steps.forEach((g, i) => {
    const c = cpu.steps[i];
    assert.ok(relErr(g.taskLoss, c.taskLoss) <= 1e-4, `step ${g.step} task loss: WebGPU ${g.taskLoss} vs CPU ${c.taskLoss}`);
    assert.ok(relErr(g.loss, c.loss) <= 2e-3, `step ${g.step} loss: WebGPU ${g.loss} vs CPU ${c.loss}`);
    if (c.expectedL0 !== undefined) assert.ok(Math.abs(g.expectedL0! - c.expectedL0) <= 2e-3 * c.expectedL0, `step ${g.step} E[L0]: ${g.expectedL0} vs ${c.expectedL0}`);
  });

  assert.deepEqual([...gpu.result.weights.keys()].sort(), [...cpu.result.weights.keys()].sort());
  for (const [n, w] of cpu.result.weights) {
    const theta = base.weights.get(n)?.data ?? new Float32Array(w.data.length); // the head: against its own size
    const diff = norm(gpu.result.weights.get(n)!.data, w.data), trained = norm(w.data, theta);
    assert.ok(diff <= (moments === 'float16' ? 1e-1 : 1e-2) * trained, `'${n}': ‖WebGPU − CPU‖ ${diff.toExponential(2)} vs ‖trained − θ‖ ${trained.toExponential(2)}`);
  }

  const positions = (r: TrainResult) => new Set(r.pack.diffs.flatMap((d) => Array.from(d.indices, (i) => `${d.name}[${i}]`)));
  const [pc, pg] = [positions(cpu.result), positions(gpu.result)];
  assert.ok(pc.size > 0);
  assert.equal(pg.size, pc.size);
  const moved = [...pc].filter((p) => !pg.has(p));
  assert.ok(moved.length <= 1e-3 * pc.size, `${moved.length} of ${pc.size} pack positions differ: ${moved.slice(0, 5).join(', ')}`);
});

for (const method of ['lora', 'adapter-houlsby'] as const) test(`${method} run on WebGPU: no CPU nodes, state on the GPU, the same training as on the CPU`, async (t) => {
  const skip = await webgpuSkipReason();
  if (skip) return t.skip(skip);
  const { home, base } = tinyBert();
  const train = syntheticSentiment(home, 48, 9), dev = syntheticSentiment(home, 16, 10);
  const config: TrainConfig = { ...DEFAULT_CONFIG, method, epochs: 1, batchSize: 16, maxLength: 16, seed: 9, rank: 4, bottleneck: 4 };
  const { cpu, webgpu: gpu } = await trainOnBoth({ base, train, dev, config }, home);
  assert.equal(gpu.devices.length, 1);
  const [d] = gpu.devices;
  assert.equal(d.provider, 'webgpu', `the step ran on ${d.provider} (${d.fallback})`);
  assert.equal(d.fallback, undefined);
  assert.equal(d.stateLocation, 'gpu-buffer');
  assert.equal(d.evalProvider, 'webgpu');
  assert.equal(gpu.steps.length, 3);
  gpu.steps.forEach((g, i) => assert.ok(relErr(g.taskLoss, cpu.steps[i].taskLoss) <= 1e-4, `step ${g.step} task loss: WebGPU ${g.taskLoss} vs CPU ${cpu.steps[i].taskLoss}`));
  // Per module tensor, relative to its size (LoRA's A and the adapters start from the same seeded draws on both).
  for (const [n, w] of cpu.result.modules!.tensors) {
    const diff = norm(gpu.result.modules!.tensors.get(n)!.data, w.data), size = norm(w.data);
    assert.ok(diff <= 1e-2 * size, `'${n}': ‖WebGPU − CPU‖ ${diff.toExponential(2)} vs ‖CPU‖ ${size.toExponential(2)}`);
  }
});
