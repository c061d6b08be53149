/**
 * `taskpack doctor`: what this machine can do. Builds the composite diff-pruning step
 * (1-layer, hidden-8 encoder), checks its gradients in float64, then runs one step on
 * every working execution provider and compares it with the float64 interpreter.
 */
import * as g from '../graph/index.js';
import type { NDArray } from '../graph/index.js';
import { RuntimeWorker, type HostTensor, type ProviderName } from '../runtime/index.js';
import { ortVersion } from '../runtime/version.js';
import { compileStep, toHostAll } from '../train/compile.js';
import { Rng } from '../util/rng.js';
import type { DoctorReport, ProviderCheck } from './report.js';
import { genericPoint, syntheticTask } from './synthetic-task.js';

/** A step on a provider agrees with the float64 reference within this relative error. */
export const STEP_TOLERANCE = 1e-4;
const TIMED_STEPS = 3;

/** max |a − b| / max |b| over one tensor (a norm-wise relative error). */
function tensorRelErr(got: HostTensor, ref: NDArray): number {
  let num = 0, den = 1e-6;
  for (let i = 0; i < ref.data.length; i++) {
    num = Math.max(num, Math.abs(Number(got.data[i]) - ref.data[i]));
    den = Math.max(den, Math.abs(ref.data[i]));
  }
  return num / den;
}

export async function runDoctor(opts: { log?: (line: string) => void } = {}): Promise<DoctorReport> {
  const log = opts.log ?? (() => {});
  const task = syntheticTask({ method: 'diff-structured' });
  const rng = new Rng(5);

  log('gradient check (float64, all trainables)…');
  const wrt = task.graph.inputs.filter((t) => t.name!.startsWith('p.'));
  const point = genericPoint({ ...task.initialState(), ...task.stepFeeds(1) }, rng);
  const gc = g.gradCheck(task.graph.outputs.loss, wrt, point, () => rng.uniform(), 1e-4);

  const state = task.initialState();
  const feeds = [1, 2, 3, 4].map((t) => task.stepFeeds(t));
  const names = Object.keys(task.graph.outputs);
  const refValues = g.evaluate(names.map((k) => task.graph.outputs[k]), { ...state, ...feeds[0] });
  const ref = Object.fromEntries(names.map((k, i) => [k, refValues[i]]));
  const { bytes } = compileStep(task.graph, 'doctor_step');

  const worker = new RuntimeWorker();
  const providers: ProviderCheck[] = [];
  try {
    for (const status of await worker.detectProviders()) {
      if (!status.ok) { providers.push({ name: status.name, ok: false, reason: status.reason ?? 'unavailable' }); continue; }
      log(`one training step on ${status.name}…`);
      providers.push(await checkProvider(worker, status.name, bytes, task.graph.stateBinding, state, feeds, ref));
    }
  } finally {
    await worker.terminate();
  }
  return {
    ort: ortVersion(),
    node: process.versions.node,
    gradientCheck: { relErr: gc.relErr, ok: gc.relErr <= 1e-6 },
    providers,
  };
}

async function checkProvider(worker: RuntimeWorker, provider: ProviderName, bytes: Uint8Array,
  binding: Record<string, string>, state: Record<string, NDArray>, feeds: Record<string, NDArray>[],
  ref: Record<string, NDArray>): Promise<ProviderCheck> {
  const gpu = provider !== 'cpu';
  // Tensors sent to the worker are handed over (detached here): each provider gets copies.
  const send = (xs: Record<string, NDArray>) => toHostAll(structuredClone(xs));
  try {
    const loop = await worker.openLoop(bytes, {
      provider, fallbackToCpu: false, disableCpuFallback: gpu, gpuOutputs: gpu ? Object.keys(binding) : [],
    }, binding, send(state));
    try {
      const scalars = await loop.step(send(feeds[0]));
      const next = await loop.readState();
      let maxRelErr = 0;
      for (const [k, v] of Object.entries(scalars)) maxRelErr = Math.max(maxRelErr, tensorRelErr(v, ref[k]));
      for (const [out, inp] of Object.entries(binding)) maxRelErr = Math.max(maxRelErr, tensorRelErr(next[inp], ref[out]));
      const t0 = performance.now();
      for (let i = 1; i <= TIMED_STEPS; i++) await loop.step(send(feeds[i]));
      const stepMs = (performance.now() - t0) / TIMED_STEPS;
      const ok = maxRelErr <= STEP_TOLERANCE;
      return { name: provider, ok, stepMs: round(stepMs, 2), maxRelErr, ...(ok ? {} : { reason: `differs from the float64 reference by ${maxRelErr.toExponential(2)}` }) };
    } finally {
      await loop.close();
    }
  } catch (e) {
    return { name: provider, ok: false, reason: e instanceof Error ? e.message.split('\n')[0] : String(e) };
  }
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
