/**
 * Task packs over real bases for the export tests: a sparse diff touching every tensor of
 * the base (a few positions each, moved well off θ) and a random dense head, so a wrong
 * name, layout or missing δ anywhere changes the logits; and the app's own logits for a
 * pack (PackPredictor, what `taskpack infer` runs); the exported model's logits in a fresh
 * onnxruntime session, and an exported Hugging Face folder's through Python (hf_classify.py).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { BaseModel, TaskSpec, TextRow } from '../src-main/model/base.js';
import { encodePack } from '../src-main/packs/codec.js';
import { sparseDiffFromDense } from '../src-main/packs/sparse.js';
import type { ValueEncoding } from '../src-main/packs/values.js';
import { projectRoot } from '../src-main/paths.js';
import { ort } from '../src-main/runtime/ort.js';
import { PackPredictor } from '../src-main/infer/pack-inference.js';
import { Rng } from '../src-main/util/rng.js';
import { perturb } from './pack-fixtures.js';

export interface PackSpec {
  name: string;
  type: 'classification' | 'regression';
  labels: string[];
  pair: boolean;
  encoding: ValueEncoding;
  seed: number;
}

export const taskOf = (s: PackSpec): TaskSpec => ({ type: s.type, outputs: s.type === 'regression' ? 1 : s.labels.length, pair: s.pair });

export function packFor(base: BaseModel, s: PackSpec): Uint8Array {
  const rng = new Rng(s.seed);
  const picks = Object.fromEntries([...base.weights].map(([n, t]) => [n, Math.min(24, t.data.length)]));
  const { diffs } = sparseDiffFromDense(base.weights, perturb(base.weights, rng, picks, 0.4), { encoding: s.encoding });
  // Uniform ±1/√fan-in, as a linear layer is initialised: logits of a trained head's size.
  const heads = base.headShapes(taskOf(s)), bound = 1 / Math.sqrt(heads['head.w'][0]);
  const dense = Object.entries(heads).map(([name, dims]) => ({
    name, dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (2 * rng.uniform() - 1) * bound),
  }));
  return encodePack({
    base: { id: base.id, fingerprint: base.fingerprint },
    task: {
      name: s.name, description: 'export test', type: s.type, labels: s.labels, inputColumns: s.pair ? ['sentence1', 'sentence2'] : ['sentence'],
      maxLength: 32, tokenizer: `${base.id}/tokenizer.json`, appVersion: '0.1.0', createdAt: '2026-12-06T00:00:00.000Z',
    },
    provenance: { method: 'diff', hyperParameters: { seed: s.seed }, trainingData: '0'.repeat(64), devMetrics: {} },
    kind: 'diff', diffs, modules: [], dense,
  });
}

export const ROWS: TextRow[] = [
  { text: 'The movie was great, and the plot was fun!', pair: 'A fun film with a great plot.' },
  { text: 'an awful, boring film', pair: 'It was not good at all; the worst plot this year.' },
  { text: 'ok', pair: 'fine' },
];

/** The app's own scores (what `taskpack infer` computes) for `rows`, row by row. */
export async function appScores(home: string, bytes: Uint8Array, rows: readonly TextRow[]): Promise<{ scores: Float32Array; maxLength: number; base: BaseModel; task: TaskSpec }> {
  const model = await PackPredictor.open(home, bytes);
  try {
    return { scores: await model.scores(rows), maxLength: Math.min(model.content.task.maxLength, model.base.maxLength), base: model.base, task: model.task };
  } finally {
    await model.dispose();
  }
}

export const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** Hugging Face input → the app graph's feed it carries. */
const SOURCES: Record<string, string> = { input_ids: 'ids', attention_mask: 'mask', token_type_ids: 'typeIds', pair_input_ids: 'pair_ids', pair_attention_mask: 'pair_mask' };

/** The exported model's logits in a fresh session, fed int64 tensors from the base's own tokenizer. */
export async function exportedLogits(dir: string, base: BaseModel, task: TaskSpec, maxLength: number): Promise<{ logits: Float32Array; inputs: readonly string[]; outputs: readonly string[] }> {
  const feeds = base.encode(ROWS, task, maxLength);
  const session = await ort.InferenceSession.create(join(dir, 'model.onnx'), { executionProviders: ['cpu'] });
  try {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const name of session.inputNames) {
      const f = feeds[SOURCES[name]];
      ortFeeds[name] = new ort.Tensor('int64', BigInt64Array.from(f.data as ArrayLike<number>, (v) => BigInt(v)), f.dims);
    }
    const out = await session.run(ortFeeds);
    return { logits: out.logits.data as Float32Array, inputs: session.inputNames, outputs: session.outputNames };
  } finally {
    await session.release();
  }
}

export const hasPython = (module: string) => spawnSync('python3', ['-c', `import ${module}`]).status === 0;

export function pythonLogits(dir: string, engine: 'numpy' | 'torch', maxLength: number, pair: boolean): { labels: string[]; ids: number[][]; logits: number[][] } {
  const r = spawnSync('python3', [join(projectRoot(), 'test', 'reference', 'hf_classify.py'), '--engine', engine], {
    input: JSON.stringify({ folder: dir, max_length: maxLength, rows: pair ? ROWS : ROWS.map(({ text }) => ({ text })) }), encoding: 'utf8', maxBuffer: 1 << 26,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}
