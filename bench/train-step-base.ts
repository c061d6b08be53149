/**
 * A training step on the shipped base (use-lite-en, 6.98 M penalised parameters) and one
 * real SST-2 batch of 32 (generated sentences where the data is absent), as the trainer
 * runs it on ORT's CPU provider: frozen base fed, gate noise drawn in the timed run,
 * STEPS_PER_RUN steps per ONNX Runtime run (train/multi-step.ts). Per step:
 *   diff_structured, diff — the L0 phase (θ + z⊙z^j⊙w / θ + z⊙w, penalty, AdamW on w, α)
 *   mask                  — the fixed-mask phase (θ + m⊙w, AdamW on w)
 *   full                  — full finetuning (AdamW on θ)
 *   *_single              — the same at one step per run, to show what running several saves
 *   floor                 — the full step's MatMul/Gemm nodes alone (bench/floor.ts)
 * The synthetic-encoder bench (train-step.ts) isolates the graph; this one is what a user's
 * run pays. Run alone: `npx tsx bench/train-step-base.ts`.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { epochBatches, importDataset, type Dataset } from '../src-main/data/index.js';
import { defaultBaseId, ensureShippedBase, loadBase } from '../src-main/model/registry.js';
import { openStepLoop, type HostTensor } from '../src-main/runtime/index.js';
import { compileStep } from '../src-main/train/compile.js';
import { buildPhaseGraph, graphOptionsOf, isFixedInput, maskName, type Method, type PhaseKind } from '../src-main/train/methods.js';
import { multiStepGraph, STEPS_PER_RUN } from '../src-main/train/multi-step.js';
import { PhaseFeeds } from '../src-main/train/phase-feeds.js';
import { Rng } from '../src-main/util/rng.js';
import { initialPhaseState } from '../src-main/train/run-state.js';
import { DEFAULT_CONFIG } from '../src-main/train/train-config.js';
import { dataDir, writeSyntheticSentiment } from '../support/trainer-fixtures.js';
import { perStep, ratios, ROUNDS_TIMED, serveIfChild, timeContenders, type Made } from './contenders.js';
import { floorContender } from './floor.js';
import { runIfMain } from './results-file.js';

const BATCH = 32;
const CONTENDERS: Record<string, [Method, PhaseKind, number]> = {
  diff_structured: ['diff-structured', 'l0', STEPS_PER_RUN], diff: ['diff', 'l0', STEPS_PER_RUN], mask: ['diff-structured', 'mask', STEPS_PER_RUN],
  full: ['full', 'dense', STEPS_PER_RUN], diff_structured_single: ['diff-structured', 'l0', 1], full_single: ['full', 'dense', 1],
};

function sst2(home: string): { train: Dataset; source: string } {
  const path = join(dataDir(), 'glue', 'SST-2', 'train.tsv');
  if (existsSync(path)) return { train: importDataset(path), source: 'SST-2 (GLUE) train' };
  return { train: importDataset(writeSyntheticSentiment(mkdtempSync(join(home, 'data-')), 'train.tsv', 4000, 1)), source: 'generated sentences (SST-2 not found)' };
}

/** A contender in its child process: `home` holds the converted base. */
async function make(name: string, home: string): Promise<Made> {
  const base = loadBase(home);
  const { train, source } = sst2(home);
  const c = DEFAULT_CONFIG;
  // The trainer's first batch of its first epoch (length-bucketed, seed 1).
  const rows = epochBatches(train.rows.map((r) => r.text.length), BATCH, c.seed, 0)[0].map((i) => train.rows[i]);
  const seq = base.encode(rows, train.task, c.maxLength).ids.dims[1];
  const [method, kind, perRun] = CONTENDERS[name === 'floor' ? 'full_single' : name];
  const pg = buildPhaseGraph(base, train.task, method, kind, graphOptionsOf(base, { ...c, method }));
  const facts = { base: base.id, source, seq };
  if (name === 'floor') { const f = await floorContender(pg.graph.outputs, { batch: BATCH, seq }); return { ...f, info: { ...f.info, ...facts } }; }
  // The fixed-mask phase's mask: any 0.5 % of each tensor (the step's cost does not depend on which).
  const masks = new Map(kind === 'mask' ? [...base.weights].map(([n, w]) => [maskName(n), { dims: [...w.dims], data: Float32Array.from(w.data, (_, i) => +(i % 200 === 0)) }]) : []);
  const feeds = new PhaseFeeds(base, train.task, pg, { maxLength: c.maxLength, lr: c.lr, warmup: c.warmup, phaseSteps: 1000, lambda: () => c.lambda }, masks);
  const initial: Record<string, HostTensor> = {};
  for (const [n, t] of initialPhaseState(base, pg.trainables, c)) initial[n] = { dtype: 'float32', dims: t.dims, data: t.data };
  const loop = await openStepLoop(compileStep(multiStepGraph(pg.graph, perRun, isFixedInput)).bytes, { provider: 'cpu' }, pg.graph.stateBinding, initial, feeds.fixedFeeds());
  const rng = new Rng(7);
  return {
    contender: { prepare: (round) => () => loop.step(feeds.steps(Array(perRun).fill(rows), round * perRun, rng)), dispose: () => loop.dispose() },
    info: { perRun, ...facts },
  };
}

export async function run(): Promise<object> {
  const home = mkdtempSync(join(tmpdir(), 'taskpack-bench-'));
  try {
    ensureShippedBase(home, defaultBaseId(), () => {});
    const t = await timeContenders(import.meta.url, [...Object.keys(CONTENDERS), 'floor'], home);
    const { median, min } = perStep(t);
    const pairs: [string, string][] = [['diff_structured', 'full'], ['diff_structured', 'floor'], ['diff', 'full'], ['mask', 'full'], ['full', 'floor'],
      ['diff_structured_single', 'full_single'], ['diff_structured_single', 'diff_structured'], ['full_single', 'full']];
    const { base, source, seq } = t.info.floor;
    return {
      base, source, batch: BATCH, seq, provider: 'cpu', rounds: ROUNDS_TIMED, steps_per_run: STEPS_PER_RUN, floor: { matmuls: t.info.floor.matmuls, gflop: t.info.floor.gflop },
      statistic: 'per training step: median and fastest run over interleaved rounds ÷ its steps per run, one process per contender',
      median_ms: median, min_ms: min, median_ratios: ratios(median, pairs), min_ratios: ratios(min, pairs),
    };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

if (!(await serveIfChild(import.meta.url, make))) await runIfMain(import.meta.url, 'train-step-base', run);
