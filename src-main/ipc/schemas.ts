/**
 * Runtime validation of every channel's arguments (the renderer is untrusted). The mapped
 * type ties each schema to the contract, so a schema that drifts from it fails to compile.
 */
import { z } from 'zod';
import type { ArgsOf, Channel } from './contract.js';
import { isGlueTask } from '../data/glue-tasks.js';
import { MAX_KEY_NAME } from '../packs/trust.js';
import { base64Length, MAX_COMPARE_RUNS, MAX_DATA_BYTES, MAX_INSTALL_BYTES, MAX_PREDICT_INPUTS, MAX_STORAGE_TASKS, MAX_TEXT_CHARS, MODEL_FORMATS, TRAIN_METHODS } from './contract.js';

// Strict: unknown keys are rejected rather than silently dropped.
const noArgs = z.strictObject({});
// An installed pack's id (16 hex digits) or a unique prefix of at least 4.
const packId = z.string().max(16).regex(/^[0-9a-f]{4,16}$/, 'expected a pack id (4 to 16 lowercase hex digits)');
const text = z.string().min(1, 'empty text').max(MAX_TEXT_CHARS);
const runId = z.string().max(100).regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/, 'expected a run id');
const base64Of = (maxBytes: number, what: string) => z.base64().max(base64Length(maxBytes), `${what} of at most ${maxBytes} bytes`);
const fileName = z.string().min(1).max(255);
const glueName = z.string().max(32).refine(isGlueTask, 'not a GLUE task name');
const baseId = z.string().max(64).regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'expected a base id (1–64 of a-z 0-9 . _ - starting with a letter or digit)');
export const UPLOAD_ID = /^[0-9a-f]{32}$/;
const uploadId = z.string().max(32).regex(UPLOAD_ID, 'expected an upload id (32 lowercase hex digits)');
const dataFile = z.strictObject({ fileName, data: base64Of(MAX_DATA_BYTES, 'a data file') });
const columnName = z.string().min(1).max(256).optional();
const dataChoices = {
  glue: glueName.optional(),
  taskType: z.enum(['classification', 'regression']).optional(),
  textCol: columnName, pairCol: columnName, labelCol: columnName,
};

// The wizard's choices that a comparison's runs share.
const trainShared = {
  ...dataChoices,
  taskName: z.string().trim().min(1, 'name the task').max(200),
  train: dataFile,
  dev: dataFile.optional(),
  epochs: z.number().int().min(1).max(100),
  seed: z.number().int().min(0).max(2 ** 31 - 1),
  baseId: baseId.optional(),
  provider: z.enum(['cpu', 'webgpu']).optional(),
};
// What differs between a comparison's runs: the method and its budget (one field per budget kind).
const methodBudget = {
  method: z.enum(TRAIN_METHODS),
  sparsity: z.number().gt(0).max(1),
  rank: z.number().int().min(1).max(1024).optional(),
  loraAlpha: z.number().gt(0).max(1e4).optional(),
  loraTargets: z.enum(['qv', 'all']).optional(),
  bottleneck: z.number().int().min(1).max(65536).optional(),
};

export const ARG_SCHEMAS: { readonly [C in Channel]: z.ZodType<ArgsOf<C>> } = {
  'app:info': noArgs,
  'system:doctor': noArgs,
  'packs:list': noArgs,
  'packs:install': z.strictObject({ fileName, data: base64Of(MAX_INSTALL_BYTES, 'a pack') }),
  'packs:uninstall': z.strictObject({ id: packId }),
  'packs:export': z.strictObject({ id: packId }),
  'packs:export-model': z.strictObject({ id: packId, format: z.enum(MODEL_FORMATS) }),
  'packs:activate': z.strictObject({ id: packId }),
  'packs:predict': z.strictObject({
    id: packId,
    inputs: z.array(z.strictObject({ text, pair: text.optional() })).min(1).max(MAX_PREDICT_INPUTS),
  }),
  'packs:evaluate': z.strictObject({ id: packId, file: dataFile, glue: glueName.optional() }),
  'packs:anatomy': z.strictObject({ id: packId }),
  'packs:compare': z.strictObject({ a: packId, b: packId }),
  'trust:get': noArgs,
  // A PEM block of an Ed25519 key is 113 characters; room for line-ending variants.
  'trust:add-key': z.strictObject({ name: z.string().trim().min(1, 'name the key').max(MAX_KEY_NAME), publicKey: z.string().min(1).max(400) }),
  'trust:remove-key': z.strictObject({ fingerprint: z.string().max(19).regex(/^[0-9a-f]{4}(:[0-9a-f]{4}){3}$/, 'expected a key fingerprint (four groups of 4 hex digits)') }),
  'trust:require-signature': z.strictObject({ required: z.boolean() }),
  'storage:compare': z.strictObject({ tasks: z.number().int().min(1).max(MAX_STORAGE_TASKS).optional() }),
  'bases:list': noArgs,
  'bases:import-upload': z.strictObject({ uploadId, id: baseId }),
  'bases:import-folder': z.strictObject({ id: baseId.optional() }),
  'bases:remove': z.strictObject({ id: baseId }),
  'data:inspect': z.strictObject({ file: dataFile, ...dataChoices }),
  'train:start': z.strictObject({ ...trainShared, ...methodBudget }),
  'train:status': z.strictObject({ runId, cursor: z.number().int().min(0).optional() }),
  'train:cancel': z.strictObject({ runId }),
  'train:resume': z.strictObject({ runId }),
  'train:remove': z.strictObject({ runId }),
  'train:list': noArgs,
  'train:explore': z.strictObject({
    runId,
    targets: z.array(z.number().gt(0).max(1)).min(1).max(8).refine((t) => new Set(t).size === t.length, 'targets repeat'),
    steps: z.number().int().min(1).max(100_000).optional(),
  }),
  'train:install-explored': z.strictObject({ runId, sparsity: z.number().gt(0).max(1) }),
  'train:compare': z.strictObject({
    ...trainShared,
    runs: z.array(z.strictObject(methodBudget)).min(2, 'tick at least two methods to compare').max(MAX_COMPARE_RUNS)
      .refine((runs) => new Set(runs.map((r) => JSON.stringify(r))).size === runs.length, 'a method is listed twice at one budget'),
  }),
  'train:compare-status': z.strictObject({ queueId: z.string().max(16).regex(/^[0-9a-f]{16}$/, 'expected a comparison id (16 lowercase hex digits)') }),
};

/** One line naming each failing path, e.g. `(args): Invalid input: expected object, received number`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(args)'}: ${issue.message}`)
    .join('; ');
}
