/**
 * A training run: the method's phases (methods.ts) stepped on ORT, the projection between
 * them (projection.ts), dev evaluation, progress events, cancel → checkpoint → resume.
 *
 * Everything a step consumes follows from (seed, phase, step): batches come from
 * epochBatches(seed + phase, epoch) and the gate noise from one Rng whose state is
 * checkpointed, so a resumed run feeds exactly the same inputs as an uninterrupted one and
 * ends with the same weights. Checkpoints are written on cancel, at each phase boundary and
 * every `checkpointEverySeconds` of stepping, so a crash loses at most that much; the L0
 * phase's final state is also kept apart (l0-state.ts) for explore.ts.
 */
import { epochBatches, type Dataset } from '../data/index.js';
import type { BaseModel } from '../model/base.js';
import type { WeightTensor } from '../model/weights.js';
import type { PackContent } from '../packs/format.js';
import { openStepLoop, type HostTensor, type ProviderName } from '../runtime/index.js';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint, type CheckpointTensor, type DamagedCheckpoint } from './checkpoint.js';
import { compileStep } from './compile.js';
import { diffName, gateName, groupGateName } from './diff-params.js';
import { deviceReport, type DeviceReport } from './device-report.js';
import { Predictor, metricsOf } from '../infer/evaluate.js';
import { inPlaceOutputs } from './in-place.js';
import { saveL0State, type L0State } from './l0-state.js';
import { BLOCK as LAMBDA_BLOCK, LambdaController, type LambdaState } from './lambda-schedule.js';
import { phaseStepCounts } from './phase-budget.js';
import { PhaseFeeds } from './phase-feeds.js';
import { cpuArenaFor, multiStepGraph, stepsPerRun } from './multi-step.js';
import { evaluationParams } from './phase-eval.js';
import { buildPhaseGraph, graphOptionsOf, shapesOf, isFixedInput, isModuleMethod, maskName, methodPhases, MODULE_GROUP, type GraphOptions, type PhaseGraph, type PhaseKind } from './methods.js';
import type { ModuleSpec } from '../model/modules.js';
import type { Metrics } from '../data/metrics.js';
import { packContentOf } from './pack-content.js';
import { projectTopK, sampleDiff, type TensorMap } from './projection.js';
import { Rng } from '../util/rng.js';
import { currentWeights, diffNonzeros, f32Of, hostOf, initialPhaseState, stateOf, tensorsOf, type RunState } from './run-state.js';
import { momentInputs, paramInput } from './step-graph.js';
import { DEFAULT_ADAMW } from './adamw.js';
import { misfit, TrainedBase } from './trained-base.js';
import { appendGateStats, gateStats, type GateStats } from './gate-stats.js';
import { MODULE_LR, type TrainConfig } from './train-config.js';

export type TrainEvent =
  | { kind: 'step'; phase: PhaseKind; phaseIndex: number; step: number; totalSteps: number; epoch: number; loss: number; taskLoss: number;
    expectedL0?: number; expectedNonzeros?: number; lambda?: number; lr: number; examplesPerSecond: number; etaSeconds: number }
  | { kind: 'eval'; phase: PhaseKind; step: number; metrics: Metrics; nonzeros: number; gates?: GateStats }
  | { kind: 'projection'; nonzeroBefore: number; total: number; nnz: number; effectiveSparsityBefore: number; lambda?: number }
  | { kind: 'checkpoint'; step: number; path: string }
  /** A checkpoint that did not verify on resume; the run went on from the newest intact one. */
  | ({ kind: 'checkpoint-damaged' } & DamagedCheckpoint)
  | ({ kind: 'device'; phase: PhaseKind } & DeviceReport);

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
  /**
   * Checkpoint after this many seconds of stepping since the last checkpoint (default
   * DEFAULT_CHECKPOINT_SECONDS): what a crash can lose. Not a hyper-parameter: the weights
   * do not depend on it.
   */
  checkpointEverySeconds?: number;
  /**
   * Training steps per ONNX Runtime run (default: multi-step.ts's stepsPerRun). Not a
   * hyper-parameter either: K steps in one run give the same weights bit for bit.
   */
  stepsPerRun?: number;
  /** ONNX Runtime's CPU memory arena for the steps and dev evaluations (default: multi-step.ts's cpuArena). Not a hyper-parameter. */
  cpuArena?: boolean;
  /**
   * Diff pruning over the whole token table, not only the rows the texts look up (default
   * false: model/compact-vocabulary.ts). Not a hyper-parameter: the rows left out keep δ = 0
   * either way; for comparisons.
   */
  fullVocabulary?: boolean;
}

export const DEFAULT_CHECKPOINT_SECONDS = 300;

export interface TrainResult {
  status: 'done';
  pack: PackContent;
  devMetrics: Metrics;
  /** Adapted (trained) base tensors after training, and the head: what the pack encodes before quantisation. */
  weights: Map<string, WeightTensor>;
  /** A module method's module and its trained tensors (float32, by canonical name; model/modules.ts). */
  modules?: { spec: ModuleSpec; tensors: Map<string, WeightTensor> };
  /** `lambda`: λ at the L0 phase's last step. */
  projection?: Projection;
  steps: number;
  seconds: number;
}

export interface Cancelled { status: 'cancelled'; checkpoint: string; step: number }

interface Projection { nonzeroBefore: number; total: number; nnz: number; lambda?: number }

interface Meta {
  phaseIndex: number;
  phaseStep: number;
  noiseRng: number[];
  /** The L0 phase's λ controller, mid-phase. */
  lambda?: LambdaState;
  projection?: Projection;
}


export class Trainer {
  private cancelRequested = false;
  private lastCheckpoint = 0;
  private readonly phases: PhaseKind[];
  private readonly lengths: number[];
  /** Steps of each phase, and the run's steps before each phase. */
  private readonly stepsOfPhase: number[];
  private readonly phaseOffset: number[];
  private readonly graphOptions: GraphOptions;
  /** The base the phases train (trained-base.ts: diff pruning's token table cut to the looked-up rows). */
  readonly trained: TrainedBase;

  constructor(private readonly input: TrainInput) {
    this.phases = methodPhases(input.config.method);
    this.graphOptions = graphOptionsOf(input.base, input.config);
    this.trained = new TrainedBase(input.base, input.config.method, input, input.fullVocabulary);
    this.lengths = input.train.rows.map((r) => r.text.length + (r.pair?.length ?? 0));
    this.stepsOfPhase = phaseStepCounts(this.phases, input.config, this.batchesPerEpoch);
    let before = 0;
    this.phaseOffset = this.stepsOfPhase.map((n) => (before += n) - n);
  }

  /** Stop after the current step and leave a checkpoint that run() resumes. */
  cancel(): void {
    this.cancelRequested = true;
  }

  private get batchesPerEpoch(): number {
    return Math.ceil(this.input.train.rows.length / this.input.config.batchSize);
  }

  /** Steps of phase `pi`. */
  phaseSteps(pi = 0): number {
    return this.stepsOfPhase[pi];
  }

  /** Steps of the whole run. */
  totalSteps(): number {
    return this.phaseOffset.at(-1)! + this.stepsOfPhase.at(-1)!;
  }

  /**
   * Start this run at its fixed-mask phase from a saved L0 state projected to this run's
   * sparsity: leaves the phase-boundary checkpoint that run() then resumes (explore.ts).
   */
  startFromL0State(l0: L0State): void {
    const { method } = this.input.config;
    if (this.phases[0] !== 'l0' || l0.method !== method) throw new Error(`an L0 state of '${l0.method}' cannot start a '${method}' run`);
    this.trained.checkFits('L0 state', l0.tensors);
    this.enterNextPhase(0, l0.tensors, new Rng(Uint32Array.from(l0.noiseRng)));
  }

  async run(): Promise<TrainResult | Cancelled> {
    const { base, config: c, runDir, train } = this.input;
    const started = Date.now();
    const totalSteps = this.totalSteps();
    if (Math.min(...this.stepsOfPhase) < 1) throw new Error('the run has no steps (empty training set or --max-steps 0)');
    let { meta, tensors: carried } = hasCheckpoint(runDir) ? loadCheckpoint<Meta>(runDir, (d) => this.emit({ kind: 'checkpoint-damaged', ...d }))
      : { meta: { phaseIndex: 0, phaseStep: 0, noiseRng: [...new Rng(c.seed + 7).state] } as Meta, tensors: this.initialState(this.phases[0]) };
    const noiseRng = new Rng(Uint32Array.from(meta.noiseRng));
    this.lastCheckpoint = Date.now();
    const { module } = this.graphOptions;
    let devMetrics: Metrics = {};
    for (let pi = meta.phaseIndex; pi < this.phases.length; pi++) {
      const phase = await this.runPhase(pi, meta, carried, noiseRng);
      if (phase.status === 'cancelled') return phase;
      ({ carried } = phase);
      devMetrics = phase.devMetrics ?? devMetrics;
      if (this.phases[pi] === 'l0') saveL0State(runDir, { method: c.method, steps: this.phaseSteps(pi), noiseRng: [...noiseRng.state], tensors: carried });
      if (pi + 1 < this.phases.length) ({ meta, carried } = this.enterNextPhase(pi, carried, noiseRng, phase.lambda));
      else meta = { ...meta, phaseIndex: pi, phaseStep: this.phaseSteps(pi) };
    }
    const lastPhase = this.phases.at(-1)!;
    carried = this.trained.wholeState(carried);
    const { weights: all } = currentWeights(base, c.method, lastPhase, carried);
    const isModule = (n: string) => !n.startsWith('head.') && !base.weights.has(n);
    const weights = new Map([...all].filter(([n]) => !isModule(n)));
    const modules = module && { spec: module, tensors: new Map([...all].filter(([n]) => isModule(n))) };
    const pack = packContentOf({ base, train, config: c, taskName: this.input.taskName, lastPhase, weights, state: carried, devMetrics, ...(modules ? { modules } : {}) });
    return {
      status: 'done', pack, devMetrics, weights, ...(modules ? { modules } : {}),
      ...(meta.projection ? { projection: meta.projection } : {}), steps: totalSteps, seconds: (Date.now() - started) / 1000,
    };
  }

  /**
   * Phase `pi` from `meta.phaseStep` on, from the `carried` state: its steps (several per
   * ONNX Runtime run on the CPU, multi-step.ts), checkpoints, dev evaluations and events.
   * Returns the phase's final state and its last dev metrics, or a cancellation.
   */
  private async runPhase(pi: number, meta: Meta, carried: RunState, noiseRng: Rng):
    Promise<Cancelled | { status: 'done'; carried: RunState; devMetrics?: Metrics; lambda?: number }> {
    const { config: c, train } = this.input, base = this.trained.base;
    const phaseSteps = this.phaseSteps(pi), offset = this.phaseOffset[pi], totalSteps = this.totalSteps(), kind = this.phases[pi];
    const checkpointEveryMs = 1000 * (this.input.checkpointEverySeconds ?? DEFAULT_CHECKPOINT_SECONDS);
    const pg = buildPhaseGraph(base, train.task, c.method, kind, this.graphOptions);
    const provider = this.input.provider ?? 'cpu';
    let state: Record<string, HostTensor> | undefined = this.takeStateFeeds(pg, carried);
    const extras = carried;
    const lambda = kind === 'l0' ? new LambdaController({ schedule: c.lambdaSchedule, lambda: c.lambda, target: c.sparsity, phaseSteps, holdDense: c.holdDense }, meta.lambda) : undefined;
    const penalised = this.trained.penalised(pg.adapted);
    const { mask: maskLr, ...lr } = { ...c.lr, ...(isModuleMethod(c.method) ? { module: c.lr.module ?? MODULE_LR[c.method] } : {}) };
    const feeds = new PhaseFeeds(base, train.task, pg, {
      maxLength: c.maxLength, lr: kind === 'mask' ? { ...lr, diff: maskLr ?? lr.diff } : lr, warmup: c.warmup,
      constantGroups: c.gateSchedule === 'constant' ? ['gates'] : [], phaseSteps, lambda: lambda && ((s) => lambda.lambdaAt(s)),
    }, extras);
    // Several steps per run (multi-step.ts says why and when), single steps before an evaluation.
    const perRun = this.input.stepsPerRun ?? stepsPerRun(provider, feeds.noiseBytesPerStep());
    if (lambda && perRun > LAMBDA_BLOCK) throw new Error(`an L0 phase takes at most ${LAMBDA_BLOCK} steps per run (λ's control blocks), not ${perRun}`);
    const models = [...new Set([perRun, 1])].map((k) => multiStepGraph(pg.graph, k, isFixedInput));
    // State outputs every model may write over their inputs (in-place.ts): the CPU then holds the state once.
    const inPlace = models.map(inPlaceOutputs).reduce((a, b) => a.filter((o) => b.includes(o)));
    // The dev evaluation's graph: θ + δ built in it from the phase's state (phase-eval.ts).
    const { module } = this.graphOptions;
    const predictor = await Predictor.open(base, train.task, {
      provider: this.input.provider, maxLength: c.maxLength, cpuArena: this.arena(), ...(module ? { module } : {}),
      params: evaluationParams(c.method, kind, shapesOf(base), pg.adapted),
    });
    const loop = await openStepLoop(models.map((m) => compileStep(m).bytes), { provider, cpuArena: this.arena() }, pg.graph.stateBinding, state, feeds.fixedFeeds(), inPlace)
      .catch(async (e: unknown) => { await predictor.dispose(); throw e; });
    state = undefined; // the loop's now: its moments are freed when the loop goes
    const phaseStart = Date.now(), firstStep = meta.phaseStep;
    let epochBatchesCache: { epoch: number; batches: number[][] } | undefined;
    const rowsOf = (step: number) => {
      const epoch = Math.floor(step / this.batchesPerEpoch);
      if (epochBatchesCache?.epoch !== epoch) epochBatchesCache = { epoch, batches: epochBatches(this.lengths, c.batchSize, c.seed + 1000 * pi, epoch) };
      return epochBatchesCache.batches[step % this.batchesPerEpoch].map((i) => train.rows[i]);
    };
    const evalAfter = (step: number) => c.evalEvery > 0 ? (step + 1) % c.evalEvery === 0 || step + 1 === phaseSteps
      : (step + 1) % this.batchesPerEpoch === 0 || step + 1 === phaseSteps;
    let devMetrics: Metrics | undefined;
    const paramNames = pg.trainables.map((t) => paramInput(t.name));
    try {
      for (let s = meta.phaseStep; s < phaseSteps;) {
        // Before step s, so a checkpoint never lands after a phase's last step (its dev evaluation would be skipped on resume).
        const due = s > firstStep && Date.now() - this.lastCheckpoint >= checkpointEveryMs;
        if (this.cancelRequested || due) {
          const saved = this.saveRunCheckpoint({ ...meta, phaseIndex: pi, phaseStep: s, noiseRng: [...noiseRng.state], ...(lambda ? { lambda: lambda.snapshot() } : {}) },
            this.collect(await loop.viewState(), extras)); // written before the next step: no copy needed
          if (this.cancelRequested) return { status: 'cancelled', checkpoint: saved.path, step: saved.step };
        }
        // A run of perRun steps where no evaluation falls inside it, else a single step.
        let n = Math.min(perRun, phaseSteps - s);
        for (let j = 0; j < n - 1; j++) if (evalAfter(s + j)) n = 1;
        if (n < perRun) n = 1;
        const out = await loop.step(feeds.steps(Array.from({ length: n }, (_, j) => rowsOf(s + j)), s, noiseRng), models.length > 1 && n === 1 ? 1 : 0);
        if (s === firstStep) this.emit({ kind: 'device', phase: kind, ...deviceReport(loop, predictor.provider) });
        const secs = (Date.now() - phaseStart) / 1000;
        for (let j = 0; j < n; j++) {
          const step = s + j, done = step + 1 - firstStep, left = totalSteps - (offset + step + 1);
          const scalar = (k: string) => (out[`${k}@${j}`] ? Number(out[`${k}@${j}`].data[0]) : undefined);
          const expectedL0 = scalar('expectedL0'), expectedNonzeros = scalar('expectedNonzeros');
          if (lambda && expectedNonzeros !== undefined) lambda.observe(step, expectedNonzeros / penalised);
          this.emit({
            kind: 'step', phase: kind, phaseIndex: pi, step: offset + step + 1, totalSteps, epoch: Math.floor(step / this.batchesPerEpoch),
            loss: scalar('loss')!, taskLoss: scalar('taskLoss')!, ...(expectedL0 !== undefined ? { expectedL0 } : {}), ...(expectedNonzeros !== undefined ? { expectedNonzeros } : {}), ...(lambda ? { lambda: lambda.lambdaAt(step) } : {}),
            lr: feeds.rate(kind !== 'dense' ? 'diff' : this.graphOptions.module ? MODULE_GROUP : 'base', step), examplesPerSecond: (done * c.batchSize) / Math.max(secs, 1e-9), etaSeconds: (secs / done) * left,
          });
        }
        s += n;
        if (evalAfter(s - 1)) {
          // The L0 phase's gates' second moments too, for gateStats.
          const read = [...paramNames, ...pg.trainables.filter((t) => kind === 'l0' && t.group === 'gates').map((t) => momentInputs(t.name)[1])];
          const params = this.collect(await loop.viewState(read), extras);
          const weights = kind === 'dense' ? currentWeights(base, c.method, kind, params).weights : undefined;
          const stateTensor = (n: string) => { const t = params.get(n) ?? params.get(paramInput(n)); return t && { dims: t.dims, data: f32Of(t) }; };
          devMetrics = metricsOf(await predictor.scores(this.input.dev.rows, (n) => weights?.get(n) ?? stateTensor(n) ?? base.weights.get(n)!), this.input.dev.rows, train.task, this.input.dev.source.glue);
          const nonzeros = diffNonzeros(base, c.method, kind, params);
          const gates = kind === 'l0' ? gateStats(base, params, s, offset + s, DEFAULT_ADAMW) : undefined;
          if (gates) appendGateStats(this.input.runDir, gates);
          this.emit({ kind: 'eval', phase: kind, step: offset + s, metrics: devMetrics, nonzeros, ...(gates ? { gates } : {}) });
        }
      }
      // The parameters as they are (no copy; the loop goes next): a phase's moments end with it.
      return { status: 'done', carried: this.collect(await loop.viewState(paramNames), extras), ...(devMetrics ? { devMetrics } : {}), ...(lambda ? { lambda: lambda.lambdaAt(phaseSteps - 1) } : {}) };
    } finally {
      await loop.dispose();
      await predictor.dispose();
    }
  }

  /** ONNX Runtime's CPU arena for the steps and the dev evaluation (multi-step.ts's cpuArena says when). */
  private arena(): boolean {
    return this.input.cpuArena ?? cpuArenaFor(this.input.base.weights.values());
  }

  private emit(e: TrainEvent): void {
    this.input.onEvent?.(e);
  }

  private saveRunCheckpoint(meta: Meta, tensors: RunState): { path: string; step: number } {
    const step = this.phaseOffset[meta.phaseIndex] + meta.phaseStep;
    const path = saveCheckpoint(this.input.runDir, step, { meta, tensors });
    this.lastCheckpoint = Date.now();
    this.emit({ kind: 'checkpoint', step, path });
    return { path, step };
  }

  /** Project phase `pi`'s final state into the start of the next phase and checkpoint that phase boundary. */
  private enterNextPhase(pi: number, finalState: RunState, noiseRng: Rng, finalLambda?: number): { meta: Meta; carried: RunState } {
    const next = this.project(this.phases[pi], finalState, noiseRng);
    const projection: Projection = { ...next.projection, ...(finalLambda !== undefined ? { lambda: finalLambda } : {}) };
    const meta: Meta = { phaseIndex: pi + 1, phaseStep: 0, noiseRng: [...noiseRng.state], projection };
    this.emit({ kind: 'projection', ...projection, effectiveSparsityBefore: projection.nonzeroBefore / projection.total });
    this.saveRunCheckpoint(meta, next.state);
    return { meta, carried: next.state };
  }

  private initialState(kind: PhaseKind, prev?: RunState, diffInit?: TensorMap): RunState {
    const { train, config: c } = this.input, base = this.trained.base;
    const pg = buildPhaseGraph(base, train.task, c.method, kind, this.graphOptions);
    return initialPhaseState(base, pg.trainables, { ...c, module: this.graphOptions.module }, prev, diffInit);
  }

  /**
   * Move the loop's state inputs out of `carried` (the loop owns them from here and no
   * copy stays behind, so they are freed once the first step replaces them), leaving
   * the tensors fed unchanged each step (masks).
   */
  private takeStateFeeds(pg: PhaseGraph, carried: RunState): Record<string, HostTensor> {
    const stateFeeds: Record<string, HostTensor> = {};
    const shapes = new Map(pg.graph.inputs.map((t) => [t.name, t.shape]));
    for (const n of Object.values(pg.graph.stateBinding)) {
      const t = carried.get(n);
      if (!t) continue; // StepLoop.create names what is missing
      const shape = shapes.get(n);
      if (shape && shape.join('x') !== t.dims.join('x')) throw new Error(misfit('state', n, t.dims, shape));
      stateFeeds[n] = hostOf(t);
      carried.delete(n);
    }
    return stateFeeds;
  }

  private collect(state: Record<string, HostTensor>, extras: RunState): RunState {
    const out = new Map<string, CheckpointTensor>();
    for (const [n, t] of Object.entries(state)) out.set(n, stateOf(t));
    for (const [n, t] of extras) out.set(n, t);
    return out;
  }

  /**
   * Sample z once (L0) or take θ_ft − θ (dense), keep the top ⌈t·d⌉ |δ| (ties, e.g. the
   * zeros of an L0 phase that pruned below the target, by |w|), start the fixed-mask phase
   * from them (or, maskStart 'dense', from the L0 phase's w on those positions).
   */
  private project(kind: PhaseKind, state: RunState, rng: Rng) {
    const { config: c } = this.input, base = this.trained.base;
    let delta: TensorMap, tiebreak: TensorMap | undefined;
    if (kind === 'l0') {
      tiebreak = tensorsOf(base, state, diffName(''));
      delta = sampleDiff(tiebreak, tensorsOf(base, state, gateName('')),
        c.method === 'diff-structured' ? tensorsOf(base, state, groupGateName('')) : undefined, rng, (n) => this.trained.cutRows(n));
    } else {
      delta = new Map([...tensorsOf(base, state, '')].map(([n, t]) => [n, Float32Array.from(t, (v, i) => v - base.weights.get(n)!.data[i])]));
    }
    const p = projectTopK(delta, c.sparsity, tiebreak, this.trained.penalised([...delta.keys()]));
    // The mask zeroes w elsewhere in the step, so the dense w (maskStart 'dense') differs from the kept δ on the mask's positions only.
    // The next phase takes its w over: a copy of the L0 w (explore.ts projects one L0 state to several targets), δ's own arrays.
    const dense = kind === 'l0' && c.maskStart === 'dense' ? new Map([...tiebreak!].map(([n, t]) => [n, t.slice()])) : undefined;
    const next = this.initialState('mask', state, dense ?? p.kept);
    for (const [n, m] of p.masks) next.set(maskName(n), { dims: [...base.weights.get(n)!.dims], data: m });
    return { state: next, projection: { nonzeroBefore: p.nonzeroBefore, total: p.total, nnz: p.nnz } };
  }
}
