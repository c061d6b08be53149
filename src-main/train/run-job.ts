/**
 * `<runDir>/job.json`: what a run was started with (data files, columns, config, base, task
 * name, provider), written when the run starts so later commands on the run (explore)
 * rebuild exactly its data and config. Paths are stored absolute.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { VALUE_ENCODINGS } from '../packs/values.js';
import { PROVIDER_NAMES, type ProviderName } from '../runtime/index.js';
import { writeFileAtomic } from '../durable/atomic.js';
import { isHoldDense, LAMBDA_SCHEDULES } from './lambda-schedule.js';
import type { TaskType } from '../model/base.js';
import { isGlueTask, type GlueTask } from '../data/glue-tasks.js';
import { MOMENT_TYPES } from './adamw.js';
import { CLIP_MODES, METHODS, PENALTY_SCALES } from './methods.js';
import { DEFAULT_CONFIG, GATE_SCHEDULES, MASK_STARTS, type TrainConfig } from './train-config.js';
import { STRUCTURED_PENALTIES } from './diff-params.js';
import { RECIPES, type Recipe } from './recipes.js';

export interface RunJob {
  baseId: string;
  trainPath: string;
  devPath?: string;
  /** Import options for the data files: columns, and a GLUE layout to read them with. */
  columns: { textCol?: string; pairCol?: string; labelCol?: string; glue?: GlueTask; taskType?: TaskType };
  config: TrainConfig;
  provider: ProviderName;
  taskName?: string;
  /** The named recipe the config started from (recipes.ts), before explicit options. */
  recipe?: Recipe;
}

const JOB_FORMAT = 1;

const positive = z.number().positive();
const configSchema = z.object({
  method: z.enum(METHODS), sparsity: positive.max(1), epochs: z.number().int().positive(), maxSteps: z.number().int().positive().optional(),
  seed: z.number().int().nonnegative(), batchSize: z.number().int().positive(), maxLength: z.number().int().positive(), lambda: z.number().nonnegative(),
  // Jobs written before λ had a schedule ran with a constant one.
  lambdaSchedule: z.enum(LAMBDA_SCHEDULES).default('constant'),
  holdDense: z.number().refine(isHoldDense).default(0),
  maskEpochs: z.number().int().positive().optional(),
  lr: z.object({ diff: positive, gates: positive, head: positive, base: positive, mask: positive.optional(), module: positive.optional() }),
  // Jobs written before these switches ran with today's defaults.
  gateSchedule: z.enum(GATE_SCHEDULES).default('shared'), penalty: z.enum(STRUCTURED_PENALTIES).default('product'),
  penaltyScale: z.enum(PENALTY_SCALES).default('none'),
  clip: z.enum(CLIP_MODES).default('global'), maskStart: z.enum(MASK_STARTS).default('sampled'),
  layerPenalty: z.array(z.number().nonnegative()).optional(),
  warmup: z.number().min(0).max(1), weightDecay: z.number().nonnegative(), alphaInit: z.number(), evalEvery: z.number().int().nonnegative(),
  valueEncoding: z.enum(VALUE_ENCODINGS),
  // Jobs written before float16 moments ran with float32 ones (and their checkpoints hold them).
  moments: z.enum(MOMENT_TYPES).default('float32'),
  // Jobs written before the module methods: their defaults (train-config.ts).
  rank: z.number().int().positive().default(DEFAULT_CONFIG.rank), loraAlpha: positive.default(DEFAULT_CONFIG.loraAlpha),
  loraTargets: z.enum(['qv', 'all']).default(DEFAULT_CONFIG.loraTargets), bottleneck: z.number().int().positive().optional(),
});
const jobSchema = z.object({
  format: z.literal(JOB_FORMAT), baseId: z.string(), trainPath: z.string(), devPath: z.string().optional(),
  columns: z.object({
    textCol: z.string().optional(), pairCol: z.string().optional(), labelCol: z.string().optional(),
    glue: z.string().refine(isGlueTask, 'not a GLUE task').optional(),
    taskType: z.enum(['classification', 'regression']).optional(),
  }),
  config: configSchema, provider: z.enum(PROVIDER_NAMES), taskName: z.string().optional(), recipe: z.enum(RECIPES).optional(),
});

export const runJobPath = (runDir: string) => join(runDir, 'job.json');
/** `<runDir>/result.json`: what a finished run made, written once its pack is out. */
export const runResultPath = (runDir: string) => join(runDir, 'result.json');

/** A finished run is never resumed: resuming would train again from an older checkpoint. */
export function refuseFinishedRun(runDir: string, runId: string, made: string): void {
  if (existsSync(runResultPath(runDir))) throw new Error(`run '${runId}' has finished (${made}); start a new run to train again`);
}

export function writeRunJob(runDir: string, job: RunJob): void {
  const stored = { format: JOB_FORMAT, ...job, trainPath: resolve(job.trainPath), ...(job.devPath !== undefined ? { devPath: resolve(job.devPath) } : {}) };
  writeFileAtomic(runJobPath(runDir), `${JSON.stringify(stored, null, 2)}\n`);
}

/** The run's job, or undefined when the run has no job.json. */
export function readRunJob(runDir: string): RunJob | undefined {
  const path = runJobPath(runDir);
  if (!existsSync(path)) return undefined;
  let raw: unknown;
  try { raw = JSON.parse(readFileSync(path, 'utf8')); } catch (e) { throw new Error(`${path} is not JSON: ${e instanceof Error ? e.message : String(e)}`); }
  const parsed = jobSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${path} is not a valid run job: ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`);
  const { format: _format, ...job } = parsed.data;
  return job;
}
