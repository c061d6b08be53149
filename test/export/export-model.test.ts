/**
 * `taskpack export-model` on real bases (the shipped USE-lite and the committed tiny BERT
 * fixture) with packs that touch every tensor:
 *  - ONNX: model.onnx loaded in a fresh onnxruntime-node session with Hugging Face input
 *    names (int64), its logits equal to the app's own inference within 1e-5;
 *  - safetensors: the Hugging Face folder read back by an independent reader (Python +
 *    numpy: struct-parsed safetensors, BERT's own WordPiece on the exported vocab.txt, a
 *    numpy forward pass; and bert_reference.py's PyTorch forward where python3-torch is
 *    installed), its logits equal to the app's;
 *  - refusals (a non-BERT base for safetensors, a non-empty folder without --force, a file
 *    as --out) that leave the disk as it was; --force replaces a folder whole.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, runCli } from '../../src-main/cli/run.js';
import { exportModel } from '../../src-main/export/export-model.js';
import type { Services } from '../../src-main/ipc/services.js';
import type { BaseModel } from '../../src-main/model/base.js';
import { loadBase } from '../../src-main/model/registry.js';
import { OPSET } from '../../src-main/onnx/opset.js';
import { ModelProto } from '../../src-main/onnx/proto.js';
import { PackStore } from '../../src-main/packs/store.js';
import { snapshotDir } from '../../support/pack-fixtures.js';
import { tinyBert } from '../../support/trainer-fixtures.js';
import { appScores, exportedLogits, hasPython, maxAbsDiff, packFor, pythonLogits, ROWS, type PackSpec } from '../../support/export-fixtures.js';

const SENTIMENT: PackSpec = { name: 'sentiment', type: 'classification', labels: ['negative', 'positive'], pair: false, encoding: 'float32', seed: 1 };
const NLI: PackSpec = { name: 'nli pairs', type: 'classification', labels: ['entailment', 'neutral', 'contradiction'], pair: true, encoding: 'int8', seed: 2 };
const STSB: PackSpec = { name: 'similarity', type: 'regression', labels: [], pair: true, encoding: 'float16', seed: 3 };

let home: string;
const ids: Record<string, string> = {};

before(() => {
  ({ home } = tinyBert(mkdtempSync(join(tmpdir(), 'taskpack-export-'))));
  const store = new PackStore(home);
  const install = (key: string, base: BaseModel, spec: PackSpec) => (ids[key] = store.install(packFor(base, spec)).entry.id);
  const bert = loadBase(home, 'tiny'), use = loadBase(home);
  install('bert-single', bert, SENTIMENT);
  install('bert-pair', bert, NLI);
  install('bert-regression', bert, STSB);
  install('use-single', use, SENTIMENT);
  install('use-pair', use, NLI);
});

const outDir = (name: string) => join(mkdtempSync(join(tmpdir(), 'taskpack-export-out-')), name);

for (const [key, want] of [
  ['bert-single', ['input_ids', 'attention_mask', 'token_type_ids']],
  ['bert-pair', ['input_ids', 'attention_mask', 'token_type_ids']],
  ['bert-regression', ['input_ids', 'attention_mask', 'token_type_ids']],
  ['use-single', ['input_ids', 'attention_mask']],
  ['use-pair', ['input_ids', 'attention_mask', 'pair_input_ids', 'pair_attention_mask']],
] as const) {
  test(`ONNX export (${key}): a fresh onnxruntime session gives the app's logits within 1e-5`, async () => {
    const dir = outDir(key);
    const result = exportModel(home, ids[key], 'onnx', dir);
    const { bytes } = new PackStore(home).read(ids[key]);
    const app = await appScores(home, bytes, ROWS);
    const got = await exportedLogits(dir, app.base, app.task, app.maxLength);
    assert.deepEqual(got.inputs, want);
    assert.deepEqual(result.inputs, want);
    assert.deepEqual(got.outputs, ['logits']);
    assert.equal(got.logits.length, ROWS.length * app.task.outputs);
    const diff = maxAbsDiff(got.logits, app.scores);
    assert.ok(diff <= 1e-5, `max |Δlogit| ${diff}`);
    console.log(`# ${key}: max |Δlogit| ${diff.toExponential(2)} over logits up to ${Math.max(...app.scores.map(Math.abs)).toFixed(3)}`);
    // The weights are in the file (no weight inputs), at the app's own opset.
    const model = ModelProto.decode(readFileSync(join(dir, 'model.onnx'))) as unknown as { opset_import: { domain?: string; version: number | { toNumber(): number } }[] };
    const opset = model.opset_import.find((o) => !o.domain)!.version;
    assert.equal(typeof opset === 'number' ? opset : opset.toNumber(), OPSET);
    const files = readdirSync(dir).sort();
    const tokenizer = key.startsWith('bert') ? ['special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt'] : ['tokenizer.json', 'tokenizer_config.json'];
    assert.deepEqual(files, ['checksums.json', 'config.json', 'model.onnx', ...tokenizer].sort());
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    const labels = app.task.type === 'regression' ? ['LABEL_0'] : new PackStore(home).read(ids[key]).content.task.labels;
    assert.deepEqual(config.id2label, Object.fromEntries(labels.map((l, i) => [String(i), l])));
  });
}

for (const engine of ['numpy', 'torch'] as const) {
  for (const key of ['bert-single', 'bert-pair', 'bert-regression']) {
    const skip = !hasPython('numpy') ? 'python3 with numpy is not installed: the independent safetensors reader needs it'
      : engine === 'torch' && !hasPython('torch') ? "python3-torch is not installed (apt-get install -y python3-torch): the PyTorch reference BERT is skipped; the numpy reader still runs" : false;
    test(`safetensors export (${key}) read back by Python (${engine}): the app's logits`, { skip }, async () => {
      const dir = outDir(key);
      exportModel(home, ids[key], 'safetensors', dir);
      const { bytes, content } = new PackStore(home).read(ids[key]);
      const app = await appScores(home, bytes, ROWS);
      const py = pythonLogits(dir, engine, app.maxLength, app.task.pair);
      // The exported tokenizer files tokenise as the app does.
      const feeds = app.base.encode(ROWS, app.task, app.maxLength);
      const seq = feeds.ids.dims[1];
      py.ids.forEach((row, i) => assert.deepEqual(row, [...(feeds.ids.data as Int32Array).subarray(i * seq, i * seq + row.length)]));
      assert.deepEqual(py.labels, app.task.type === 'regression' ? ['LABEL_0'] : content.task.labels);
      const diff = maxAbsDiff(py.logits.flat(), app.scores);
      assert.ok(diff <= 1e-4, `max |Δlogit| ${diff} (float64 reference vs the app's float32)`);
      console.log(`# ${key} (${engine}): max |Δlogit| ${diff.toExponential(2)}`);
    });
  }
}

test('safetensors export of a pack on a non-BERT base is refused, nothing written', () => {
  const dir = outDir('use');
  assert.throws(() => exportModel(home, ids['use-single'], 'safetensors', dir), /base 'use-lite-en' is use-lite: safetensors export writes Hugging Face BERT folders only \(export it as ONNX\)/);
  assert.equal(existsSync(dir), false);
  assert.deepEqual(readdirSync(join(dir, '..')), []);
});

test('export-model on the CLI: a non-empty folder is refused without --force and replaced whole with it; a file as --out and bad usage are refused', async () => {
  const run = async (...argv: string[]) => {
    let stdout = '', stderr = '';
    const code = await runCli(['export-model', ...argv], { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) }, { services: () => ({}) as Services, env: { TASKPACK_HOME: home } });
    return { code, stdout, stderr };
  };
  const dir = outDir('cli');
  mkdirSync(dir);
  writeFileSync(join(dir, 'keep.txt'), 'mine');
  const refused = await run(ids['bert-single'], '--format', 'safetensors', '--out', dir);
  assert.equal(refused.code, EXIT_FAILED);
  assert.match(refused.stderr, /is not empty \(pass --force to replace it\)/);
  assert.deepEqual(snapshotDir(dir), { 'keep.txt': Buffer.from('mine').toString('base64') }, 'the folder is as it was');

  const forced = await run(ids['bert-single'], '--format', 'safetensors', '--out', dir, '--force', '--json');
  assert.equal(forced.code, EXIT_OK, forced.stderr);
  const value = JSON.parse(forced.stdout);
  assert.equal(value.format, 'safetensors');
  assert.deepEqual(value.files.map((f: { name: string }) => f.name).sort(), ['config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
  assert.deepEqual(readdirSync(dir).sort(), ['checksums.json', 'config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
  assert.deepEqual(readdirSync(join(dir, '..')), ['cli'], 'no temp or old folder left beside it');

  const file = join(dir, 'config.json');
  const onFile = await run(ids['bert-single'], '--format', 'onnx', '--out', file);
  assert.equal(onFile.code, EXIT_FAILED);
  assert.match(onFile.stderr, /config\.json exists and is not a directory/);
  assert.equal((await run(ids['bert-single'], '--format', 'pt', '--out', dir)).code, EXIT_USAGE);
  assert.equal((await run(ids['bert-single'], '--format', 'onnx')).code, EXIT_USAGE);
  const unknown = await run('ffffffff', '--format', 'onnx', '--out', outDir('x'));
  assert.equal(unknown.code, EXIT_FAILED);
  assert.match(unknown.stderr, /no installed pack 'ffffffff'/);
});
