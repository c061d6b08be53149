/**
 * Swapping packs of every kind on the one live base (issue 27): diff → LoRA → Houlsby →
 * Pfeiffer → LoRA (all) → none leaves the base's bytes as they were; a LoRA pack merges
 * W + (α/r)·a·b into exactly the blocks it targets (the q and v thirds of the fused QKV);
 * an adapter pack patches only its LayerNorm diffs and hands its modules to the graph.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ModuleSpec } from '../../src-main/model/modules.js';
import { weightsFingerprint, type Weights } from '../../src-main/model/weights.js';
import { decodePack, encodePack } from '../../src-main/packs/codec.js';
import type { PackContent } from '../../src-main/packs/format.js';
import { mergeDense, sparseDiffFromDense } from '../../src-main/packs/sparse.js';
import { LiveBase, patchWeights, preparePatch } from '../../src-main/packs/swap.js';
import { dequantize } from '../../src-main/packs/values.js';
import { Rng } from '../../src-main/util/rng.js';
import { goldenContent, moduleContent, perturb, syntheticBase, TINY } from '../../support/pack-fixtures.js';

const CFG = { ...TINY, hidden: 12, heads: 3, layers: 2, ffn: 20 };
const fresh = () => syntheticBase(CFG, 5, 'kinds-base');
const HEAD = { 'head.w': [CFG.hidden, 3], 'head.b': [3] };
const LORA_QV: ModuleSpec = { kind: 'lora', rank: 3, alpha: 12, targets: 'qv' };
const LORA_ALL: ModuleSpec = { kind: 'lora', rank: 2, alpha: 4, targets: 'all' };
const HOULSBY: ModuleSpec = { kind: 'adapter', variant: 'houlsby', bottleneck: 4 };
const PFEIFFER: ModuleSpec = { kind: 'adapter', variant: 'pfeiffer', bottleneck: 5 };

/** Through the codec, as a pack from disk would come. */
const viaCodec = (c: PackContent, base: ReturnType<typeof fresh>) => decodePack(encodePack(c), { base });
const modulePack = (spec: ModuleSpec, seed: number) => viaCodec(moduleContent(spec, { base: fresh(), headShapes: HEAD, seed }), fresh());

function diffPack(seed: number): PackContent {
  const base = fresh(), rng = new Rng(seed);
  const tuned = perturb(base.weights, rng, { 'l0.attn.qkv.w': 50, 'l1.ffn.in.w': 30, 'l1.ln2.g': 5 }, 0.3);
  const { diffs } = sparseDiffFromDense(base.weights, tuned, { encoding: 'int8' });
  const head = moduleContent(LORA_QV, { base, headShapes: HEAD }).dense;
  return viaCodec({ ...goldenContent(), base: { id: base.id, fingerprint: base.fingerprint }, diffs, dense: head }, base);
}

const bytesOf = (w: Weights) => new Map([...w].map(([k, t]) => [k, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64')]));
const changed = (before: Map<string, string>, w: Weights) => [...bytesOf(w)].filter(([k, b]) => before.get(k) !== b).map(([k]) => k).sort();

/** W + (α/r)·a·b for one target, in float64 from the stored factors (independent of lora-merge.ts's loop order). */
function expectedMerge(w: Float32Array, cols: number, col0: number, a: Float32Array, b: Float32Array, rank: number, scale: number): Float64Array {
  const width = b.length / rank, rows = a.length / rank, out = Float64Array.from(w);
  for (let i = 0; i < rows; i++) for (let j = 0; j < width; j++) {
    let s = 0;
    for (let k = 0; k < rank; k++) s += a[i * rank + k] * b[k * width + j];
    out[i * cols + col0 + j] = w[i * cols + col0 + j] + scale * s;
  }
  return out;
}

test('swap diff → LoRA → Houlsby → Pfeiffer → LoRA (all) → none: the base is byte-identical; each pack touches only its own tensors', () => {
  const base = fresh(), pristine = fresh().weights, original = bytesOf(base.weights);
  const live = new LiveBase(base);
  const packs = { diff: diffPack(7), lora: modulePack(LORA_QV, 8), houlsby: modulePack(HOULSBY, 9), pfeiffer: modulePack(PFEIFFER, 10), all: modulePack(LORA_ALL, 11) };
  const touched: Record<string, string[]> = {};
  for (const [id, content] of Object.entries(packs)) {
    live.activate(preparePatch(id, content, base));
    assert.equal(live.active, id);
    touched[id] = changed(original, base.weights);
  }
  live.deactivate();
  assert.deepEqual(bytesOf(base.weights), original, 'the base after the swaps');
  assert.equal(weightsFingerprint(base.weights), base.fingerprint);
  assert.deepEqual(touched.lora, ['l0.attn.qkv.w', 'l1.attn.qkv.w']);
  assert.deepEqual(touched.houlsby, ['l0.ln1.b', 'l0.ln1.g', 'l0.ln2.b', 'l0.ln2.g', 'l1.ln1.b', 'l1.ln1.g', 'l1.ln2.b', 'l1.ln2.g']);
  assert.deepEqual(touched.pfeiffer, [], 'a Pfeiffer pack changes no base tensor');
  assert.deepEqual(touched.all, ['attn.out.w', 'attn.qkv.w', 'ffn.in.w', 'ffn.out.w'].flatMap((t) => [`l0.${t}`, `l1.${t}`]).sort());
  // And the pristine copy is what every pack was measured against.
  assert.deepEqual(bytesOf(pristine), original);
});

test('LoRA (qv) merges (α/r)·a·b into the q and v thirds of the fused QKV only: a float64 merge rounded once to float32', () => {
  const base = fresh(), pristine = fresh().weights, content = modulePack(LORA_QV, 21);
  new LiveBase(base).activate(preparePatch('lora', content, base));
  const d = CFG.hidden, scale = LORA_QV.kind === 'lora' ? LORA_QV.alpha / LORA_QV.rank : 0;
  const factor = (n: string) => dequantize(content.modules.find((t) => t.name === n)!.values);
  for (const l of ['l0', 'l1']) {
    const w0 = pristine.get(`${l}.attn.qkv.w`)!.data, w = base.weights.get(`${l}.attn.qkv.w`)!.data;
    let want: Float64Array = Float64Array.from(w0);
    for (const [j, t] of [[0, 'q'], [2, 'v']] as const) want = expectedMerge(Float32Array.from(want), 3 * d, j * d, factor(`lora.${l}.attn.${t}.a`), factor(`lora.${l}.attn.${t}.b`), 3, scale);
    let moved = 0;
    for (let i = 0; i < w.length; i++) {
      const col = i % (3 * d);
      if (col >= d && col < 2 * d) assert.equal(w[i], w0[i], `${l} k third, value ${i}`);
      else {
        assert.equal(w[i], Math.fround(want[i]), `${l} value ${i}`);
        if (w[i] !== w0[i]) moved++;
      }
    }
    assert.ok(moved > 2 * d * d * 0.9, `${l}: ${moved} values moved`);
  }
});

test('an adapter pack feeds its modules beside the patched base; the head of the active pack comes first', () => {
  const base = fresh(), content = modulePack(PFEIFFER, 31);
  const patch = preparePatch('p', content, base);
  new LiveBase(base).activate(patch);
  const weights = patchWeights(patch, base);
  for (const t of content.modules) assert.deepEqual(weights(t.name).data, dequantize(t.values));
  assert.equal(weights('head.w').data, content.dense[0].data);
  assert.equal(weights('l0.ffn.out.w'), base.weights.get('l0.ffn.out.w'));
  assert.equal(patch.merges.length, 0);
  // LoRA hands no module tensors to the graph: they are merged.
  assert.equal(preparePatch('l', modulePack(LORA_QV, 32), base).modules.size, 0);
});

test('Houlsby: the LayerNorm diffs patch in place exactly as a dense merge of them', () => {
  const base = fresh(), content = modulePack(HOULSBY, 41);
  new LiveBase(base).activate(preparePatch('h', content, base));
  const merged = mergeDense(fresh().weights, content);
  for (const [name, t] of base.weights) assert.deepEqual(t.data, merged.get(name)!.data, name);
});

test('a base that cannot host the pack: refused before anything is patched, the active pack stays', () => {
  const base = fresh(), live = new LiveBase(base);
  live.activate(preparePatch('houlsby', modulePack(HOULSBY, 51), base));
  const during = bytesOf(base.weights);
  // The same fingerprint, but no fused QKV for LoRA to adapt; and a Pfeiffer pack made for a wider hidden size.
  const noQkv = { fingerprint: base.fingerprint, weights: new Map([...base.weights].filter(([n]) => !n.includes('.qkv.'))) };
  assert.throws(() => preparePatch('lora', modulePack(LORA_QV, 52), noQkv), /CANNOT_HOST: this base cannot host a LoRA r 3 α 12 \(qv\) pack: the base has no weight 'l0\.attn\.q\.w'/);
  const wide = { ...moduleContent(PFEIFFER, { base: syntheticBase({ ...CFG, hidden: 15 }), headShapes: HEAD }), base: { id: base.id, fingerprint: base.fingerprint } };
  assert.throws(() => preparePatch('wide', wide, base), /MODULE_MISMATCH: module 'adapter\.l0\.ffn\.out\.down\.w': shape \[15, 5\], this base needs \[12, 5\]/);
  assert.equal(live.active, 'houlsby');
  assert.deepEqual(bytesOf(base.weights), during);
});
