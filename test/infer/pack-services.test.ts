/**
 * The app's pack services on real packs: two packs trained on the tiny BERT fixture,
 * installed through the services the IPC handlers call, swapped on the one base in the
 * pack-host worker, predicting exactly what the CLI's own path (PackPredictor) predicts;
 * a bad file refused without touching the store; uninstalling the active pack; the base
 * restored bit for bit when a pack is dropped; the storage comparison over the store; a
 * pack-host worker that dies comes back on the next call.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { createAppServices } from '../../src-main/app-services.js';
import { EXIT_OK, runCli } from '../../src-main/cli/run.js';
import { PackHost } from '../../src-main/infer/pack-host.js';
import { PackHostWorker } from '../../src-main/infer/pack-host-worker.js';
import type { Services } from '../../src-main/ipc/services.js';
import { loadBase } from '../../src-main/model/registry.js';
import { packsDir, PackStore } from '../../src-main/packs/store.js';
import { softmax } from '../../src-main/infer/evaluate.js';
import { PackPredictor } from '../../src-main/infer/pack-inference.js';
import { snapshotDir } from '../../support/pack-fixtures.js';
import { tinyBert, writeSyntheticSentiment } from '../../support/trainer-fixtures.js';

const ROWS = [
  { text: 'the movie was great and fun' },
  { text: 'an awful and boring plot' },
  { text: 'it was a film' },
];

let home: string;
const packs: Uint8Array[] = [];

async function cliJson(argv: string[]): Promise<unknown> {
  let stdout = '', stderr = '';
  const code = await runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) }, { services: () => ({}) as Services, env: { TASKPACK_HOME: home } });
  assert.equal(code, EXIT_OK, stderr);
  return JSON.parse(stdout);
}

async function train(method: string, out: string): Promise<Uint8Array> {
  const data = writeSyntheticSentiment(home, 'train.tsv', 96, 1), dev = writeSyntheticSentiment(home, 'dev.tsv', 16, 2);
  let stderr = '';
  const code = await runCli(['train', '--train', data, '--dev', dev, '--method', method, '--base', 'tiny', '--epochs', '1', '--batch-size', '16',
    '--max-length', '16', '--lr-diff', '1e-2', '--lr-head', '1e-2', '--lr-base', '1e-2', '--seed', '3', '--out', out],
  { stdout: () => {}, stderr: (t) => void (stderr += t) }, { services: () => ({}) as Services, env: { TASKPACK_HOME: home } });
  assert.equal(code, EXIT_OK, stderr);
  return new Uint8Array(readFileSync(out));
}

/** What `taskpack infer` computes for these rows: class probabilities per row. */
async function cliProbabilities(bytes: Uint8Array): Promise<number[][]> {
  const model = await PackPredictor.open(home, bytes);
  try {
    const scores = await model.scores(ROWS), k = model.task.outputs;
    return ROWS.map((_, i) => softmax(scores.subarray(i * k, (i + 1) * k)));
  } finally {
    await model.dispose();
  }
}

before(async () => {
  ({ home } = tinyBert());
  packs.push(await train('diff-structured', join(home, 'a.taskpack')), await train('bitfit', join(home, 'b.taskpack')));
});

test('app services: install, swap and predict with real packs; bad files change nothing; uninstall the active pack', { timeout: 300_000 }, async () => {
  const services = createAppServices(home);
  assert.deepEqual(await services.listPacks(), { packs: [], active: null });

  const a = await services.installPack('a.taskpack', packs[0]);
  const b = await services.installPack('b.taskpack', packs[1]);
  assert.equal(a.alreadyInstalled, false);
  assert.deepEqual([a.pack.method, b.pack.method, a.pack.baseId], ['diff-structured', 'bitfit', 'tiny']);
  assert.equal(a.pack.bytes, packs[0].length);
  assert.equal((await services.installPack('again.taskpack', packs[0])).alreadyInstalled, true);
  const exported = await services.exportPack(b.pack.id);
  assert.deepEqual([exported.fileName, Buffer.from(exported.bytes).equals(Buffer.from(packs[1]))], ['train.tsv.taskpack', true]);

  // A truncated copy and a file that is not a pack: specific errors, the store byte for byte as before.
  const before = snapshotDir(packsDir(home));
  await assert.rejects(services.installPack('cut.taskpack', packs[0].subarray(0, packs[0].length - 9)), /cut\.taskpack is not a usable task pack: .*(TRUNCATED|INTEGRITY|truncated|digest)/i);
  await assert.rejects(services.installPack('notes.txt', new TextEncoder().encode('hello')), /notes\.txt is not a usable task pack/);
  assert.deepEqual(snapshotDir(packsDir(home)), before);

  const first = await services.activatePack(a.pack.id);
  assert.equal(first.loaded, true);
  assert.ok(first.swapMs >= 0);
  assert.equal((await services.activatePack(a.pack.id.slice(0, 6))).loaded, false, 'a prefix finds it; prepared once');
  assert.equal((await services.listPacks()).active, a.pack.id);

  const expectA = await cliProbabilities(packs[0]), expectB = await cliProbabilities(packs[1]);
  const predictA = await services.predict(a.pack.id, ROWS);
  assert.deepEqual(predictA.labels, ['0', '1']);
  const probs = (r: typeof predictA) => r.predictions.map((p) => ('probabilities' in p ? p.probabilities : [p.score]));
  const close = (x: number[][], y: number[][]) => x.every((row, i) => row.every((v, j) => Math.abs(v - y[i][j]) < 1e-6));
  assert.ok(close(probs(predictA), expectA), `services ${JSON.stringify(probs(predictA))} vs CLI ${JSON.stringify(expectA)}`);
  predictA.predictions.forEach((p, i) => assert.equal('label' in p && p.label, ['0', '1'][expectA[i].indexOf(Math.max(...expectA[i]))]));

  // Swap to B (predict activates it) and back: A's answers are the same bits again.
  const predictB = await services.predict(b.pack.id, ROWS);
  assert.ok(close(probs(predictB), expectB));
  assert.ok(!close(probs(predictB), expectA), 'the two packs answer differently');
  assert.equal((await services.listPacks()).active, b.pack.id);
  assert.deepEqual(probs(await services.predict(a.pack.id, ROWS)), probs(predictA));

  await assert.rejects(services.predict(a.pack.id, [{ text: 'x', pair: 'y' }]), /reads single texts/);

  // The wizard's preview of a data file, read in the worker.
  const preview = await services.inspectData({ fileName: 'eval.tsv', bytes: new Uint8Array(readFileSync(writeSyntheticSentiment(home, 'eval.tsv', 24, 9))) }, {});
  assert.deepEqual([preview.rows, preview.chosen, preview.labels, preview.counts], [24, { text: 'sentence', pair: null, label: 'label' }, ['0', '1'], { 0: 12, 1: 12 }]);

  // Evaluate on a labelled file the user picked: the metrics `taskpack eval` gives for it.
  const dev = writeSyntheticSentiment(home, 'eval.tsv', 24, 9);
  const evaluated = await services.evaluatePack(a.pack.id, { fileName: 'eval.tsv', bytes: new Uint8Array(readFileSync(dev)) });
  const cliEval = await cliJson(['eval', '--pack', join(home, 'a.taskpack'), '--data', dev, '--json']);
  assert.deepEqual({ metrics: evaluated.metrics, n: evaluated.n }, cliEval);
  await assert.rejects(services.evaluatePack(a.pack.id, { fileName: 'my data.tsv', bytes: new TextEncoder().encode('sentence\tlabel\ngood\t1\nno label\n') }),
    /^Error: my data\.tsv:3: expected 2 tab-separated columns/);

  // Storage over what is installed: 2 measured packs, 5 tasks extrapolated at their mean.
  const storage = await services.compareStorage(5);
  assert.equal(storage.tasks, 5);
  assert.equal(storage.extrapolated, true);
  assert.deepEqual(storage.packs.map((p) => p.bytes), [packs[0].length, packs[1].length]);
  const packRow = storage.options[0], full = storage.options.find((o) => o.method === 'full copies')!;
  assert.equal(packRow.totalBytes, storage.base.bytes + 5 * (packs[0].length + packs[1].length) / 2);
  assert.ok(full.ratioToPacks! > 1, 'full copies cost more than packs');

  // Uninstalling the active pack restores the base first; B still works after.
  const removed = await services.uninstallPack(a.pack.id);
  assert.equal(removed.id, a.pack.id);
  assert.deepEqual(await services.listPacks(), { packs: [b.pack], active: null });
  await assert.rejects(services.predict(a.pack.id, ROWS), /no installed pack/);
  assert.ok(close(probs(await services.predict(b.pack.id, ROWS)), expectB));
  assert.deepEqual(new PackStore(home).list().map((p) => p.id), [b.pack.id]);
});

test('PackHost: swapping and forgetting restore the base bit for bit', { timeout: 120_000 }, async () => {
  const store = new PackStore(home);
  const ids = packs.map((bytes) => store.install(bytes).entry.id);
  const host = new PackHost(home);
  const pristine = loadBase(home, 'tiny').weights;
  const base = () => (host as unknown as { base: { model: { weights: typeof pristine } } }).base.model.weights;
  const bits = (w: typeof pristine) => new Map([...w].map(([n, t]) => [n, Buffer.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length).slice().buffer).toString('base64')]));
  try {
    await host.activate(ids[0]);
    assert.notDeepEqual(bits(base()), bits(pristine), 'the diff-structured pack patches the base');
    await host.activate(ids[1]);
    await host.activate(ids[0]);
    host.forget(ids[0]);
    assert.equal(host.active, null);
    assert.deepEqual(bits(base()), bits(pristine));
  } finally {
    await host.dispose();
  }
});

test('a pack-host worker that dies fails its calls with the reason and is back on the next call', { timeout: 120_000 }, async () => {
  const id = new PackStore(home).install(packs[1]).entry.id;
  const host = new PackHostWorker(home);
  try {
    const expected = await host.call({ op: 'predict', id, rows: ROWS });
    const crashing = (host as unknown as { worker: Worker }).worker;
    // A large file's preview keeps the worker busy in JavaScript (stopping a thread inside an
    // ONNX Runtime call would abort the whole test process).
    const lines = Array.from({ length: 100_000 }, (_, i) => `review number ${i} of a long list\t${i % 2}`);
    const pending = host.call({ op: 'inspect', fileName: 'big.tsv', bytes: new TextEncoder().encode(`sentence\tlabel\n${lines.join('\n')}\n`), choices: {} });
    await crashing.terminate(); // the 'exit' event a crash (out of memory) gives
    await assert.rejects(pending, /the pack host stopped \(exit code 1\); it restarts on the next call, with no pack active/);
    assert.equal(host.lastCrash?.message.startsWith('the pack host stopped'), true);
    assert.equal(await host.call({ op: 'active' }), null, 'a fresh worker, no pack active');
    assert.deepEqual((await host.call({ op: 'predict', id, rows: ROWS })).predictions, expected.predictions);
  } finally {
    await host.close();
  }
});
