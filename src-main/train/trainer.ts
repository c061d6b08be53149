/**
 * A training run: the method's phases (methods.ts) stepped on ORT, the projection between
 * them (projection.ts), dev evaluation, progress events, cancel → checkpoint → resume.
 *
 * Everything a step consumes follows from (seed, phase, step): batches come from
 * epochBatches(seed + phase, epoch) and the gate noise from one Rng whose state is
 * checkpointed, so a resumed run feeds exactly the same inputs as an uninterrupted one and
 * ends with the same weights.
 */
import { epochBatches, type Dataset } from '../data/index.js';
import type { BaseModel } from '../model/base.js';
import type { WeightTensor } from '../model/weights.js';
import type { PackContent, SparseDiff } from '../packs/format.js';
import { sparseDiffFromDense } from '../packs/sparse.js';
import { quantize, type ValueEncoding } from '../packs/values.js';
import { appVersion } from '../paths.js';
import { openStepLoop, type HostTensor, type ProviderName } from '../runtime/index.js';
import { warmupLinear } from './adamw.js';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint, type CheckpointTensor } from './checkpoint.js';
import { compileStep } from './compile.js';
import { diffName, gateName, groupGateName, groupNoiseName, noiseName } from './diff-params.js';
import { Predictor, metricsOf } from './evaluate.js';
import { fillGateNoise } from './hard-concrete.js';
import { buildPhaseGraph, frozenName, maskName, methodPhases, type Method, type PhaseGraph, type PhaseKind } from './methods.js';
import type { Metrics } from './metrics.js';
import { expectedDiff, projectTopK, sampleDiff, type TensorMap } from './projection.js';
import { Rng } from './rng.js';
import { momentInputs, paramInput } from './step-graph.js';

export interface TrainConfig {
  method: Method;
  /** Target share of nonzeros among the penalised parameters (sparse methods). */
  sparsity: number;
  /** Epochs of each phase (the fixed-mask phase too), capped by maxSteps per phase. */
  epochs: number;
  maxSteps?: number;
  seed: number;
  batchSize: number;
  maxLength: number;
  lambda: number;
  /** Peak learning rate per group: diff (w), gates (α), head, base (dense phases). */
  lr: { diff: number; gates: number; head: number; base: number };
  /** Share of each phase's steps spent warming up. */
  warmup: number;
  weightDecay: number;
  alphaInit: number;
  /** Evaluate on dev every this many steps (0: at the end of each epoch). */
  evalEvery: number;
  valueEncoding: ValueEncoding;
}

export const DEFAULT_CONFIG: Omit<TrainConfig, 'method'> = {
  sparsity: 0.005, epochs: 3, seed: 1, batchSize: 32, maxLength: 128, lambda: 1e-6,
  lr: { diff: 1e-3, gates: 0.1, head: 1e-3, base: 1e-4 }, warmup: 0.1, weightDecay: 0.01, alphaInit: 5,
  evalEvery: 0, valueEncoding: 'float16',
};

export type TrainEvent =
  | { kind: 'step'; phase: PhaseKind; phaseIndex: number; step: number; totalSteps: number; epoch: number; loss: number; taskLoss: number;
    expectedL0?: number; lr: number; examplesPerSecond: number; etaSeconds: number }
  | { kind: 'eval'; phase: PhaseKind; step: number; metrics: Metrics; nonzeros: number }
  | { kind: 'projection'; nonzeroBefore: number; total: number; nnz: number; effectiveSparsityBefore: number }
  | { kind: 'checkpoint'; step: number; path: string };

export interface TrainInput {
  base: BaseModel;
  train: Dataset;
  dev: Dataset;
  config: TrainConfig;
  /** `<home>/runs/<run-id>`: checkpoints go here; a checkpoint found there is resumed. */
  runDir: string;
  provider?: ProviderName;
  taskName?: string;
  onEvent?: (e: TrainEvent) => void;
}

export interface TrainResult {
  status: 'done';
  pack: PackContent;
  devMetrics: Metrics;
  /** Adapted (trained) base tensors after training, and the head: what the pack encodes before quantisation. */
  weights: Map<string, WeightTensor>;
  projection?: { nonzeroBefore: number; total: number; nnz: number };
  steps: number;
  seconds: number;
}

export interface Cancelled { status: 'cancelled'; checkpoint: string; step: number }

interface Meta {
  phaseIndex: number;
  phaseStep: number;
  noiseRng: number[];
  projection?: { nonzeroBefore: number; total: number; nnz: number };
}

const f32 = (dims: number[], data: Float32Array): HostTensor => ({ dtype: 'float32', dims, data });

export class Trainer {
  private cancelRequested = false;
  private readonly phases: PhaseKind[];
  private readonly lengths: number[];

  constructor(private readonly input: TrainInput) {
    this.phases = methodPhases(input.config.method);
    this.lengths = input.train.rows.map((r) => r.text.length + (r.pair?.length ?? 0));
  }

  /** Stop after the current step and leave a checkpoint that run() resumes. */
  cancel(): void {
    this.cancelRequested = true;
  }

  private get batchesPerEpoch(): number {
    return Math.ceil(this.input.train.rows.length / this.input.config.batchSize);
  }

  phaseSteps(): number {
    const { epochs, maxSteps } = this.input.config;
    return Math.min(epochs * this.batchesPerEpoch, maxSteps ?? Infinity);
  }

  async run(): Promise<TrainResult | Cancelled> {
    const { base, config: c, runDir, train } = this.input;
    const started = Date.now();
    const emit = (e: TrainEvent) => this.input.onEvent?.(e);
    const phaseSteps = this.phaseSteps(), totalSteps = phaseSteps * this.phases.length;
    if (phaseSteps < 1) throw new Error('the run has no steps (empty training set or --max-steps 0)');
    const resumed = hasCheckpoint(runDir) ? loadCheckpoint<Meta>(runDir) : undefined;
    let meta: Meta = resumed?.meta ?? { phaseIndex: 0, phaseStep: 0, noiseRng: [...new Rng(c.seed + 7).state] };
    let carried: Map<string, CheckpointTensor> = resumed?.tensors ?? this.initialState(this.phases[0]);
    const noiseRng = new Rng(Uint32Array.from(meta.noiseRng));
    const predictor = await Predictor.open(base, train.task, { provider: this.input.provider, maxLength: c.maxLength });
    let devMetrics: Metrics = {};
    try {
      for (let pi = meta.phaseIndex; pi < this.phases.length; pi++) {
        const kind = this.phases[pi];
        const pg = buildPhaseGraph(base, train.task, c.method, kind, { lambda: c.lambda, weightDecay: c.weightDecay });
        const { stateFeeds, extras } = this.splitState(pg, carried);
        const loop = await openStepLoop(compileStep(pg.graph).bytes, { provider: this.input.provider ?? 'cpu' }, pg.graph.stateBinding, stateFeeds);
        const fixed: Record<string, HostTensor> = {};
        for (const n of pg.frozen) { const w = base.weights.get(n)!; fixed[frozenName(n)] = f32([...w.dims], w.data); }
        for (const [n, t] of extras) fixed[n] = f32(t.dims, t.data);
        const phaseStart = Date.now(), firstStep = meta.phaseStep;
        let epochBatchesCache: { epoch: number; batches: number[][] } | undefined;
        try {
          for (let s = meta.phaseStep; s < phaseSteps; s++) {
            if (this.cancelRequested) {
              const path = saveCheckpoint(runDir, pi * phaseSteps + s, { meta: { ...meta, phaseIndex: pi, phaseStep: s, noiseRng: [...noiseRng.state] }, tensors: this.collect(await loop.readState(), extras) });
              emit({ kind: 'checkpoint', step: pi * phaseSteps + s, path });
              return { status: 'cancelled', checkpoint: path, step: pi * phaseSteps + s };
            }
            const epoch = Math.floor(s / this.batchesPerEpoch);
            if (epochBatchesCache?.epoch !== epoch) epochBatchesCache = { epoch, batches: epochBatches(this.lengths, c.batchSize, c.seed + 1000 * pi, epoch) };
            const rows = epochBatchesCache.batches[s % this.batchesPerEpoch].map((i) => train.rows[i]);
            const feeds: Record<string, HostTensor> = { ...fixed, ...base.encode(rows, train.task, c.maxLength) };
            feeds.labels = train.task.type === 'regression' ? f32([rows.length], Float32Array.from(rows, (r) => r.label))
              : { dtype: 'int32', dims: [rows.length], data: Int32Array.from(rows, (r) => r.label) };
            if (kind === 'l0') this.noiseFeeds(pg, noiseRng, feeds);
            feeds.step = f32([], Float32Array.of(s + 1));
            const warm = Math.max(1, Math.round(c.warmup * phaseSteps));
            const scale = warmupLinear(s, 1, warm, phaseSteps);
            for (const group of new Set(pg.trainables.map((t) => t.group))) feeds[`lr.${group}`] = f32([], Float32Array.of(c.lr[group as keyof TrainConfig['lr']] * scale));
            const out = await loop.step(feeds);
            const done = s + 1 - firstStep, secs = (Date.now() - phaseStart) / 1000;
            const perStep = secs / done, left = totalSteps - (pi * phaseSteps + s + 1);
            emit({
              kind: 'step', phase: kind, phaseIndex: pi, step: pi * phaseSteps + s + 1, totalSteps, epoch,
              loss: Number(out.loss.data[0]), taskLoss: Number(out.taskLoss.data[0]),
              ...(out.expectedL0 ? { expectedL0: Number(out.expectedL0.data[0]) } : {}),
              lr: c.lr[kind === 'dense' ? 'base' : 'diff'] * scale, examplesPerSecond: (done * c.batchSize) / Math.max(secs, 1e-9), etaSeconds: perStep * left,
            });
            const epochEnd = (s + 1) % this.batchesPerEpoch === 0 || s + 1 === phaseSteps;
            if (c.evalEvery > 0 ? (s + 1) % c.evalEvery === 0 || s + 1 === phaseSteps : epochEnd) {
              const state = this.collect(await loop.readState(), extras);
              const { weights, nonzeros } = this.currentWeights(kind, state);
              devMetrics = metricsOf(await predictor.scores(this.input.dev.rows, (n) => weights.get(n) ?? base.weights.get(n)!), this.input.dev.rows, train.task, this.input.dev.source.glue);
              emit({ kind: 'eval', phase: kind, step: pi * phaseSteps + s + 1, metrics: devMetrics, nonzeros });
            }
          }
          carried = this.collect(await loop.readState(), extras);
        } finally {
          await loop.dispose();
        }
        if (pi + 1 < this.phases.length) {
          const next = this.project(kind, carried, noiseRng);
          meta = { phaseIndex: pi + 1, phaseStep: 0, noiseRng: [...noiseRng.state], projection: next.projection };
          emit({ kind: 'projection', ...next.projection, effectiveSparsityBefore: next.projection.nonzeroBefore / next.projection.total });
          carried = next.state;
        } else {
          meta = { ...meta, phaseIndex: pi, phaseStep: phaseSteps };
        }
      }
      const final = this.currentWeights(this.phases.at(-1)!, carried);
      return {
        status: 'done', pack: this.packContent(final.weights, carried, devMetrics), devMetrics, weights: final.weights,
        ...(meta.projection ? { projection: meta.projection } : {}), steps: totalSteps, seconds: (Date.now() - started) / 1000,
      };
    } finally {
      await predictor.dispose();
    }
  }

  /** Parameters and zero moments of a phase's first step; the head is carried in `prev`. */
  private initialState(kind: PhaseKind, prev?: Map<string, CheckpointTensor>, diffInit?: TensorMap): Map<string, CheckpointTensor> {
    const { base, train, config: c } = this.input;
    const pg = buildPhaseGraph(base, train.task, c.method, kind, { lambda: c.lambda, weightDecay: c.weightDecay });
    const rng = new Rng(c.seed + 3);
    const out = new Map<string, CheckpointTensor>();
    for (const t of pg.trainables) {
      const dims = t.shape as number[], n = dims.reduce((a, b) => a * b, 1);
      let data: Float32Array;
      if (t.group === 'head') data = prev?.get(paramInput(t.name))?.data.slice() ?? (t.name.endsWith('.b') ? new Float32Array(n) : rng.fillNormal(new Float32Array(n), 0.02) as Float32Array);
      else if (t.group === 'base') data = base.weights.get(t.name)!.data.slice();
      else if (t.group === 'gates') data = new Float32Array(n).fill(c.alphaInit);
      else data = diffInit?.get(t.name.slice('diff.'.length))?.slice() ?? new Float32Array(n);
      out.set(paramInput(t.name), { dims, data });
      for (const m of momentInputs(t.name)) out.set(m, { dims, data: new Float32Array(n) });
    }
    return out;
  }

  /** The loop's state inputs, and the rest of the carried tensors (masks), fed each step. */
  private splitState(pg: PhaseGraph, carried: Map<string, CheckpointTensor>) {
    const stateNames = new Set(Object.values(pg.graph.stateBinding));
    const stateFeeds: Record<string, HostTensor> = {};
    const extras = new Map<string, CheckpointTensor>();
    for (const [n, t] of carried) {
      if (stateNames.has(n)) stateFeeds[n] = f32(t.dims, t.data.slice());
      else extras.set(n, t);
    }
    return { stateFeeds, extras };
  }

  private collect(state: Record<string, HostTensor>, extras: Map<string, CheckpointTensor>): Map<string, CheckpointTensor> {
    const out = new Map<string, CheckpointTensor>();
    for (const [n, t] of Object.entries(state)) out.set(n, { dims: [...t.dims], data: t.data as Float32Array });
    for (const [n, t] of extras) out.set(n, t);
    return out;
  }

  private noiseFeeds(pg: PhaseGraph, rng: Rng, feeds: Record<string, HostTensor>): void {
    const structured = this.input.config.method === 'diff-structured';
    for (const n of pg.adapted) {
      const dims = [...this.input.base.weights.get(n)!.dims];
      feeds[noiseName(n)] = f32(dims, fillGateNoise(new Float32Array(dims.reduce((a, b) => a * b, 1)), rng));
      if (structured) feeds[groupNoiseName(n)] = f32([1], fillGateNoise(new Float32Array(1), rng));
    }
  }

  private tensorsOf(state: Map<string, CheckpointTensor>, prefix: string): TensorMap {
    const out: TensorMap = new Map();
    for (const n of this.input.base.weights.keys()) { const t = state.get(paramInput(prefix + n)); if (t) out.set(n, t.data); }
    return out;
  }

  /** θ + δ for the adapted tensors at this point of a phase (L0: with the deterministic gates), and the head. */
  private currentWeights(kind: PhaseKind, state: Map<string, CheckpointTensor>): { weights: Map<string, WeightTensor>; nonzeros: number } {
    const base = this.input.base.weights;
    const weights = new Map<string, WeightTensor>();
    let nonzeros = 0;
    let deltas: TensorMap | undefined;
    if (kind === 'l0') {
      const structured = this.input.config.method === 'diff-structured';
      deltas = expectedDiff(this.tensorsOf(state, diffName('')), this.tensorsOf(state, gateName('')), structured ? this.tensorsOf(state, groupGateName('')) : undefined);
    } else if (kind === 'mask') {
      deltas = new Map([...this.tensorsOf(state, diffName(''))].map(([n, w]) => [n, Float32Array.from(w, (v, i) => v * state.get(maskName(n))!.data[i])]));
    }
    if (deltas) {
      for (const [n, d] of deltas) {
        const b = base.get(n)!;
        for (const v of d) if (v !== 0) nonzeros++;
        weights.set(n, { dims: b.dims, data: Float32Array.from(b.data, (x, i) => x + d[i]) });
      }
    } else {
      for (const [n, t] of this.tensorsOf(state, '')) weights.set(n, { dims: base.get(n)!.dims, data: t });
    }
    for (const [n, t] of state) if (n.startsWith('p.head.')) weights.set(n.slice(2), { dims: t.dims, data: t.data });
    return { weights, nonzeros };
  }

  /** Sample z once (L0) or take θ_ft − θ (dense), keep the top ⌈t·d⌉ |δ|, start the fixed-mask phase from them. */
  private project(kind: PhaseKind, state: Map<string, CheckpointTensor>, rng: Rng) {
    const { config: c, base } = this.input;
    let delta: TensorMap;
    if (kind === 'l0') {
      delta = sampleDiff(this.tensorsOf(state, diffName('')), this.tensorsOf(state, gateName('')),
        c.method === 'diff-structured' ? this.tensorsOf(state, groupGateName('')) : undefined, rng);
    } else {
      delta = new Map([...this.tensorsOf(state, '')].map(([n, t]) => [n, Float32Array.from(t, (v, i) => v - base.weights.get(n)!.data[i])]));
    }
    const p = projectTopK(delta, c.sparsity);
    const next = this.initialState('mask', state, p.kept);
    for (const [n, m] of p.masks) next.set(maskName(n), { dims: [...base.weights.get(n)!.dims], data: m });
    return { state: next, projection: { nonzeroBefore: p.nonzeroBefore, total: p.total, nnz: p.nnz } };
  }

  private packContent(weights: Map<string, WeightTensor>, state: Map<string, CheckpointTensor>, devMetrics: Metrics): PackContent {
    const { base, train, config: c } = this.input;
    const head = [...weights].filter(([n]) => n.startsWith('head.')).map(([name, t]) => ({ name, dims: [...t.dims], data: Float32Array.from(t.data) }));
    let diffs: SparseDiff[];
    if (this.phases.at(-1) === 'mask') {
      // Exactly the mask's positions, whatever their values: nnz = ⌈t·d⌉ by construction.
      diffs = [];
      for (const [n, w] of this.tensorsOf(state, diffName(''))) {
        const mask = state.get(maskName(n))!.data, idx: number[] = [];
        for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) idx.push(i);
        if (idx.length === 0) continue;
        diffs.push({ name: n, dims: [...base.weights.get(n)!.dims], indices: Uint32Array.from(idx), values: quantize(Float32Array.from(idx, (i) => w[i]), c.valueEncoding, `diff '${n}'`) });
      }
    } else {
      diffs = sparseDiffFromDense(base.weights, new Map([...weights].filter(([n]) => !n.startsWith('head.'))), { encoding: c.valueEncoding }).diffs;
    }
    const hyper = { sparsity: c.sparsity, epochs: c.epochs, maxSteps: c.maxSteps ?? 0, seed: c.seed, batchSize: c.batchSize, maxLength: c.maxLength,
      lambda: c.lambda, lrDiff: c.lr.diff, lrGates: c.lr.gates, lrHead: c.lr.head, lrBase: c.lr.base, warmup: c.warmup, weightDecay: c.weightDecay,
      alphaInit: c.alphaInit, valueEncoding: c.valueEncoding };
    return {
      base: { id: base.id, fingerprint: base.fingerprint },
      task: {
        name: this.input.taskName ?? train.source.glue ?? 'task', description: `${c.method} on ${train.source.path}`, type: train.task.type,
        labels: train.labels, inputColumns: [train.columns.text, ...(train.columns.pair ? [train.columns.pair] : [])],
        maxLength: c.maxLength, tokenizer: `${base.id}/tokenizer.json`, appVersion: appVersion(), createdAt: new Date().toISOString(),
      },
      provenance: { method: c.method, hyperParameters: hyper, trainingData: train.fingerprint, devMetrics: devMetrics as Record<string, number> },
      diffs, dense: head,
    };
  }
}
