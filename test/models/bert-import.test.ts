/**
 * Bad Hugging Face folders: each fault gives a specific error and leaves the user-data
 * directory untouched (no base, no temp directory). Also the import's happy path details
 * (ids, ignored tensors, id clashes) and the float decodings.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { zipSync } from 'fflate';
import { listBaseIds, loadStoredBase } from '../../src-main/model/base-store.js';
import { BertImportError, UnsafePickleError } from '../../src-main/model/bert/errors.js';
import { importBertFolder } from '../../src-main/model/bert/import.js';
import { loadBertBase } from '../../src-main/model/bert/model.js';
import { toFloat32 } from '../../src-main/model/bert/raw-tensor.js';
import { readSafetensors } from '../../src-main/model/bert/safetensors.js';
import { readTorchBin } from '../../src-main/model/bert/torch-bin.js';
import { encodeTensor, fixturesDir, randomHfBert, safetensorsBytes, tinyConfig, writeSafetensors, type HfBertConfigJson, type HfTensor } from '../../support/bert-helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'taskpack-bert-import-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;

const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...'abcdefghijklmnopqrstuvwxyz'.split(''), 'the', '##s', '.'];

interface FolderSpec {
  config?: Partial<HfBertConfigJson> | string;
  weights?: Map<string, HfTensor>;
  files?: Record<string, string | Uint8Array>;
  omit?: string[];
}

/** A valid tiny folder (1 layer, hidden 8, safetensors + vocab.txt), then the spec's changes. */
function folder(spec: FolderSpec = {}): string {
  const dir = join(scratch, `f${n++}`);
  mkdirSync(dir);
  const config = typeof spec.config === 'string' ? spec.config : JSON.stringify(tinyConfig(spec.config));
  const files: Record<string, string | Uint8Array> = {
    'config.json': config,
    'model.safetensors': writeSafetensors(spec.weights ?? randomHfBert(tinyConfig(), 7)),
    'vocab.txt': VOCAB.join('\n') + '\n',
    ...spec.files,
  };
  for (const [f, c] of Object.entries(files)) if (!spec.omit?.includes(f)) writeFileSync(join(dir, f), c);
  return dir;
}

const freshHome = () => mkdtempSync(join(scratch, 'home-'));

/** The import fails with `pattern` (and `cls`), and the home holds nothing afterwards. */
function rejects(dir: string, pattern: RegExp, cls: new (...a: never[]) => Error = BertImportError) {
  const home = freshHome();
  assert.throws(() => importBertFolder(dir, home, { id: 'x' }), (e: Error) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e.constructor.name}: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
  const bases = join(home, 'bases');
  assert.deepEqual(existsSync(bases) ? readdirSync(bases) : [], [], 'nothing may be written under the home directory');
}

const withWeights = (edit: (w: Map<string, HfTensor>) => void) => {
  const w = randomHfBert(tinyConfig(), 7);
  edit(w);
  return w;
};

test('a valid tiny folder imports; the base loads, ignores pretraining heads, and an id clash changes nothing', () => {
  const w = withWeights((m) => m.set('cls.predictions.bias', { dims: [50], data: new Float32Array(50) }));
  const dir = folder({ weights: w });
  const home = freshHome();
  const res = importBertFolder(dir, home, { id: 'tiny' });
  assert.deepEqual(res.sources, { weights: 'model.safetensors', tokenizer: 'vocab.txt' });
  assert.deepEqual(res.ignored, ['cls.predictions.bias']);
  const base = loadBertBase(loadStoredBase(home, 'tiny'));
  assert.equal(base.maxLength, 16);
  assert.deepEqual(base.weights.get('l0.attn.q.w')!.dims, [8, 8]);
  // canonical linear weights are the transposed HF [out, in] matrices
  const hf = w.get('encoder.layer.0.intermediate.dense.weight')!; // [16, 8]
  assert.equal(base.weights.get('l0.ffn.in.w')!.data[3 * 16 + 5], hf.data[5 * 8 + 3]);
  const before = readFileSync(join(home, 'bases', 'tiny', 'manifest.json'), 'utf8');
  assert.throws(() => importBertFolder(dir, home, { id: 'tiny' }), /already installed/);
  assert.equal(readFileSync(join(home, 'bases', 'tiny', 'manifest.json'), 'utf8'), before);
  assert.deepEqual(listBaseIds(home), ['tiny']);
});

test('config.json: missing, invalid, unknown model types and unsupported variants are named', () => {
  rejects(folder({ omit: ['config.json'] }), /config\.json is missing/);
  rejects(folder({ config: '{"model_type": "bert",' }), /config\.json: not valid JSON/);
  rejects(folder({ config: { model_type: 'roberta' } }), /model_type "roberta" is not supported \(supported: "bert"\)/);
  rejects(folder({ config: { position_embedding_type: 'relative_key' } }), /position_embedding_type "relative_key"/);
  rejects(folder({ config: { hidden_act: 'gelu_new' } }), /hidden_act "gelu_new"/);
  rejects(folder({ config: { is_decoder: true } }), /is_decoder/);
  rejects(folder({ config: { num_attention_heads: 3 } }), /not divisible by num_attention_heads 3/);
  rejects(folder({ config: { hidden_size: -8 } }), /hidden_size/);
});

test('weights: missing files, shape mismatches with config, missing, stray and extra-layer tensors', () => {
  rejects(folder({ omit: ['model.safetensors'] }), /no weights: expected model\.safetensors or pytorch_model\.bin/);
  rejects(folder({ omit: ['model.safetensors'], files: { 'model.safetensors.index.json': '{}' } }), /sharded checkpoints are not supported/);
  rejects(folder({ config: { intermediate_size: 32 } }), /encoder\.layer\.0\.intermediate\.dense\.weight has shape \[16, 8\], config\.json implies \[32, 8\]/);
  rejects(folder({ config: { vocab_size: 60 } }), /word_embeddings\.weight has shape \[50, 8\], config\.json implies \[60, 8\]/);
  rejects(folder({ weights: withWeights((m) => m.delete('pooler.dense.bias')) }), /missing tensor pooler\.dense\.bias/);
  rejects(folder({ weights: randomHfBert(tinyConfig({ num_hidden_layers: 2 }), 7) }), /encoder layer 1 but config\.json says num_hidden_layers = 1/);
  rejects(folder({ weights: withWeights((m) => m.set('encoder.layer.0.attention.self.distance_embedding.weight', { dims: [4, 8], data: new Float32Array(32) })) }), /unexpected tensor .*distance_embedding/);
  const nonFinite = withWeights((m) => m.get('pooler.dense.bias')!.data.fill(NaN, 2, 3));
  rejects(folder({ weights: nonFinite }), /pooler\.dense\.bias holds a non-finite value/);
});

test('safetensors: truncation and header lies are specific errors', () => {
  const good = writeSafetensors(randomHfBert(tinyConfig(), 7));
  rejects(folder({ files: { 'model.safetensors': good.subarray(0, 5) } }), /too short for a safetensors file/);
  rejects(folder({ files: { 'model.safetensors': good.subarray(0, good.byteLength - 10) } }), /run past the .*data region \(truncated\?\)/);
  const lying = good.slice();
  new DataView(lying.buffer).setBigUint64(0, BigInt(good.byteLength), true);
  rejects(folder({ files: { 'model.safetensors': lying } }), /header claims \d+ bytes/);
  new DataView(lying.buffer).setBigUint64(0, 10n ** 12n, true);
  rejects(folder({ files: { 'model.safetensors': lying } }), /exceeds the 100000000-byte limit/);
  const f32 = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);
  const entry = (dims: number[], bytes: Uint8Array, dtype = 'F32') => ({ dtype, dims, bytes });
  assert.throws(() => readSafetensors(safetensorsBytes([['a', entry([3], f32([1, 2]))]])), /shape \[3\] of F32 needs 12 bytes, data_offsets span 8/);
  assert.throws(() => readSafetensors(safetensorsBytes([['a', entry([1], f32([1]), 'Q7')]])), /unknown dtype "Q7"/);
  assert.throws(() => readSafetensors(safetensorsBytes([['a', entry([2], f32([1, 2]))]], { b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } })), /overlaps/);
  assert.throws(() => readSafetensors(safetensorsBytes([['a', entry([1], f32([1]))], ['b', entry([1], f32([2]))]], { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [0], data_offsets: [8, 8] } })), /bytes 4\.\.8 of the data region belong to no tensor/);
  const notJson = good.slice();
  notJson[9] = 0xff;
  assert.throws(() => readSafetensors(notJson), /header is not valid UTF-8 JSON/);
  assert.throws(() => toFloat32({ dtype: 'I64', dims: [1], bytes: new Uint8Array(8) }, 'ids', 'f'), /dtype I64; only F32, F16 and BF16/);
});

test('F16 and BF16 weights decode to the float32 values they encode', () => {
  const values = Float32Array.from([0, -0, 1, -2.5, 0.1, 65504, 6.1e-5, 3e-7, -1e-3]);
  const half = toFloat32({ dtype: 'F16', dims: [values.length], bytes: encodeTensor({ dims: [values.length], data: values }, 'F16') }, 'x', 'f');
  const bf = toFloat32({ dtype: 'BF16', dims: [values.length], bytes: encodeTensor({ dims: [values.length], data: values }, 'BF16') }, 'x', 'f');
  values.forEach((v, i) => {
    assert.ok(Math.abs(half[i] - v) <= Math.max(Math.abs(v) * 2 ** -11, 2 ** -25), `F16 ${v} → ${half[i]}`);
    assert.ok(Math.abs(bf[i] - v) <= Math.abs(v) * 2 ** -8, `BF16 ${v} → ${bf[i]}`);
  });
  assert.deepEqual([...half.slice(0, 6)], [0, -0, 1, -2.5, 0.0999755859375, 65504]);
});

// ── pytorch_model.bin ─────────────────────────────────────────────────────────────────
const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const torchZip = (pkl: Uint8Array, extra: Record<string, Uint8Array> = {}) =>
  zipSync({ 'archive/data.pkl': pkl, 'archive/version': bytes('3\n'), ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [`archive/${k}`, v])) }, { level: 0 });
const binFolder = (bin: Uint8Array) => folder({ omit: ['model.safetensors'], files: { 'pytorch_model.bin': bin } });

test('unsafe pickles are refused before anything runs: os.system, builtins.eval, object construction', () => {
  // pickle.dumps of a __reduce__ returning (os.system, ('touch pwned',)), protocol 2
  const osSystem = bytes('\x80\x02cos\nsystem\nq\x00X\x0b\x00\x00\x00touch pwnedq\x01\x85q\x02Rq\x03.');
  rejects(binFolder(torchZip(osSystem)), /unsafe pickle: global os\.system is not allowed/, UnsafePickleError);
  // protocol 4 STACK_GLOBAL form
  const evalP4 = bytes('\x80\x04\x8c\x08builtins\x94\x8c\x04eval\x94\x93\x94\x8c\x011\x94\x85\x94R\x94.');
  rejects(binFolder(torchZip(evalP4)), /unsafe pickle: global builtins\.eval/, UnsafePickleError);
  // an allowed global used as a persistent id that is not a storage
  rejects(binFolder(torchZip(bytes('\x80\x02X\x04\x00\x00\x00evilQ.'))), /persistent id "evil" is not a tensor storage/, UnsafePickleError);
  // NEWOBJ constructs an object of any class: refused as an opcode
  rejects(binFolder(torchZip(bytes('\x80\x02ccollections\nOrderedDict\n)\x81.'))), /unsafe pickle: opcode NEWOBJ/, UnsafePickleError);
  assert.ok(!existsSync('pwned'));
});

test('pytorch_model.bin: legacy, truncated, malformed and inconsistent checkpoints are specific errors', () => {
  const real = readFileSync(join(fixturesDir(), 'tiny-torch', 'pytorch_model.bin'));
  assert.ok(readTorchBin(real).has('bert.pooler.dense.weight'));
  rejects(binFolder(bytes('\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.')), /legacy \(pre-1\.6, non-zip\) PyTorch serialisation/);
  rejects(binFolder(real.subarray(0, real.byteLength >> 1)), /unreadable zip archive|not a zip archive/);
  rejects(binFolder(bytes('hello')), /not a zip archive/);
  rejects(binFolder(torchZip(bytes('\x80\x02]q\x00.'))), /expected a state_dict/);
  rejects(binFolder(torchZip(bytes('\x80\x02}q\x00(X\x01\x00\x00\x00aq'))), /truncated at byte/);
  // one FloatStorage of `numel` elements viewed with `size` and `stride` (BININT1 or BININT2 ints)
  const int = (v: number) => (v < 256 ? `K${String.fromCharCode(v)}` : `M${String.fromCharCode(v & 255, v >> 8)}`);
  const tensorPkl = (numel: number, size: number[], stride = [size[1], 1]) => bytes(
    '\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01X\x01\x00\x00\x00wq\x02ctorch._utils\n_rebuild_tensor_v2\nq\x03(' +
    `(X\x07\x00\x00\x00storageq\x04ctorch\nFloatStorage\nq\x05X\x01\x00\x00\x000q\x06X\x03\x00\x00\x00cpuq\x07${int(numel)}tq\x08Q` +
    `K\x00${int(size[0])}${int(size[1])}\x86${int(stride[0])}${int(stride[1])}\x86\x89ccollections\nOrderedDict\n)Rtq\x09Rq\x0as.`);
  assert.deepEqual(readTorchBin(torchZip(tensorPkl(6, [2, 3]), { 'data/0': new Uint8Array(24) })).get('w')!.dims, [2, 3]);
  assert.throws(() => readTorchBin(torchZip(tensorPkl(4, [2, 3]), { 'data/0': new Uint8Array(16) })), /tensor w reaches element 5 of a 4-element storage/);
  assert.throws(() => readTorchBin(torchZip(tensorPkl(6, [2, 3]), { 'data/0': new Uint8Array(20) })), /storage data\/0 holds 20 bytes, 6 × F32 needs 24/);
  assert.throws(() => readTorchBin(torchZip(tensorPkl(6, [2, 3]))), /storage file data\/0 for tensor w is missing/);
  // Views that would make a small file allocate far more than it holds (issue 24): a 1-element
  // storage broadcast to [4096, 4096] (64 MB), and overlapping strides larger than the storage.
  const small = torchZip(tensorPkl(1, [4096, 4096], [0, 0]), { 'data/0': new Uint8Array(4) });
  assert.ok(small.length < 1024);
  assert.throws(() => readTorchBin(small), /tensor w repeats its storage along dimension 0 \(stride 0\); save the checkpoint from contiguous tensors/);
  assert.throws(() => readTorchBin(torchZip(tensorPkl(6, [3, 3], [1, 1]), { 'data/0': new Uint8Array(24) })), /tensor w has 9 elements, more than its 6-element storage \(overlapping strides\)/);
  // A view's bytes are copied out only when read (after the shape check against config.json), once.
  const lazy = readTorchBin(torchZip(tensorPkl(6, [3, 2], [1, 3]), { 'data/0': Uint8Array.from({ length: 24 }, (_, i) => i) })).get('w')!;
  assert.deepEqual(lazy.dims, [3, 2]);
  assert.equal(lazy.bytes, lazy.bytes);
  assert.deepEqual([...new Float32Array(lazy.bytes.slice().buffer)], [...new Float32Array(Uint8Array.from({ length: 24 }, (_, i) => i).buffer)].flatMap((_, i, a) => (i < 3 ? [a[i], a[i + 3]] : [])));
});

test('tokenizer: none, or ids beyond config vocab_size, are specific errors', () => {
  rejects(folder({ omit: ['vocab.txt'] }), /no tokenizer: expected tokenizer\.json or vocab\.txt/);
  rejects(folder({ files: { 'vocab.txt': [...VOCAB, ...Array.from({ length: 30 }, (_, i) => `w${i}`)].join('\n') } }), /token ids reach 63 but config\.json has vocab_size 50/);
  rejects(folder({ files: { 'tokenizer.json': '{"model": {"type": "Unigram", "vocab": []}}' } }), /tokenizer\.json: model type "Unigram" is not supported for BERT/);
});
