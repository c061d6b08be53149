/**
 * Packs of every kind predict through the app's paths (issue 27): PackPredictor (what
 * `taskpack infer` and `eval` run), the PackHost the app's worker serves, and that worker
 * itself, each equal within 1e-5 to the training graph's own forward — the base's task graph
 * with withModules(p, spec, m), LoRA computed in the graph as W + (α/r)·a·b, the module
 * tensors and the Houlsby LayerNorms (θ + δ) fed as inputs — and within 1e-4 of the same
 * graph in float64. Swapping the kinds back and forth on the one base gives the same bits.
 * Real packs too: the trainer's lora and adapter-houlsby runs, evaluated by `taskpack eval`.
 * Bases: the tiny BERT fixture (separate q, k, v weights) and the shipped USE-lite (a fused
 * QKV whose width changes from layer 0 to layer 1), so LoRA's merge into the q and v thirds
 * is checked against the graph's own padding of ΔW.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EXIT_OK, runCli } from '../../src-main/cli/run.js';
import * as g from '../../src-main/graph/index.js';
import type { Services } from '../../src-main/ipc/services.js';
import { softmax } from '../../src-main/infer/evaluate.js';
import { PackHost } from '../../src-main/infer/pack-host.js';
import { PackHostWorker } from '../../src-main/infer/pack-host-worker.js';
import { PackPredictor } from '../../src-main/infer/pack-inference.js';
import type { BaseModel, TaskSpec, TextRow } from '../../src-main/model/base.js';
import { withModules, type ModuleSpec } from '../../src-main/model/modules.js';
import { loadBase } from '../../src-main/model/registry.js';
import { paramInputs } from '../../src-main/model/param-inputs.js';
import { encodeModel } from '../../src-main/onnx/writer.js';
import { decodePack, encodePack } from '../../src-main/packs/codec.js';
import type { PackContent } from '../../src-main/packs/format.js';
import { mergeDense } from '../../src-main/packs/sparse.js';
import { PackStore } from '../../src-main/packs/store.js';
import { dequantize } from '../../src-main/packs/values.js';
import { openSession, type HostTensor } from '../../src-main/runtime/index.js';
import { moduleContent } from '../../support/pack-fixtures.js';
import { tinyBert, writeSyntheticSentiment } from '../../support/trainer-fixtures.js';
import { relErr } from '../support/ort-run.js';

const ROWS: TextRow[] = [{ text: 'the movie was great and fun' }, { text: 'an awful and boring plot' }, { text: 'it was a film' }];
const TASK: TaskSpec = { type: 'classification', outputs: 3, pair: false };
const SPECS: Record<string, ModuleSpec> = {
  lora: { kind: 'lora', rank: 4, alpha: 8, targets: 'qv' },
  'lora-all': { kind: 'lora', rank: 2, alpha: 2, targets: 'all' },
  houlsby: { kind: 'adapter', variant: 'houlsby', bottleneck: 4 },
  pfeiffer: { kind: 'adapter', variant: 'pfeiffer', bottleneck: 6 },
};

let home: string;
const packs: Record<string, { base: BaseModel; content: PackContent; bytes: Uint8Array }> = {};

before(() => {
  let base: BaseModel;
  ({ home, base } = tinyBert());
  const useLite = loadBase(home);
  const add = (name: string, on: BaseModel, spec: ModuleSpec, seed: number, scale: number) => {
    const content = moduleContent(spec, { base: on, headShapes: on.headShapes(TASK), seed, scale });
    packs[name] = { base: on, content, bytes: encodePack(content) };
  };
  Object.entries(SPECS).forEach(([name, spec], k) => add(name, base, spec, 50 + k, 0.5));
  add('use-lite lora', useLite, SPECS.lora, 60, 0.2);
  add('use-lite houlsby', useLite, SPECS.houlsby, 61, 0.2);
});
after(() => rmSync(home, { recursive: true, force: true }));

/** The training graph's forward for `content`: float32 on ORT's CPU, and float64 in the interpreter. */
async function trainingForward({ base, content }: { base: BaseModel; content: PackContent }, rows: readonly TextRow[]): Promise<{ f32: Float32Array; f64: Float64Array }> {
  const weights = mergeDense(base.weights, content); // θ + δ (Houlsby's LayerNorms) and the head
  for (const t of content.modules) weights.set(t.name, { dims: t.dims, data: dequantize(t.values) });
  const shapes = Object.fromEntries([...weights].map(([n, t]) => [n, [...t.dims]]));
  const params = paramInputs(shapes), inputs = base.inputs(TASK);
  const out = base.taskOutputs(withModules(params.p, content.module!, params.p), inputs, TASK);
  const tokens = base.encode(rows, TASK, content.task.maxLength);
  const feeds: Record<string, HostTensor> = { ...tokens };
  for (const t of params.created()) feeds[t.name!] = { dtype: 'float32', dims: [...weights.get(t.name!)!.dims], data: weights.get(t.name!)!.data };
  const session = await openSession(encodeModel(g.lower({ out }, { inputs: [...Object.values(inputs), ...params.created()], name: 'forward' })).bytes, { provider: 'cpu' });
  try {
    const f32 = (await session.run(feeds, ['out'])).out.data as Float32Array;
    const nd = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, { dtype: t.dtype as g.DType, shape: t.dims, data: t.data as g.NDArray['data'] }]));
    return { f32, f64: g.evaluate([out], nd)[0].data as Float64Array };
  } finally {
    await session.dispose();
  }
}

/** `taskpack …` in-process in the test's home: stdout parsed as JSON. */
async function cli(argv: string[]): Promise<unknown> {
  let stdout = '', stderr = '';
  const code = await runCli([...argv, '--json'], { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) }, { services: () => ({}) as Services, env: { TASKPACK_HOME: home } });
  assert.equal(code, EXIT_OK, stderr);
  return JSON.parse(stdout);
}

const probabilities = (scores: ArrayLike<number>) => ROWS.map((_, i) => softmax(Array.from(scores).slice(i * TASK.outputs, (i + 1) * TASK.outputs)));
const maxAbs = (a: number[][], b: number[][]) => Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i][j]))));

test('every kind through PackPredictor (the CLI\'s infer and eval) equals the training graph\'s forward within 1e-5', { timeout: 300_000 }, async () => {
  const seen: Float32Array[] = [];
  for (const [name, pack] of Object.entries(packs)) {
    const reference = await trainingForward(pack, ROWS);
    const model = await PackPredictor.open(home, pack.bytes);
    let scores: Float32Array;
    try {
      scores = await model.scores(ROWS);
    } finally {
      await model.dispose();
    }
    assert.ok(relErr(scores, reference.f32) < 1e-5, `${name}: PackPredictor vs the training forward (float32) ${relErr(scores, reference.f32)}`);
    assert.ok(relErr(scores, reference.f64) < 1e-4, `${name}: vs float64 ${relErr(scores, reference.f64)}`);
    seen.push(scores);
  }
  // The kinds answer differently, so the comparisons above can tell a pack's modules from none.
  for (let i = 1; i < seen.length; i++) assert.ok(relErr(seen[i], seen[0]) > 1e-3, `pack ${i} predicts as pack 0`);
  // The module matters: the same head on the bare base predicts otherwise.
  const { base, content } = packs.pfeiffer;
  const bare = await trainingForward({ base, content: { ...content, modules: content.modules.map((t) => ({ ...t, values: { encoding: 'float32', data: new Float32Array(t.values.data.length) } })) } }, ROWS);
  assert.ok(relErr(seen[3], bare.f32) > 1e-3, 'the Pfeiffer adapter changed nothing');
});

test('the app\'s pack host swaps every kind on one base: predictions equal the training forward, and the same bits after a round trip', { timeout: 300_000 }, async () => {
  const store = new PackStore(home);
  const ids = Object.fromEntries(Object.entries(packs).map(([name, p]) => [name, store.install(p.bytes).entry.id]));
  const host = new PackHost(home);
  try {
    const first: Record<string, number[][]> = {};
    for (const [name, id] of Object.entries(ids)) {
      const got = (await host.predict(id, ROWS)).predictions.map((p) => ('probabilities' in p ? p.probabilities : [p.score]));
      const want = probabilities((await trainingForward(packs[name], ROWS)).f32);
      assert.ok(maxAbs(got, want) < 1e-5, `${name}: pack host vs training forward ${maxAbs(got, want)}`);
      first[name] = got;
    }
    // Back through the kinds in the other order: the restores were bit-exact, so the answers are the same bits.
    for (const [name, id] of Object.entries(ids).reverse()) {
      assert.deepEqual((await host.predict(id, ROWS)).predictions.map((p) => ('probabilities' in p ? p.probabilities : [p.score])), first[name], name);
    }
  } finally {
    await host.dispose();
  }
  // The worker the app runs the host in: an adapter pack and a LoRA pack, one after the other.
  const worker = new PackHostWorker(home);
  try {
    for (const name of ['houlsby', 'use-lite lora']) {
      const got = (await worker.call({ op: 'predict', id: ids[name], rows: ROWS })).predictions.map((p) => ('probabilities' in p ? p.probabilities : [p.score]));
      const want = probabilities((await trainingForward(packs[name], ROWS)).f32);
      assert.ok(maxAbs(got, want) < 1e-5, `${name}: worker vs training forward ${maxAbs(got, want)}`);
    }
  } finally {
    await worker.close();
  }
});

test('`taskpack infer --pack` of a LoRA and an adapter pack: the training forward\'s probabilities within 1e-5', { timeout: 120_000 }, async () => {
  for (const name of ['use-lite lora', 'pfeiffer']) {
    const file = join(home, `${name.replace(' ', '-')}.taskpack`);
    writeFileSync(file, packs[name].bytes);
    const got = ((await cli(['infer', '--pack', file, '--text', ROWS[0].text])) as { scores: number[] }).scores;
    const want = probabilities((await trainingForward(packs[name], ROWS)).f32)[0];
    assert.ok(maxAbs([got], [want]) < 1e-5, `${name}: CLI ${got} vs ${want}`);
  }
});


test('packs the trainer wrote (lora, adapter-houlsby): the training forward within 1e-5, and `taskpack eval` gives the run\'s dev metrics', { timeout: 600_000 }, async () => {
  const train = writeSyntheticSentiment(home, 'train.tsv', 64, 1), dev = writeSyntheticSentiment(home, 'dev.tsv', 24, 2);
  const base = loadBase(home, 'tiny');
  for (const [method, extra] of [['lora', ['--rank', '4']], ['adapter-houlsby', ['--bottleneck', '4']]] as const) {
    const out = join(home, `${method}.taskpack`);
    await cli(['train', '--train', train, '--dev', dev, '--method', method, ...extra, '--base', 'tiny', '--epochs', '2', '--batch-size', '16', '--max-length', '16',
      '--lr-module', '1e-2', '--lr-head', '1e-2', '--values', 'float32', '--seed', '5', '--out', out]);
    const bytes = new Uint8Array(readFileSync(out));
    const content = decodePack(bytes, { base });
    assert.equal(content.kind, method === 'lora' ? 'lora' : 'adapter');
    const rows = ROWS.map((r) => ({ text: r.text }));
    const model = await PackPredictor.open(home, bytes);
    let scores: Float32Array;
    try {
      scores = await model.scores(rows);
    } finally {
      await model.dispose();
    }
    const reference = await trainingForward({ base, content }, rows);
    assert.ok(relErr(scores, reference.f32) < 1e-5, `${method}: ${relErr(scores, reference.f32)}`);
    const evaluated = await cli(['eval', '--pack', out, '--data', dev]) as { metrics: Record<string, number> };
    assert.deepEqual(evaluated.metrics, content.provenance.devMetrics, `${method}: eval of the pack vs the run's dev metrics`);
  }
});
