/**
 * The shipped base's conversion into the canonical store: once, atomically, idempotently;
 * damaged model files give specific errors and write nothing; the registry lists the
 * shipped base first; the architecture dispatch refuses what it cannot load.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Architecture } from '../../src-main/model/base.js';
import { basesDir, loadStoredBase, saveBase } from '../../src-main/model/base-store.js';
import { baseFromStored } from '../../src-main/model/load-base.js';
import { ensureShippedBase, installUseLite, listBases, loadBase } from '../../src-main/model/registry.js';
import { useModelDir } from '../../support/use-helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'use-convert-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;
const freshDir = (name: string) => join(scratch, `${name}-${n++}`);

/** A copy of the package's dist/ (shards linked, not copied) that a test may damage. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function modelCopy(edit: { modelJson?: (j: Json) => void; dropShard?: string; truncateShard?: string; vocab?: string } = {}): { model: string; vocab: string } {
  const src = useModelDir();
  const dir = freshDir('model');
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(src).filter((f) => f.startsWith('group1-shard'))) {
    if (f === edit.dropShard) continue;
    if (f === edit.truncateShard) {
      const bytes = readFileSync(join(src, f));
      writeFileSync(join(dir, f), bytes.subarray(0, bytes.length - 1000));
    } else symlinkSync(join(src, f), join(dir, f));
  }
  const json = JSON.parse(readFileSync(join(src, 'model.json'), 'utf8'));
  edit.modelJson?.(json);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  if (edit.vocab !== undefined) writeFileSync(join(dir, 'vocab.json'), edit.vocab);
  else copyFileSync(join(src, 'vocab.json'), join(dir, 'vocab.json'));
  return { model: join(dir, 'model.json'), vocab: join(dir, 'vocab.json') };
}


const findWeight = (j: Json, suffix: string) => j.weightsManifest[0].weights.find((w: Json) => w.name.endsWith(suffix));

const BAD_INPUTS: [string, Parameters<typeof modelCopy>[0], RegExp][] = [
  ['a missing shard', { dropShard: 'group1-shard3of7' }, /weight shard 'group1-shard3of7' is missing/],
  ['a truncated shard', { truncateShard: 'group1-shard7of7' }, /truncated shard/],
  ['a weight with the wrong shape', {
    modelJson: (j) => (findWeight(j, 'Layer_1/TransformerLayer/FFN/conv1/Tensordot/Reshape_1').shape = [1536, 512]),
  }, /conv1\/Tensordot\/Reshape_1 \(l1\.ffn\.in\.w\) has shape \[1536, 512\], expected \[512, 1536\]/],
  ['a LayerNorm scale of the wrong rank', {
    modelJson: (j) => (findWeight(j, 'Layer_1/TransformerLayer/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat').shape = [2, 256]),
  }, /\(l1\.ln1\.g\) has shape \[2, 256\], expected \[512\]/],
  ['a manifest that declares more bytes than the shards hold', {
    modelJson: (j) => (findWeight(j, 'tanh_layer_0/bias').shape = [1024]),
  }, /hold 27903656 bytes, but the manifest needs at least/],
  ['a missing weight', {
    modelJson: (j) => (findWeight(j, 'tanh_layer_0/bias').name = 'renamed/bias'),
  }, /no tensor 'module\/Encoder_en\/hidden_layers\/tanh_layer_0\/bias' \(tanh\.b\)/],
  ['another FFN activation', {
    modelJson: (j) => (j.modelTopology.node.find((x: Json) => x.name.endsWith('Layer_0/TransformerLayer/FFN/conv1/Relu')).op = 'Elu'),
  }, /layer 0: the FFN activation is not ReLU/],
  ['quantized weights', {
    modelJson: (j) => (findWeight(j, 'tanh_layer_0/bias').quantization = { dtype: 'uint8', min: 0, scale: 1 }),
  }, /quantized weights are not supported/],
  ['a vocab that is not JSON', { vocab: '[["▁the", -3.5' }, /vocab\.json is not valid JSON/],
  ['a vocab of the wrong form', { vocab: '{"pieces": []}' }, /vocab\.json: expected an array/],
  ['a vocab entry of the wrong form', { vocab: JSON.stringify([['a', 0], ['b', 0], ['c', 0], ['d', 0], ['e', 0], ['f', 0], [7, 'x']]) }, /entry 6 is not a \[piece, score\] pair/],
];

for (const [what, edit, message] of BAD_INPUTS) {
  test(`conversion: ${what} → a specific error, nothing written`, () => {
    const home = freshDir('home');
    const files = modelCopy(edit);
    assert.throws(() => installUseLite(home, { id: 'use-lite-en', displayName: 'x' }, files.model, files.vocab), message);
    assert.ok(!existsSync(basesDir(home)) || readdirSync(basesDir(home)).length === 0, 'the store must stay empty');
  });
}

test('the shipped base converts once; later calls reuse it; loading checks the fingerprint', () => {
  const home = freshDir('home');
  assert.deepEqual(listBases(home).map((b) => [b.id, b.shipped, b.installed]), [['use-lite-en', true, false]]);
  const logs: string[] = [];
  const m1 = ensureShippedBase(home, 'use-lite-en', (l) => logs.push(l));
  assert.match(logs.join('\n'), /converting the shipped base 'use-lite-en'.*first use/);
  assert.equal(m1.architecture, 'use-lite');
  assert.equal(m1.tensors.length, 29);
  const manifestPath = join(basesDir(home), 'use-lite-en', 'manifest.json');
  const mtime = statSync(manifestPath).mtimeMs;

  const again: string[] = [];
  const m2 = ensureShippedBase(home, 'use-lite-en', (l) => again.push(l));
  assert.deepEqual(again, [], 'a second call converts nothing');
  assert.equal(m2.fingerprint, m1.fingerprint);
  assert.equal(statSync(manifestPath).mtimeMs, mtime);
  assert.deepEqual(readdirSync(basesDir(home)), ['use-lite-en'], 'no temp leftovers');

  const base = loadBase(home, 'use-lite-en');
  assert.equal(base.fingerprint, m1.fingerprint);
  assert.equal(base.embeddingDim, 512);
  assert.equal(base.maxLength, 128);

  // An imported base lists after the shipped one even when its id sorts first.
  const tiny = new Map([['w', { dims: [2], data: Float32Array.of(1, 2) }]]);
  saveBase(home, { id: 'aaa-imported', architecture: 'use-lite', displayName: 'tiny', config: {}, maxLength: 8, weights: tiny, tokenizerJson: '{}' });
  assert.deepEqual(listBases(home).map((b) => [b.id, b.shipped, b.installed]), [['use-lite-en', true, true], ['aaa-imported', false, true]]);
  assert.equal(listBases(home)[0].parameters, m1.tensors.reduce((a, t) => a + t.dims.reduce((x, y) => x * y, 1), 0));
});

test('a base whose architecture has no loader is a clear error', () => {
  const home = freshDir('home');
  const tiny = new Map([['w', { dims: [1], data: Float32Array.of(1) }]]);
  saveBase(home, { id: 'odd', architecture: 'xlnet' as Architecture, displayName: 'odd', config: {}, maxLength: 8, weights: tiny, tokenizerJson: '{}' });
  assert.throws(() => baseFromStored(loadStoredBase(home, 'odd')), /base 'odd': unsupported architecture 'xlnet'/);
});

test('an unknown shipped id is refused', () => {
  assert.throws(() => ensureShippedBase(freshDir('home'), 'nope'), /'nope' is not a shipped base/);
});
