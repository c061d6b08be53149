/**
 * A training step on the shipped base (use-lite-en, 6.98 M penalised parameters) and one
 * real SST-2 batch of 32 (generated sentences where the data is absent), as the trainer
 * runs it on ORT's CPU provider: frozen base fed, gate noise drawn in the timed run, each
 * method's default Adam moments, state written in place, the trainer's steps per ONNX
 * Runtime run and CPU arena (train/multi-step.ts). Per step:
 *   diff_structured, diff — the L0 phase (θ + z⊙z^j⊙w / θ + z⊙w, penalty, AdamW on w, α)
 *   mask                  — the fixed-mask phase (θ + m⊙w, AdamW on w)
 *   full                  — full finetuning (AdamW on θ)
 *   *_single              — the same at one step per run, to show what running several saves
 *   diff_whole_table      — diff over the whole token table; the others, as the trainer, over
 *                           the rows SST-2 train looks up (model/compact-vocabulary.ts)
 *   diff_mmap_1mib        — diff with glibc's mmap threshold at 1 MiB (only when named)
 *   diff_malloc           — diff with the glibc settings in TRAIN_STEP_MALLOC, e.g.
 *                           'MALLOC_MMAP_MAX_=0' (only when named)
 *   floor                 — the full step's MatMul/Gemm nodes alone (bench/floor.ts)
 * The synthetic-encoder bench (train-step.ts) isolates the graph; this one is what a user's
 * run pays. Run alone: `npx tsx bench/train-step-base.ts`.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { epochBatches, importDataset, type Dataset } from '../src-main/data/index.js';
import { compactVocabulary } from '../src-main/model/compact-vocabulary.js';
import { defaultBaseId, ensureShippedBase, loadBase } from '../src-main/model/registry.js';
import { openStepLoop, type HostTensor } from '../src-main/runtime/index.js';
import { compileStep } from '../src-main/train/compile.js';
import { inPlaceOutputs } from '../src-main/train/in-place.js';
import { buildPhaseGraph, defaultMoments, graphOptionsOf, isFixedInput, maskName, type Method, type PhaseKind } from '../src-main/train/methods.js';
import { cpuArenaFor, multiStepGraph, stepsPerRun } from '../src-main/train/multi-step.js';
import { PhaseFeeds } from '../src-main/train/phase-feeds.js';
import { Rng } from '../src-main/util/rng.js';
import { hostOf, initialPhaseState } from '../src-main/train/run-state.js';
import { DEFAULT_CONFIG } from '../src-main/train/train-config.js';
import { dataDir, writeSyntheticSentiment } from '../support/trainer-fixtures.js';
import { mallocSettings, perStep, ratios, ROUNDS_TIMED, serveIfChild, timeContenders, type Made } from './contenders.js';
import { floorContender } from './floor.js';
import { runIfMain } from './results-file.js';

const BATCH = 32;
/** 'trainer': as many steps per run as the trainer takes (multi-step.ts's stepsPerRun: STEPS_PER_RUN on the shipped base, 1 at BERT-base size). */
const CONTENDERS: Record<string, [Method, PhaseKind, 'trainer' | 1]> = {
  diff_structured: ['diff-structured', 'l0', 'trainer'], diff: ['diff', 'l0', 'trainer'], mask: ['diff-structured', 'mask', 'trainer'],
  full: ['full', 'dense', 'trainer'], diff_structured_single: ['diff-structured', 'l0', 1], full_single: ['full', 'dense', 1],
  diff_whole_table: ['diff', 'l0', 'trainer'], diff_mmap_1mib: ['diff', 'l0', 'trainer'], diff_malloc: ['diff', 'l0', 'trainer'],
};
/** Run only when named (TRAIN_STEP_CONTENDERS): a lever measured and not taken (docs/benchmarks.md). */
const OPT_IN = ['diff_mmap_1mib', 'diff_malloc'];
/** Space-separated NAME=value pairs. */
const settings = (s = '') => Object.fromEntries(s.split(/\s+/).filter(Boolean).map((kv) => kv.split('=', 2) as [string, string]));
/** diff_mmap_1mib: diff with glibc's mmap threshold fixed at 1 MiB (freed blocks over it go back to the system at once); diff_malloc: TRAIN_STEP_MALLOC's settings. */
const envOf = (name: string) => ({
  ...process.env,
  ...(name === 'diff_mmap_1mib' ? { MALLOC_MMAP_THRESHOLD_: String(1 << 20) } : name === 'diff_malloc' ? settings(process.env.TRAIN_STEP_MALLOC) : {}),
});

function sst2(home: string): { train: Dataset; source: string } {
  const path = join(dataDir(), 'glue', 'SST-2', 'train.tsv');
  if (existsSync(path)) return { train: importDataset(path), source: 'SST-2 (GLUE) train' };
  return { train: importDataset(writeSyntheticSentiment(mkdtempSync(join(home, 'data-')), 'train.tsv', 4000, 1)), source: 'generated sentences (SST-2 not found)' };
}

/** A contender in its child process: `arg` is the home holding the base and the base's id (empty: the home's default). */
async function make(name: string, arg: string): Promise<Made> {
  const [home, baseId] = arg.split('\t');
  const { train, source } = sst2(home);
  const [method, kind, runs] = CONTENDERS[name === 'floor' ? 'full_single' : name];
  const whole = loadBase(home, baseId || undefined);
  const base = kind === 'dense' || name === 'diff_whole_table' ? whole : compactVocabulary(whole, train.task, [train.rows]).base;
  const c = DEFAULT_CONFIG;
  // The trainer's first batch of its first epoch (length-bucketed, seed 1).
  const rows = epochBatches(train.rows.map((r) => r.text.length), BATCH, c.seed, 0)[0].map((i) => train.rows[i]);
  const seq = base.encode(rows, train.task, c.maxLength).ids.dims[1];
  const config = { ...c, method, moments: defaultMoments(method) };
  const pg = buildPhaseGraph(base, train.task, method, kind, graphOptionsOf(base, config));
  const facts = { base: base.id, source, seq, moments: config.moments, malloc: mallocSettings() };
  if (name === 'floor') { const f = await floorContender(pg.graph.outputs, { batch: BATCH, seq }); return { ...f, info: { ...f.info, ...facts } }; }
  // The fixed-mask phase's mask: any 0.5 % of each tensor (the step's cost does not depend on which).
  const masks = new Map(kind === 'mask' ? [...base.weights].map(([n, w]) => [maskName(n), { dims: [...w.dims], data: Float32Array.from(w.data, (_, i) => +(i % 200 === 0)) }]) : []);
  const feeds = new PhaseFeeds(base, train.task, pg, { maxLength: c.maxLength, lr: c.lr, warmup: c.warmup, phaseSteps: 1000, lambda: () => c.lambda }, masks);
  const initial: Record<string, HostTensor> = {};
  for (const [n, t] of initialPhaseState(base, pg.trainables, config)) initial[n] = hostOf(t);
  // Opened as the trainer opens its loop: state written in place, the arena by the base's size.
  const perRun = runs === 'trainer' ? stepsPerRun('cpu', feeds.noiseBytesPerStep()) : runs;
  const graph = multiStepGraph(pg.graph, perRun, isFixedInput);
  const arena = cpuArenaFor(base.weights.values());
  const loop = await openStepLoop(compileStep(graph).bytes, { provider: 'cpu', cpuArena: arena }, pg.graph.stateBinding, initial, feeds.fixedFeeds(), inPlaceOutputs(graph));
  const rng = new Rng(7);
  return {
    contender: { prepare: (round) => () => loop.step(feeds.steps(Array(perRun).fill(rows), round * perRun, rng)), dispose: () => loop.dispose() },
    info: { perRun, cpuArena: arena, ...facts },
  };
}

/**
 * TRAIN_STEP_HOME and TRAIN_STEP_BASE: step that home's base (e.g. BERT-base imported by
 * train-memory-bert's TRAIN_MEMORY_HOME) instead of the shipped one; TRAIN_STEP_CONTENDERS
 * (comma-separated) and TRAIN_STEP_ROUNDS: fewer contenders and rounds, for a large base.
 */
export async function run(): Promise<object> {
  const given = process.env.TRAIN_STEP_HOME;
  const home = given ?? mkdtempSync(join(tmpdir(), 'taskpack-bench-'));
  const names = process.env.TRAIN_STEP_CONTENDERS?.split(',') ?? [...Object.keys(CONTENDERS).filter((n) => !OPT_IN.includes(n)), 'floor'];
  try {
    if (!given) ensureShippedBase(home, defaultBaseId(), () => {});
    const t = await timeContenders(import.meta.url, names, `${home}\t${process.env.TRAIN_STEP_BASE ?? ''}`,
      { envOf, ...(process.env.TRAIN_STEP_ROUNDS ? { rounds: Number(process.env.TRAIN_STEP_ROUNDS) } : {}) });
    const { median, min } = perStep(t);
    const pairs = ([['diff_structured', 'full'], ['diff_structured', 'floor'], ['diff', 'full'], ['mask', 'full'], ['full', 'floor'],
      ['diff_structured_single', 'full_single'], ['diff_structured_single', 'diff_structured'], ['full_single', 'full'], ['diff', 'diff_whole_table'], ['diff_mmap_1mib', 'diff'], ['diff_malloc', 'diff']] as [string, string][])
      .filter((p) => p.every((n) => names.includes(n)));
    const { base, source, seq } = t.info[names[0]];
    return {
      base, source, batch: BATCH, seq, provider: 'cpu', rounds: Number(process.env.TRAIN_STEP_ROUNDS ?? ROUNDS_TIMED), contenders: t.info,
      ...(t.info.floor ? { floor: { matmuls: t.info.floor.matmuls, gflop: t.info.floor.gflop } } : {}),
      statistic: 'per training step: median and fastest run over interleaved rounds ÷ its steps per run, one process per contender',
      median_ms: median, min_ms: min, median_ratios: ratios(median, pairs), min_ratios: ratios(min, pairs),
    };
  } finally {
    if (!given) rmSync(home, { recursive: true, force: true });
  }
}

if (!(await serveIfChild(import.meta.url, make))) await runIfMain(import.meta.url, 'train-step-base', run);
