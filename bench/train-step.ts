/**
 * One training step of a 2-layer, hidden-256 encoder at batch 32 × 64 tokens on ORT's CPU
 * provider, side by side in one run:
 *   diff-structured — diff pruning (θ + z⊙z^j⊙w, Hard-Concrete gates, L0 penalty, AdamW)
 *   full            — full finetuning of the same encoder (AdamW)
 *   floor           — the step's FLOP floor: the same MatMul/Gemm nodes (forward and
 *                     backward, same shapes) alone in one ORT graph, each reduced to a
 *                     scalar so nothing large is copied out
 * Goal: diff-structured ≤ 1.6× its floor. Run alone: `npx tsx bench/train-step.ts`.
 */
import * as g from '../src-main/graph/index.js';
import type { Tensor } from '../src-main/graph/index.js';
import { topoSort } from '../src-main/graph/topo.js';
import type { EncoderConfig } from '../src-main/model/encoder.js';
import { encodeModel } from '../src-main/onnx/writer.js';
import { hostTensor, openSession, openStepLoop } from '../src-main/runtime/index.js';
import { syntheticTask, type SyntheticMethod } from '../src-main/selftest/synthetic-task.js';
import { compileStep, toHostAll } from '../src-main/train/compile.js';
import { Rng } from '../src-main/train/rng.js';
import { runIfMain } from './results-file.js';

const CONFIG: EncoderConfig = { vocab: 8002, hidden: 256, layers: 2, heads: 4, ffn: 1024, maxLen: 64, classes: 2 };
const BATCH = 32, SEQ = 64, WARMUP = 2, STEPS = 20;
const DIMS: Record<string, number> = { batch: BATCH, seq: SEQ };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const numericIn = (dims: Record<string, number>) => (shape: readonly g.Dim[]) =>
  shape.map((d) => (typeof d === 'number' ? d : d.split('*').reduce((a, p) => a * (dims[p] ?? Number(p)), 1)));

export interface Contender {
  /** What to time for one round (work done here, outside the closure, is not timed). */
  prepare(round: number): () => Promise<unknown>;
  /** Untimed, after each round: let the machine settle before the next contender. */
  settle?(): Promise<unknown>;
  dispose(): Promise<void>;
}

async function stepContender(method: SyntheticMethod) {
  const task = syntheticTask({ config: CONFIG, method, batch: BATCH, seq: SEQ, reuseNoiseBuffers: true });
  const { bytes } = compileStep(task.graph);
  const loop = await openStepLoop(bytes, { provider: 'cpu' }, task.graph.stateBinding, toHostAll(task.initialState()));
  const contender: Contender = {
    // A step's cost includes drawing its batch and gate noise in JS.
    prepare: (round) => () => loop.step(toHostAll(task.stepFeeds(round + 1))),
    dispose: () => loop.dispose(),
  };
  return { task, contender, modelBytes: bytes.byteLength };
}

/** The step's matrix products alone: same ops, attributes and shapes (symbolic sizes resolved by `dims`). */
export async function floorContender(outputs: Record<string, Tensor>, dims: Record<string, number> = DIMS) {
  const numeric = numericIn(dims);
  const products = topoSort(Object.values(outputs)).filter((t) => t.op === 'MatMul' || t.op === 'Gemm');
  const rng = new Rng(7);
  const inputs: Tensor[] = [], feeds: Record<string, ReturnType<typeof hostTensor>> = {};
  let flops = 0;
  const sums = products.map((t, i) => {
    const args = t.inputs.map((x, j) => {
      const shape = numeric(x.shape), name = `m${i}.${j}`;
      const input = g.input(name, 'float32', shape);
      inputs.push(input);
      feeds[name] = hostTensor('float32', shape, rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1)), 1) as Float32Array);
      return input;
    });
    const y = g.apply(t.op, args, t.attrs);
    const k = t.op === 'Gemm' ? numeric(args[0].shape)[(t.attrs.transA ? 0 : 1)] : numeric(args[0].shape).at(-1)!;
    flops += 2 * k * numeric(y.shape).reduce((a, b) => a * b, 1);
    return g.reduceSum(y);
  });
  const total = sums.reduce((a, b) => g.add(a, b));
  const session = await openSession(encodeModel(g.lower({ total }, { inputs })).bytes, { provider: 'cpu' });
  const contender: Contender = { prepare: () => () => session.run(feeds), dispose: () => session.dispose() };
  return { contender, products: products.length, gflop: flops / 1e9 };
}

/**
 * Rounds interleave the contenders (A B C A B C …) so drifting machine load hits all alike.
 * Per contender: the median round, and the fastest (interference only ever adds time, so
 * the minimum is the steadier figure for comparing code on a shared machine).
 */
export async function interleaved(contenders: Record<string, Contender>): Promise<{ median: Record<string, number>; min: Record<string, number> }> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (let round = 0; round < WARMUP + STEPS; round++) {
    for (const [name, c] of Object.entries(contenders)) {
      const run = c.prepare(round);
      const t0 = performance.now();
      await run();
      if (round >= WARMUP) times[name].push(performance.now() - t0);
      await c.settle?.();
    }
  }
  const of = (f: (xs: number[]) => number) => Object.fromEntries(Object.entries(times).map(([k, v]) => [k, +f(v).toFixed(2)]));
  return { median: of(median), min: of((xs) => Math.min(...xs)) };
}

/** Every `a / b` named `a_over_b` for the pairs given, from one statistic. */
export const ratios = (ms: Record<string, number>, pairs: [string, string][]) =>
  Object.fromEntries(pairs.map(([a, b]) => [`${a}_over_${b}`, +(ms[a] / ms[b]).toFixed(2)]));

export async function run(): Promise<object> {
  const diff = await stepContender('diff-structured');
  const full = await stepContender('full');
  const diffFloor = await floorContender(diff.task.graph.outputs);
  const fullFloor = await floorContender(full.task.graph.outputs);
  const all = { diff: diff.contender, full: full.contender, floor: diffFloor.contender, fullFloor: fullFloor.contender };
  try {
    const { median, min } = await interleaved(all);
    const pairs: [string, string][] = [['diff', 'floor'], ['full', 'fullFloor'], ['diff', 'full']];
    return {
      config: CONFIG, batch: BATCH, seq: SEQ, provider: 'cpu', rounds: STEPS, statistic: 'median and fastest ms over interleaved rounds',
      floor_matmuls: diffFloor.products, floor_gflop: +diffFloor.gflop.toFixed(2), full_floor_matmuls: fullFloor.products,
      median_ms: median, min_ms: min, median_ratios: ratios(median, pairs), min_ratios: ratios(min, pairs),
      model_bytes: { diff_structured: diff.modelBytes, full: full.modelBytes },
    };
  } finally {
    for (const c of Object.values(all)) await c.dispose();
  }
}

await runIfMain(import.meta.url, 'train-step', run);
