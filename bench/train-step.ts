/**
 * A training step of a 2-layer, hidden-256 encoder at batch 32 × 64 tokens on ORT's CPU
 * provider (the synthetic task of selftest/, base weights as constants), side by side in
 * one run, per step at the trainer's STEPS_PER_RUN steps per run and at one, to compare:
 *   diff, diffSingle — diff pruning, structured (θ + z⊙z^j⊙w, gates, L0 penalty, AdamW on w, α)
 *   full, fullSingle — full finetuning of the same encoder (AdamW on θ)
 *   diffHalf, fullHalf — diff and full with Adam's moments kept in float16 (train/adamw.ts)
 *   floor            — the diff step's MatMul/Gemm nodes alone (bench/floor.ts)
 * Goals (issue 5): diff ≤ 1.25× full and ≤ 1.6× its floor. The shipped base as a real run
 * steps it: bench/train-step-base.ts. Run alone: `npx tsx bench/train-step.ts`.
 */
import type { EncoderConfig } from '../src-main/model/encoder.js';
import { openStepLoop, type HostTensor } from '../src-main/runtime/index.js';
import { syntheticTask, type SyntheticMethod } from '../src-main/selftest/synthetic-task.js';
import { DEFAULT_ADAMW, type MomentType } from '../src-main/train/adamw.js';
import { compileStep, toHostAll } from '../src-main/train/compile.js';
import { multiStepGraph, STEPS_PER_RUN, substepName } from '../src-main/train/multi-step.js';
import { perStep, ratios, ROUNDS_TIMED, serveIfChild, timeContenders, type Made } from './contenders.js';
import { floorContender } from './floor.js';
import { runIfMain } from './results-file.js';

const CONFIG: EncoderConfig = { vocab: 8002, hidden: 256, layers: 2, heads: 4, ffn: 1024, maxLen: 64, classes: 2 };
const BATCH = 32, SEQ = 64;
const CONTENDERS: Record<string, [SyntheticMethod, number, MomentType?]> = {
  diff: ['diff-structured', STEPS_PER_RUN], full: ['full', STEPS_PER_RUN], diffSingle: ['diff-structured', 1], fullSingle: ['full', 1],
  diffHalf: ['diff-structured', STEPS_PER_RUN, 'float16'], fullHalf: ['full', STEPS_PER_RUN, 'float16'],
};

/** The trainer's way to step: `perRun` steps per ONNX Runtime run; a run's cost includes drawing its batches and gate noise. */
async function make(name: string): Promise<Made> {
  const [method, perRun, moments = 'float32'] = CONTENDERS[name === 'floor' ? 'diffSingle' : name];
  const task = syntheticTask({ config: CONFIG, method, batch: BATCH, seq: SEQ, reuseNoiseBuffers: true, optimizer: { ...DEFAULT_ADAMW, moments } });
  if (name === 'floor') return floorContender(task.graph.outputs, { batch: BATCH, seq: SEQ });
  const graph = multiStepGraph(task.graph, perRun, () => false);
  const { bytes } = compileStep(graph);
  const loop = await openStepLoop(bytes, { provider: 'cpu' }, graph.stateBinding, toHostAll(task.initialState()));
  return {
    contender: {
      prepare: (round) => () => {
        const feeds: Record<string, HostTensor> = {};
        for (let j = 0; j < perRun; j++) {
          for (const [n, t] of Object.entries(toHostAll(task.stepFeeds(round * perRun + j + 1, j)))) if (j === 0 || n !== 'step') feeds[substepName(n, j)] = t;
        }
        return loop.step(feeds);
      },
      dispose: () => loop.dispose(),
    },
    info: { perRun, modelBytes: bytes.byteLength },
  };
}

export async function run(): Promise<object> {
  const t = await timeContenders(import.meta.url, [...Object.keys(CONTENDERS), 'floor']);
  const { median, min } = perStep(t);
  const pairs: [string, string][] = [['diff', 'full'], ['diff', 'floor'], ['full', 'floor'], ['diffSingle', 'fullSingle'], ['diffSingle', 'diff'], ['fullSingle', 'full'], ['diffHalf', 'diff'], ['fullHalf', 'full']];
  return {
    config: CONFIG, batch: BATCH, seq: SEQ, provider: 'cpu', rounds: ROUNDS_TIMED, steps_per_run: STEPS_PER_RUN, floor: t.info.floor,
    statistic: 'per training step: median and fastest run over interleaved rounds ÷ its steps per run, one process per contender',
    median_ms: median, min_ms: min, median_ratios: ratios(median, pairs), min_ratios: ratios(min, pairs),
  };
}

if (!(await serveIfChild(import.meta.url, make))) await runIfMain(import.meta.url, 'train-step', run);
