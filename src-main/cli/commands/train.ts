/**
 * `taskpack train --train FILE [--dev FILE] --method M [--sparsity S] [--epochs N]
 * [--mask-epochs N] [--max-steps N] [--seed N] [--base ID] [--recipe default|reference] --out PACK`: finetune and
 * write a task pack. Module methods take `--rank N --lora-alpha A --lora-targets qv|all` (lora) and
 * `--bottleneck N` (adapters), defaults in train-config.ts. A recipe (recipes.ts) sets a group of options; options given explicitly override it.
 * Progress goes to stderr; the run keeps its job (job.json, for `taskpack explore`) and
 * checkpoints under <home>/runs/<run-id>/, and `--run-id ID` resumes a cancelled (or
 * killed) run from its last checkpoint.
 */
import { randomBytes } from 'node:crypto';
import { freemem } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { readBaseManifest } from '../../model/base-store.js';
import { defaultBaseId, ensureShippedBase, shippedBases } from '../../model/registry.js';
import { VALUE_ENCODINGS, type ValueEncoding } from '../../packs/values.js';
import { writeFileAtomic } from '../../durable/atomic.js';
import { discardRunWithoutCheckpoint, isRunId, runDir } from '../../train/checkpoint.js';
import { estimateTrainingPeak } from '../../train/memory-estimate.js';
import { isLambdaSchedule, isHoldDense, LAMBDA_SCHEDULES, SCHEDULE_END } from '../../train/lambda-schedule.js';
import { refuseFinishedRun, runResultPath, writeRunJob, type RunJob } from '../../train/run-job.js';
import { DEFAULT_CONFIG, GATE_SCHEDULES, MASK_STARTS, methodDefaults, type TrainConfig } from '../../train/train-config.js';
import { STRUCTURED_PENALTIES } from '../../train/diff-params.js';
import { MOMENT_TYPES } from '../../train/adamw.js';
import { CLIP_MODES, isMethod, layerPenaltyWeight, METHODS, moduleSpecOf, PENALTY_SCALES } from '../../train/methods.js';
import { moduleParams, type ModuleSpec } from '../../model/modules.js';
import { isRecipe, RECIPES, withRecipe } from '../../train/recipes.js';
import { TrainingWorker, type JobEvent } from '../../train/training-worker.js';
import type { ProviderName } from '../../runtime/index.js';
import { glueOption, outcomeStoppableByCtrlC, UsageError, type CommandSpec, type OptionValues } from '../command.js';

const str = (v: OptionValues[string]) => (typeof v === 'string' ? v : undefined);

function num(values: OptionValues, name: string, fallback: number, check: (x: number) => boolean, what: string): number {
  const s = str(values[name]);
  if (s === undefined) return fallback;
  const x = Number(s);
  if (!Number.isFinite(x) || !check(x)) throw new UsageError(`--${name} must be ${what}, got '${s}'`);
  return x;
}

function choice<T extends string>(values: OptionValues, name: string, fallback: T, allowed: readonly T[]): T {
  const s = str(values[name]) ?? fallback;
  if (!(allowed as readonly string[]).includes(s)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got '${s}'`);
  return s as T;
}

/** `--layer-penalty F,F,…`: λ's factor per layer (embeddings, each layer, the rest). */
function layerPenaltyOf(s: string | undefined): { layerPenalty?: number[] } {
  if (s === undefined) return {};
  const factors = s.split(',').map(Number);
  if (factors.some((x) => !Number.isFinite(x) || x < 0)) throw new UsageError(`--layer-penalty must be comma-separated non-negative numbers, got '${s}'`);
  return { layerPenalty: factors };
}

const positiveInt = (x: number) => Number.isInteger(x) && x > 0;
const positive = (x: number) => x > 0;

export const trainCommand: CommandSpec = {
  name: 'train',
  summary: 'finetune a base on a labelled file and write a task pack',
  synopsis: `--train FILE [--dev FILE] [--method ${METHODS.join('|')}] [--recipe ${RECIPES.join('|')}] [--sparsity S] [--epochs N] [--mask-epochs N] [--max-steps N] [--seed N] [--rank N] [--lora-alpha A] [--lora-targets qv|all] [--bottleneck N] [--glue TASK] [--base ID] --out PACK`,
  options: {
    train: { type: 'string' }, dev: { type: 'string' }, method: { type: 'string' }, sparsity: { type: 'string' },
    epochs: { type: 'string' }, 'mask-epochs': { type: 'string' }, 'max-steps': { type: 'string' }, seed: { type: 'string' }, base: { type: 'string' }, out: { type: 'string' },
    'batch-size': { type: 'string' }, 'max-length': { type: 'string' }, lambda: { type: 'string' }, 'lambda-schedule': { type: 'string' },
    'lr-diff': { type: 'string' }, 'lr-gates': { type: 'string' }, 'lr-head': { type: 'string' }, 'lr-base': { type: 'string' }, 'lr-mask': { type: 'string' }, 'lr-module': { type: 'string' },
    rank: { type: 'string' }, 'lora-alpha': { type: 'string' }, 'lora-targets': { type: 'string' }, bottleneck: { type: 'string' },
    recipe: { type: 'string' }, penalty: { type: 'string' }, 'penalty-scale': { type: 'string' }, 'gate-schedule': { type: 'string' }, clip: { type: 'string' }, 'mask-start': { type: 'string' }, moments: { type: 'string' },
    warmup: { type: 'string' }, 'weight-decay': { type: 'string' }, 'layer-penalty': { type: 'string' }, 'alpha-init': { type: 'string' }, 'hold-dense': { type: 'string' },
    values: { type: 'string' }, glue: { type: 'string' }, 'text-col': { type: 'string' }, 'pair-col': { type: 'string' }, 'label-col': { type: 'string' },
    name: { type: 'string' }, 'run-id': { type: 'string' }, provider: { type: 'string' },
  },
  async run(ctx, values) {
    const trainPath = str(values.train), out = str(values.out);
    if (!trainPath) throw new UsageError('--train FILE is required');
    if (!out) throw new UsageError('--out PACK is required');
    const glue = glueOption(values.glue);
    const method = str(values.method) ?? 'diff-structured';
    if (!isMethod(method)) throw new UsageError(`--method must be one of ${METHODS.join(', ')}, got '${method}'`);
    const encoding = str(values.values) ?? DEFAULT_CONFIG.valueEncoding;
    if (!(VALUE_ENCODINGS as readonly string[]).includes(encoding)) throw new UsageError(`--values must be one of ${VALUE_ENCODINGS.join(', ')}`);
    const provider = (str(values.provider) ?? 'cpu') as ProviderName;
    if (provider !== 'cpu' && provider !== 'webgpu') throw new UsageError('--provider must be cpu or webgpu');
    const recipe = str(values.recipe) ?? 'default';
    if (!isRecipe(recipe)) throw new UsageError(`--recipe must be one of ${RECIPES.join(', ')}, got '${recipe}'`);
    const d = withRecipe({ ...DEFAULT_CONFIG, ...methodDefaults(method) }, recipe);
    const lambdaSchedule = str(values['lambda-schedule']) ?? d.lambdaSchedule;
    if (!isLambdaSchedule(lambdaSchedule)) throw new UsageError(`--lambda-schedule must be one of ${LAMBDA_SCHEDULES.join(', ')}, got '${lambdaSchedule}'`);
    const maxStepsRaw = str(values['max-steps']);
    const maskEpochsRaw = str(values['mask-epochs']);
    const config: TrainConfig = {
      ...d, method, valueEncoding: encoding as ValueEncoding,
      sparsity: num(values, 'sparsity', d.sparsity, (x) => x > 0 && x <= 1, 'in (0, 1]'),
      epochs: num(values, 'epochs', d.epochs, positiveInt, 'a positive integer'),
      ...(maskEpochsRaw !== undefined ? { maskEpochs: num(values, 'mask-epochs', 0, positiveInt, 'a positive integer') } : {}),
      ...(maxStepsRaw !== undefined ? { maxSteps: num(values, 'max-steps', 0, positiveInt, 'a positive integer') } : {}),
      seed: num(values, 'seed', d.seed, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer'),
      batchSize: num(values, 'batch-size', d.batchSize, positiveInt, 'a positive integer'),
      maxLength: num(values, 'max-length', d.maxLength, positiveInt, 'a positive integer'),
      lambda: num(values, 'lambda', d.lambda, (x) => x >= 0, 'non-negative'), lambdaSchedule,
      holdDense: num(values, 'hold-dense', d.holdDense, isHoldDense, `in [0, ${SCHEDULE_END})`),
      lr: {
        diff: num(values, 'lr-diff', d.lr.diff, positive, 'positive'), gates: num(values, 'lr-gates', d.lr.gates, positive, 'positive'),
        head: num(values, 'lr-head', d.lr.head, positive, 'positive'), base: num(values, 'lr-base', d.lr.base, positive, 'positive'),
        ...(str(values['lr-mask']) !== undefined || d.lr.mask !== undefined ? { mask: num(values, 'lr-mask', d.lr.mask ?? 0, positive, 'positive') } : {}),
        ...(str(values['lr-module']) !== undefined ? { module: num(values, 'lr-module', 0, positive, 'positive') } : {}),
      },
      rank: num(values, 'rank', d.rank, positiveInt, 'a positive integer'), loraAlpha: num(values, 'lora-alpha', d.loraAlpha, positive, 'positive'),
      loraTargets: choice(values, 'lora-targets', d.loraTargets, ['qv', 'all'] as const),
      ...(str(values.bottleneck) !== undefined ? { bottleneck: num(values, 'bottleneck', 0, positiveInt, 'a positive integer') } : {}),
      warmup: num(values, 'warmup', d.warmup, (x) => x >= 0 && x <= 1, 'in [0, 1]'),
      weightDecay: num(values, 'weight-decay', d.weightDecay, (x) => x >= 0, 'non-negative'),
      alphaInit: num(values, 'alpha-init', d.alphaInit, (x) => Math.abs(x) <= 20, 'in [-20, 20]'),
      penalty: choice(values, 'penalty', d.penalty, STRUCTURED_PENALTIES), penaltyScale: choice(values, 'penalty-scale', d.penaltyScale, PENALTY_SCALES), gateSchedule: choice(values, 'gate-schedule', d.gateSchedule, GATE_SCHEDULES),
      clip: choice(values, 'clip', d.clip, CLIP_MODES), maskStart: choice(values, 'mask-start', d.maskStart, MASK_STARTS),
      moments: choice(values, 'moments', d.moments, MOMENT_TYPES),
      ...layerPenaltyOf(str(values['layer-penalty'])),
    };
    const runId = str(values['run-id']) ?? `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`;
    if (!isRunId(runId)) throw new UsageError(`--run-id '${runId}' must be letters, digits, '.', '_' or '-'`);
    const started = Date.now();
    const baseId = str(values.base) ?? defaultBaseId();
    // Convert a shipped base here, where its progress reaches stderr; the worker only loads.
    const manifest = shippedBases().some((b) => b.id === baseId) ? ensureShippedBase(ctx.home, baseId, ctx.log) : readBaseManifest(ctx.home, baseId);
    // A per-layer penalty that does not fit this base is refused before the run directory exists.
    if (config.layerPenalty) {
      try {
        layerPenaltyWeight(config.layerPenalty, manifest.tensors.map((t) => t.name));
      } catch (e) {
        throw new UsageError(`--layer-penalty: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    // A module method's module on this base (sized from its shapes), refused before the run directory exists where the base cannot host it.
    let module: { spec: ModuleSpec; parameters: number } | undefined;
    try {
      const shapes = Object.fromEntries(manifest.tensors.map((t) => [t.name, [...t.dims]]));
      const spec = moduleSpecOf(method, config, shapes);
      if (spec) module = { spec, parameters: moduleParams(spec, shapes) };
    } catch (e) {
      throw new UsageError(`--method ${method}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (module) {
      const total = manifest.tensors.reduce((a, t) => a + t.dims.reduce((x, y) => x * y, 1), 0);
      ctx.log(`module: ${JSON.stringify(module.spec)}, ${module.parameters} parameters per task (${(100 * module.parameters / total).toFixed(2)} % of the base)`);
    }
    const memory = { estimatedPeakBytes: estimateTrainingPeak({ tensors: manifest.tensors, method, batchSize: config.batchSize, maxLength: config.maxLength, moments: config.moments }), freeBytes: freemem() };
    const gb = (b: number) => `${(b / 2 ** 30).toFixed(1)} GB`;
    ctx.log(`memory: about ${gb(memory.estimatedPeakBytes)} at the peak, ${gb(memory.freeBytes)} free now${memory.estimatedPeakBytes > memory.freeBytes ? ': the run may not fit (a smaller --batch-size or --max-length, or a GPU, needs less)' : ''}`);
    const runJob: RunJob = {
      baseId, trainPath, devPath: str(values.dev), config, provider, recipe,
      columns: { ...(glue ? { glue } : {}), textCol: str(values['text-col']), pairCol: str(values['pair-col']), labelCol: str(values['label-col']) },
      taskName: str(values.name) ?? defaultTaskName(trainPath),
    };
    const dir = runDir(ctx.home, runId);
    refuseFinishedRun(dir, runId, 'see its result.json');
    let warnings: string[] = [];
    const job = new TrainingWorker({ ...runJob, home: ctx.home, runDir: dir }, (e) => {
      if (e.kind === 'loaded') warnings = e.warnings;
      logEvent(ctx.log, e, method, runId);
    });
    writeRunJob(dir, runJob); // under the run's lock, which the worker holds (it reads the job from memory)
    const result = await outcomeStoppableByCtrlC(job, ctx.log, 'train').catch((e: unknown) => {
      discardRunWithoutCheckpoint(dir);
      throw e;
    });
    if (result.status === 'cancelled') {
      return { value: { status: 'cancelled', runId, checkpoint: result.checkpoint, step: result.step }, human: `cancelled at step ${result.step}; resume with --run-id ${runId}`, failure: `cancelled at step ${result.step} (resume with --run-id ${runId})` };
    }
    if (result.status !== 'done') throw new Error(`the training worker answered '${result.status}' to a training job`);
    const bytes = result.packBytes;
    writeFileAtomic(out, bytes);
    const value = {
      pack: out, bytes: bytes.length, method, base: baseId, runId, metrics: result.devMetrics, nonzeros: result.nonzeros, memory, ...(module ? { module } : {}),
      ...(result.projection ? { projection: { ...result.projection, effectiveSparsityBefore: result.projection.nonzeroBefore / result.projection.total } } : {}),
      steps: result.steps, trainSeconds: result.seconds, totalSeconds: (Date.now() - started) / 1000, ...(warnings.length ? { warnings } : {}),
    };
    writeFileAtomic(runResultPath(dir), `${JSON.stringify(value)}\n`);
    const nnz = result.nonzeros;
    return { value, human: `wrote ${out} (${bytes.length} bytes, ${nnz} nonzeros); dev ${JSON.stringify(result.devMetrics)}` };
  },
};

function logEvent(log: (line: string) => void, e: JobEvent, method: string, runId: string): void {
  if (e.kind === 'loaded') {
    log(`train: ${method} on ${e.trainRows} rows (dev ${e.devRows}), base ${e.baseId}, run ${runId}`);
    for (const w of e.warnings) log(`warning: ${w}`);
  }
  else if (e.kind === 'step' && (e.step % 10 === 0 || e.step === e.totalSteps)) {
    log(`  [${e.phase}] step ${e.step}/${e.totalSteps} epoch ${e.epoch + 1} loss ${e.loss.toFixed(4)} task ${e.taskLoss.toFixed(4)}${e.expectedL0 !== undefined ? ` E[L0] ${Math.round(e.expectedL0)}` : ''}${e.expectedNonzeros !== undefined ? ` E[nnz δ] ${Math.round(e.expectedNonzeros)}` : ''}${e.lambda !== undefined ? ` λ ${e.lambda.toExponential(2)}` : ''} lr ${e.lr.toExponential(2)} ${e.examplesPerSecond.toFixed(1)} ex/s ETA ${Math.round(e.etaSeconds)} s`);
  } else if (e.kind === 'eval') {
    log(`  [${e.phase}] dev at step ${e.step}: ${JSON.stringify(e.metrics)} (${e.nonzeros} nonzeros)`);
    // The gates' regime (gate-stats.ts; also in the run's gates.json).
    if (e.gates) log(`  [${e.phase}] gates at step ${e.step}: ${JSON.stringify({ sqrtV: e.gates.sqrtV, groupSqrtV: e.gates.groupSqrtV, tensors: e.gates.tensors })}`);
  }
  else if (e.kind === 'device') log(`  [${e.phase}] steps on ${e.provider}${e.fallback ? ` (${e.fallback})` : ''}, state on ${e.stateLocation}${e.fixedLocation ? `, frozen weights on ${e.fixedLocation}` : ''}, dev evaluation on ${e.evalProvider}`);
  else if (e.kind === 'checkpoint-damaged') log(`  ${e.checkpoint} is damaged (${e.error}); going on from the newest intact checkpoint`);
  else if (e.kind === 'projection') log(`  projection: ${e.nonzeroBefore} of ${e.total} nonzero before (effective sparsity ${(100 * e.effectiveSparsityBefore).toFixed(3)}%), kept ${e.nnz}${e.lambda !== undefined ? `, λ at the L0 phase's end ${e.lambda.toExponential(2)}` : ''}`);
}

/** A task's name when --name is left out: the file's name, or its folder's for a generic split name (GLUE's `RTE/train.tsv` is task RTE). */
export function defaultTaskName(trainPath: string): string {
  const file = basename(trainPath);
  const folder = basename(dirname(resolve(trainPath)));
  return /^(train|training|data)\.[a-z0-9]+$/i.test(file) && folder ? folder : file;
}
