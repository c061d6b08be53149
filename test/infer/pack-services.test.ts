/**
 * The app's pack services on real packs: two packs trained on the tiny BERT fixture,
 * installed through the services the IPC handlers call, swapped on the one base in the
 * pack-host worker, predicting exactly what the CLI's own path (PackPredictor) predicts;
 * a bad file refused without touching the store; uninstalling the active pack; the base
 * restored bit for bit when a pack is dropped; the storage comparison over the store; a
 * pack-host worker that dies comes back on the next call; anatomy, overlap and trust.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { before, test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { createAppServices } from '../../src-main/app-services.js';
import { EXIT_OK, runCli } from '../../src-main/cli/run.js';
import { PackHost } from '../../src-main/infer/pack-host.js';
import { PackHostWorker } from '../../src-main/infer/pack-host-worker.js';
import type { Services } from '../../src-main/ipc/services.js';
import type { BertBase } from '../../src-main/model/bert/model.js';
import { loadBase } from '../../src-main/model/registry.js';
import { decodePack, encodePack, rawPublicKey } from '../../src-main/packs/codec.js';
import { packsDir, PackStore } from '../../src-main/packs/store.js';
import { keyFingerprint } from '../../src-main/packs/trust.js';
import { softmax } from '../../src-main/infer/evaluate.js';
import { glueMetrics } from '../../src-main/data/metrics.js';
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
  assert.deepEqual([exported.fileName, Buffer.from(exported.bytes).equals(Buffer.from(packs[1]))], [`${basename(home)}.taskpack`, true], 'named after the task, which the CLI named after the folder of train.tsv');

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

  // Storage over what is installed (through the worker): one task, its two packs measured, the rest estimated.
  const storage = await services.compareStorage(5);
  assert.equal(storage.tasks, 5);
  const [task] = storage.groups;
  assert.equal(storage.groups.length, 1);
  const measured = task.points.filter((p) => !p.estimated);
  assert.deepEqual(measured.map((p) => [p.packId, p.bytesPerTask, p.totalBytes]).sort(), [a.pack, b.pack].map((p) => [p.id, p.bytes, task.base.bytes + 5 * p.bytes]).sort());
  const full = task.points.find((p) => p.method === 'full')!;
  assert.equal(full.estimated, true);
  assert.ok(measured.every((p) => p.totalBytes < full.totalBytes), 'full copies cost more than packs');

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

test('app services on real packs: anatomy, overlap, signature states under changing trust, evaluate with a GLUE layout', { timeout: 300_000 }, async (t) => {
  const services = createAppServices(home);
  t.after(async () => {
    rmSync(join(packsDir(home), 'trusted-keys.json'), { force: true });
    await services.close?.();
  });
  const a = (await services.installPack('a.taskpack', packs[0])).pack, b = (await services.installPack('b.taskpack', packs[1])).pack;

  // Anatomy over the installed tiny BERT: every row and kind of the encoder, counts adding up to the pack's nonzeros.
  const anatomy = await services.packAnatomy(a.id);
  const { config } = loadBase(home, 'tiny') as BertBase;
  assert.deepEqual(anatomy.rows, ['embeddings', ...Array.from({ length: config.layers }, (_, l) => `layer ${l}`), 'pooler']);
  assert.deepEqual(anatomy.kinds.map((k) => k.kind), ['embeddings', 'attn.q', 'attn.k', 'attn.v', 'attn.out', 'ffn.in', 'ffn.out', 'pooler', 'layer-norm', 'bias']);
  assert.equal(anatomy.nonzeros, a.nnz);
  assert.equal(anatomy.counts.flat().reduce((x, y) => x + y, 0), a.nnz);
  assert.deepEqual(anatomy.head, { tensors: 2, parameters: config.hidden * 2 + 2 });
  // BitFit changes biases (and layer norms) only.
  const bitfit = await services.packAnatomy(b.id);
  const onlyIn = (an: typeof bitfit, kinds: string[]) => an.counts.every((row) => row.every((n, k) => n === 0 || kinds.includes(an.kinds[k].kind)));
  assert.ok(onlyIn(bitfit, ['bias', 'layer-norm']) && bitfit.nonzeros > 0);

  // Overlap: against itself everything; the two methods share only bias positions.
  assert.deepEqual(pick(await services.comparePacks(a.id, a.id)), { shared: a.nnz, union: a.nnz, jaccard: 1 });
  const o = await services.comparePacks(a.id, b.id);
  assert.deepEqual(o.nonzeros, [a.nnz, b.nnz]);
  assert.equal(o.union, a.nnz + b.nnz - o.shared);
  assert.equal(o.jaccard, o.shared / o.union);
  assert.equal(o.byRow.reduce((n, r) => n + r.shared, 0), o.shared);
  assert.ok(o.byKind.every((k) => k.shared === 0 || ['bias', 'layer-norm'].includes(k.kind)));

  // Signature states: a signed copy of A is 'unchecked' without a trusted-keys list, 'trusted' with its key, 'untrusted' once it is removed.
  const key = generateKeyPairSync('ed25519');
  const renamed = (bytes: Uint8Array, name: string) => { const c = decodePack(bytes); return { ...c, task: { ...c.task, name } }; };
  const signed = (await services.installPack('signed.taskpack', encodePack(renamed(packs[0], 'signed copy'), { signWith: key.privateKey }))).pack;
  const publicKey = Buffer.from(rawPublicKey(key.publicKey)).toString('base64');
  const state = async () => (await services.listPacks()).packs.find((p) => p.id === signed.id)!;
  assert.deepEqual([signed.signature, signed.signer], ['unchecked', { fingerprint: keyFingerprint(publicKey), name: null }]);
  assert.equal((await state()).signature, 'unchecked');
  const added = await services.addTrustedKey('release key', publicKey);
  assert.deepEqual(added.keys.map((k) => [k.name, k.fingerprint]), [['release key', keyFingerprint(publicKey)]]);
  assert.deepEqual([(await state()).signature, (await state()).signer?.name], ['trusted', 'release key']);
  assert.equal((await services.listPacks()).packs.find((p) => p.id === a.id)!.signature, 'unsigned');
  await services.removeTrustedKey(keyFingerprint(publicKey));
  assert.equal((await state()).signature, 'untrusted');
  assert.equal((await services.requireSignature(true)).requireSignature, true);
  await assert.rejects(services.installPack('c.taskpack', encodePack(renamed(packs[1], 'other'))), /not signed and a signature is required/);
  await services.requireSignature(false);

  // Evaluate with a GLUE layout: CoLA's header-less 4 columns, read as CoLA, scored with CoLA's metric on the pack's predictions.
  const rows = readFileSync(writeSyntheticSentiment(home, 'eval.tsv', 24, 9), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  const cola = new TextEncoder().encode(rows.map(([text, label]) => `src\t${label}\t*\t${text}`).join('\n') + '\n');
  const evaluated = await services.evaluatePack(a.id, { fileName: 'cola.tsv', bytes: cola }, 'CoLA');
  const predicted = (await services.predict(a.id, rows.map(([text]) => ({ text })))).predictions.map((p) => Number('label' in p && p.label));
  assert.deepEqual(evaluated, { id: a.id, n: 24, metrics: glueMetrics('CoLA', Float64Array.from(predicted), Float64Array.from(rows, ([, l]) => Number(l))) });
});

const pick = ({ shared, union, jaccard }: { shared: number; union: number; jaccard: number }) => ({ shared, union, jaccard });
