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
const BATCH = 32, SEQ = 64, WARMUP = 2, STEPS = 10;
const DIMS: Record<string, number> = { batch: BATCH, seq: SEQ };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const numeric = (shape: readonly g.Dim[]) => shape.map((d) => (typeof d === 'number' ? d : d.split('*').reduce((a, p) => a * (DIMS[p] ?? Number(p)), 1)));

async function timeStep(method: SyntheticMethod) {
  const task = syntheticTask({ config: CONFIG, method, batch: BATCH, seq: SEQ });
  const { bytes } = compileStep(task.graph);
  const loop = await openStepLoop(bytes, { provider: 'cpu' }, task.graph.stateBinding, toHostAll(task.initialState()));
  try {
    const times: number[] = [];
    for (let t = 1; t <= WARMUP + STEPS; t++) {
      const feeds = toHostAll(task.stepFeeds(t));
      const t0 = performance.now();
      await loop.step(feeds);
      if (t > WARMUP) times.push(performance.now() - t0);
    }
    return { task, ms: median(times), modelBytes: bytes.byteLength };
  } finally {
    await loop.dispose();
  }
}

/** The step's matrix products alone: same ops, attributes and (resolved) shapes. */
async function timeFloor(outputs: Record<string, Tensor>) {
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
  try {
    const times: number[] = [];
    for (let r = 0; r < WARMUP + STEPS; r++) {
      const t0 = performance.now();
      await session.run(feeds);
      if (r >= WARMUP) times.push(performance.now() - t0);
    }
    return { ms: median(times), products: products.length, gflop: flops / 1e9 };
  } finally {
    await session.dispose();
  }
}

export async function run(): Promise<object> {
  const diff = await timeStep('diff-structured');
  const full = await timeStep('full');
  const diffFloor = await timeFloor(diff.task.graph.outputs);
  const fullFloor = await timeFloor(full.task.graph.outputs);
  const round = (x: number) => +x.toFixed(2);
  return {
    config: CONFIG, batch: BATCH, seq: SEQ, provider: 'cpu', steps: STEPS, statistic: 'median ms',
    diff_structured_ms: round(diff.ms), full_ms: round(full.ms),
    floor_ms: round(diffFloor.ms), floor_matmuls: diffFloor.products, floor_gflop: round(diffFloor.gflop),
    full_floor_ms: round(fullFloor.ms),
    diff_over_floor: round(diff.ms / diffFloor.ms), full_over_floor: round(full.ms / fullFloor.ms),
    diff_over_full: round(diff.ms / full.ms),
    model_bytes: { diff_structured: diff.modelBytes, full: full.modelBytes },
  };
}

await runIfMain(import.meta.url, 'train-step', run);
