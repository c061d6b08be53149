/**
 * The USE-lite graph as the rest of the app uses it: symbolic batch/seq dims, padding that
 * changes nothing, weights fed as inputs (patched in place, no recompile), the single and
 * pair task heads against the embeddings they are defined on, WebGPU against the CPU, and
 * the CLI commands. Runs on the real shipped base (converted into a temporary home).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as g from '../../src-main/graph/index.js';
import { runCli } from '../../src-main/cli/run.js';
import { Embedder } from '../../src-main/infer/embed.js';
import type { TaskSpec } from '../../src-main/model/base.js';
import { paramInputs, weightFeeds } from '../../src-main/model/param-inputs.js';
import { loadBase } from '../../src-main/model/registry.js';
import { encodeModel } from '../../src-main/onnx/writer.js';
import { hostTensor, openSession } from '../../src-main/runtime/index.js';
import { Rng } from '../../src-main/util/rng.js';
import { fakeServices } from '../app/helpers.js';
import { webgpuSkipReason } from '../runtime/support.js';
import { maxAbsDiff } from '../../support/use-helpers.js';

const home = mkdtempSync(join(tmpdir(), 'use-model-'));
after(() => rmSync(home, { recursive: true, force: true }));
const base = loadBase(home);
const TEXTS = ['the film is a delight', 'a dull , lifeless movie .', '', 'Hello!', 'What is the capital of France? It is Paris, of course.'];

test('one compiled graph serves any batch and sequence length; padding changes nothing', async () => {
  const embedder = await Embedder.open(base, { batchSize: 64 });
  const together = await embedder.embed(TEXTS);
  for (let i = 0; i < TEXTS.length; i++) {
    const [alone] = await embedder.embed([TEXTS[i]]);
    assert.ok(maxAbsDiff(alone, together[i]) < 2e-6, `text ${i} alone vs padded in a batch`);
    const norm = Math.hypot(...alone);
    assert.ok(Math.abs(norm - 1) < 1e-5, `unit norm, got ${norm}`);
  }
  await embedder.dispose();
});

test('weights are graph inputs: patching a Float32Array in place changes the output, restoring restores it', async () => {
  const embedder = await Embedder.open(base);
  const [before] = await embedder.embed(['patch me']);
  const bias = base.weights.get('tanh.b')!.data;
  const saved = bias.slice();
  bias[0] += 5;
  try {
    const [patched] = await embedder.embed(['patch me']);
    assert.ok(maxAbsDiff(patched, before) > 1e-3, 'a patched weight must reach the output');
  } finally {
    bias.set(saved);
  }
  const [restored] = await embedder.embed(['patch me']);
  assert.deepEqual(restored, before);
  await embedder.dispose();
});

/** Task outputs on ORT with a random head, for the given task. */
async function taskLogits(task: TaskSpec, rows: { text: string; pair?: string }[], head: Record<string, Float32Array>) {
  const inputs = base.inputs(task);
  const shapes = { ...Object.fromEntries([...base.weights].map(([n, w]) => [n, [...w.dims]])), ...base.headShapes(task) };
  const params = paramInputs(shapes);
  const out = base.taskOutputs(params.p, inputs, task);
  const model = encodeModel(g.lower({ out }, { inputs: [...Object.values(inputs), ...params.created()] })).bytes;
  const session = await openSession(model, { provider: 'cpu' });
  const headFeeds = Object.fromEntries(Object.entries(head).map(([n, d]) => [n, hostTensor('float32', base.headShapes(task)[n], d)]));
  const result = await session.run({ ...base.encode(rows, task), ...weightFeeds(base.weights), ...headFeeds });
  await session.dispose();
  return result.out;
}

function randomHead(task: TaskSpec, seed: number): Record<string, Float32Array> {
  const rng = new Rng(seed);
  return Object.fromEntries(Object.entries(base.headShapes(task)).map(([n, dims]) => {
    const a = new Float32Array(dims.reduce((x, y) => x * y, 1));
    rng.fillNormal(a, 0.5);
    return [n, a];
  }));
}

/** x · W + b in float64. */
function dense(x: ArrayLike<number>, w: Float32Array, b: Float32Array): number[] {
  const out = b.length;
  return Array.from({ length: out }, (_, j) => {
    let s = b[j];
    for (let i = 0; i < x.length; i++) s += x[i] * w[i * out + j];
    return s;
  });
}

/** The head reads the embedding scaled by √d (use-lite.ts: unit vectors' elements are ~1/√d). */
const scaled = (e: Float32Array) => e.map((x) => x * Math.sqrt(512));

test('single-text head: logits = √d·embedding · W + b', async () => {
  const task: TaskSpec = { type: 'classification', outputs: 3, pair: false };
  assert.deepEqual(base.headShapes(task), { 'head.w': [512, 3], 'head.b': [3] });
  const head = randomHead(task, 1);
  const logits = await taskLogits(task, TEXTS.map((text) => ({ text })), head);
  const embedder = await Embedder.open(base);
  const u = (await embedder.embed(TEXTS)).map(scaled);
  await embedder.dispose();
  assert.deepEqual(logits.dims, [TEXTS.length, 3]);
  u.forEach((e, r) => assert.ok(maxAbsDiff(dense(e, head['head.w'], head['head.b']), (logits.data as Float32Array).slice(3 * r, 3 * r + 3)) < 1e-4));
});

test('pair head: each text encoded alone, head over [u, v, |u−v|, u∗v] of the √d-scaled embeddings', async () => {
  const task: TaskSpec = { type: 'regression', outputs: 1, pair: true };
  assert.deepEqual(base.headShapes(task), { 'head.w': [2048, 1], 'head.b': [1] });
  const rows = [{ text: TEXTS[0], pair: TEXTS[1] }, { text: TEXTS[3], pair: TEXTS[4] }, { text: TEXTS[2], pair: TEXTS[0] }];
  const head = randomHead(task, 2);
  const logits = await taskLogits(task, rows, head);
  const embedder = await Embedder.open(base);
  const [u, v] = [(await embedder.embed(rows.map((r) => r.text))).map(scaled), (await embedder.embed(rows.map((r) => r.pair))).map(scaled)];
  await embedder.dispose();
  rows.forEach((_, r) => {
    const f = [...u[r], ...v[r], ...u[r].map((x, i) => Math.abs(x - v[r][i])), ...u[r].map((x, i) => x * v[r][i])];
    assert.ok(Math.abs(dense(f, head['head.w'], head['head.b'])[0] - (logits.data as Float32Array)[r]) < 1e-4);
  });
  assert.throws(() => base.encode([{ text: 'no pair' }], task), /a pair task needs a second text/);
});

test('WebGPU (no CPU fallback) gives the CPU embeddings', async (t) => {
  const skip = await webgpuSkipReason();
  if (skip) return t.skip(skip);
  const gpu = await Embedder.open(base, { provider: 'webgpu', strictProvider: true });
  const cpu = await Embedder.open(base, { provider: 'cpu' });
  assert.equal(gpu.provider, 'webgpu');
  const [a, b] = [await gpu.embed(TEXTS), await cpu.embed(TEXTS)];
  const worst = Math.max(...a.map((e, i) => maxAbsDiff(e, b[i])));
  t.diagnostic(`max |webgpu − cpu| = ${worst.toExponential(2)}`);
  assert.ok(worst < 1e-5);
  await gpu.dispose();
  await cpu.dispose();
});

async function cli(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s) }, { services: () => fakeServices(), env: { TASKPACK_HOME: home } });
  return { code, stdout, stderr };
}

test('CLI: embed prints one JSON document {"embedding": [...]} equal to the service', async () => {
  const r = await cli(['embed', '--text', 'the film is a delight', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { embedding: number[] };
  assert.deepEqual(Object.keys(doc), ['embedding']);
  const embedder = await Embedder.open(base);
  const [want] = await embedder.embed(['the film is a delight']);
  await embedder.dispose();
  assert.ok(maxAbsDiff(doc.embedding, want) < 1e-6);
  assert.equal((await cli(['embed', '--json'])).code, 2);
  const unknown = await cli(['embed', '--text', 'x', '--base', 'nope', '--json']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no base 'nope' is installed/);
});

test('CLI: base list and info', async () => {
  const list = await cli(['base', 'list', '--json']);
  assert.equal(list.code, 0, list.stderr);
  const { bases } = JSON.parse(list.stdout) as { bases: { id: string; shipped: boolean; installed: boolean; fingerprint: string }[] };
  assert.equal(bases[0].id, 'use-lite-en');
  assert.equal(bases[0].fingerprint, base.fingerprint);
  const info = await cli(['base', 'info', 'use-lite-en', '--json']);
  const doc = JSON.parse(info.stdout) as { fingerprint: string; tensors: { name: string; dims: number[] }[]; parameters: number };
  assert.equal(doc.fingerprint, base.fingerprint);
  assert.deepEqual(doc.tensors.find((x) => x.name === 'l0.res.w')?.dims, [256, 512]);
  assert.equal((await cli(['base', 'frob'])).code, 2);
});
