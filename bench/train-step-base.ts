/**
 * A training step on the shipped base (use-lite-en, 6.98 M penalised parameters) and one
 * real SST-2 batch of 32 (generated sentences where the data is absent), as the trainer
 * runs it on ORT's CPU provider: frozen base fed, gate noise drawn in the timed run,
 * STEPS_PER_RUN steps per ONNX Runtime run (train/multi-step.ts):
 *   diff_structured, diff — the L0 phase (θ + z⊙z^j⊙w / θ + z⊙w, penalty, AdamW on w, α)
 *   mask                  — the fixed-mask phase (θ + m⊙w, AdamW on w)
 *   full                  — full finetuning (AdamW on θ)
 *   *_single              — the same at one step per run, to show what running several saves
 *   floor                 — the full step's MatMul/Gemm nodes alone (its FLOP floor)
 * Times are per training step. Each contender lives in a process of its own, as a run does
 * (one step loop, one heap, its own garbage collections), and the parent steps them in
 * interleaved rounds. The synthetic-encoder bench (train-step.ts) isolates the graph; this
 * one is what a user's run pays. Run alone: `npx tsx bench/train-step-base.ts`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { epochBatches, importDataset, type Dataset } from '../src-main/data/index.js';
import { defaultBaseId, ensureShippedBase, loadBase } from '../src-main/model/registry.js';
import { openStepLoop, type HostTensor } from '../src-main/runtime/index.js';
import { compileStep } from '../src-main/train/compile.js';
import { buildPhaseGraph, isFixedInput, maskName, type Method, type PhaseKind } from '../src-main/train/methods.js';
import { multiStepGraph } from '../src-main/train/multi-step.js';
import { PhaseFeeds } from '../src-main/train/phase-feeds.js';
import { Rng } from '../src-main/train/rng.js';
import { initialPhaseState } from '../src-main/train/run-state.js';
import { DEFAULT_CONFIG, STEPS_PER_RUN } from '../src-main/train/trainer.js';
import { dataDir, writeSyntheticSentiment } from '../test/train/trainer-support.js';
import { runIfMain } from './results-file.js';
import { floorContender, interleaved, ratios, type Contender } from './train-step.js';

const BATCH = 32, SETTLE_MS = 100;
const CHILD = '--step-child';
/** Contender → method, phase and steps per run (the trainer's STEPS_PER_RUN, and single steps to compare). */
const STEPS: Record<string, [Method, PhaseKind, number]> = {
  diff_structured: ['diff-structured', 'l0', STEPS_PER_RUN], diff: ['diff', 'l0', STEPS_PER_RUN], mask: ['diff-structured', 'mask', STEPS_PER_RUN],
  full: ['full', 'dense', STEPS_PER_RUN], diff_structured_single: ['diff-structured', 'l0', 1], full_single: ['full', 'dense', 1],
};
type Contenders = keyof typeof STEPS | 'floor';

function sst2(home: string): { train: Dataset; source: string } {
  const path = join(dataDir(), 'glue', 'SST-2', 'train.tsv');
  if (existsSync(path)) return { train: importDataset(path), source: 'SST-2 (GLUE) train' };
  return { train: importDataset(writeSyntheticSentiment(mkdtempSync(join(home, 'data-')), 'train.tsv', 4000, 1)), source: 'generated sentences (SST-2 not found)' };
}

/** The child: one contender's loop, stepped on request; answers each round with its step's ms. */
async function serve(name: Contenders, home: string): Promise<void> {
  const base = loadBase(home);
  const { train, source } = sst2(home);
  const c = DEFAULT_CONFIG;
  // The trainer's first batch of its first epoch (length-bucketed, seed 1).
  const rows = epochBatches(train.rows.map((r) => r.text.length), BATCH, c.seed, 0)[0].map((i) => train.rows[i]);
  const seq = base.encode(rows, train.task, c.maxLength).ids.dims[1];
  const [method, kind, perRun] = STEPS[name === 'floor' ? 'full' : name];
  const pg = buildPhaseGraph(base, train.task, method, kind, { lambda: c.lambda, weightDecay: c.weightDecay });
  let contender: Contender, info: object = {};
  if (name === 'floor') {
    const floor = await floorContender(pg.graph.outputs, { batch: BATCH, seq });
    contender = floor.contender;
    info = { floor_matmuls: floor.products, floor_gflop: +floor.gflop.toFixed(2) };
  } else {
    // The fixed-mask phase's mask: any 0.5 % of each tensor (the step's cost does not depend on which).
    const masks = new Map(kind === 'mask' ? [...base.weights].map(([n, w]) => [maskName(n), { dims: [...w.dims], data: Float32Array.from(w.data, (_, i) => +(i % 200 === 0)) }]) : []);
    const feeds = new PhaseFeeds(base, train.task, pg, { maxLength: c.maxLength, lr: c.lr, warmup: c.warmup, phaseSteps: 1000 }, masks);
    const initial: Record<string, HostTensor> = {};
    for (const [n, t] of initialPhaseState(base, pg.trainables, c)) initial[n] = { dtype: 'float32', dims: t.dims, data: t.data };
    const loop = await openStepLoop(compileStep(multiStepGraph(pg.graph, perRun, isFixedInput)).bytes, { provider: 'cpu' }, pg.graph.stateBinding, initial);
    const rng = new Rng(7);
    contender = {
      prepare: (round) => { const f = feeds.steps(Array(perRun).fill(rows), round * perRun, rng); return () => loop.step(f); },
      dispose: () => loop.dispose(),
    };
  }
  process.send!({ ready: { seq, source, base: base.id, perRun: name === 'floor' ? 1 : perRun, ...info } });
  process.on('message', async (m: { round?: number }) => {
    if (m.round === undefined) { await contender.dispose(); process.exit(0); }
    const step = contender.prepare(m.round);
    const t0 = performance.now();
    await step();
    process.send!({ ms: performance.now() - t0 });
  });
}

/** A contender in a child process: this file again, under this process's loader flags (tsx or compiled). */
async function spawn(name: Contenders, home: string): Promise<{ child: ChildProcess; contender: Contender; ready: Record<string, unknown> }> {
  const child = fork(fileURLToPath(import.meta.url), [CHILD, name, home], { execArgv: process.execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let pending: { resolve: (m: Record<string, unknown>) => void; reject: (e: Error) => void } | undefined;
  child.on('message', (m: Record<string, unknown>) => pending?.resolve(m));
  child.on('exit', (code) => pending?.reject(new Error(`step child '${name}' exited with ${code}`)));
  const next = () => new Promise<Record<string, unknown>>((resolve, reject) => { pending = { resolve, reject }; });
  const ready = (await next()).ready as Record<string, unknown>;
  const contender: Contender = {
    // The parent's clock includes a message round trip (well under a millisecond).
    prepare: (round) => async () => { child.send({ round }); await next(); },
    // A quiet gap before the next contender: ORT's idle pool threads spin for a while after a run.
    settle: () => new Promise((r) => setTimeout(r, SETTLE_MS)),
    dispose: async () => { const exited = new Promise((r) => child.once('exit', r)); child.send({}); await exited; },
  };
  return { child, contender, ready };
}

export async function run(): Promise<object> {
  const home = mkdtempSync(join(tmpdir(), 'taskpack-bench-'));
  ensureShippedBase(home, defaultBaseId(), () => {});
  const spawned: Awaited<ReturnType<typeof spawn>>[] = [];
  try {
    for (const name of [...Object.keys(STEPS), 'floor'] as Contenders[]) spawned.push(await spawn(name, home));
    const names = [...Object.keys(STEPS), 'floor'];
    const runs = await interleaved(Object.fromEntries(names.map((n, i) => [n, spawned[i].contender])));
    const perRun = Object.fromEntries(names.map((n, i) => [n, spawned[i].ready.perRun as number]));
    const perStep = (ms: Record<string, number>) => Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, +(v / perRun[k]).toFixed(2)]));
    const median = perStep(runs.median), min = perStep(runs.min);
    const pairs: [string, string][] = [['diff_structured', 'full'], ['diff_structured', 'floor'], ['diff', 'full'], ['mask', 'full'], ['full', 'floor'],
      ['diff_structured_single', 'full_single'], ['diff_structured_single', 'diff_structured'], ['full_single', 'full']];
    const { seq, source, base } = spawned[0].ready;
    return {
      base, source, batch: BATCH, seq, provider: 'cpu', steps_per_run: perRun, floor: { matmuls: spawned.at(-1)!.ready.floor_matmuls, gflop: spawned.at(-1)!.ready.floor_gflop },
      statistic: 'per training step: median and fastest run over interleaved rounds ÷ its steps per run, one process per contender (gate noise drawn in the timed run)',
      median_ms: median, min_ms: min, median_ratios: ratios(median, pairs), min_ratios: ratios(min, pairs),
    };
  } finally {
    for (const s of spawned) if (s.child.exitCode === null) s.child.kill();
    rmSync(home, { recursive: true, force: true });
  }
}

if (process.argv[2] === CHILD && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await serve(process.argv[3] as Contenders, process.argv[4]);
else await runIfMain(import.meta.url, 'train-step-base', run);
