/**
 * Swapping on the live base: A → B → none restores the base bit for bit; inference through
 * zero-copy weight inputs patched in place equals inference with densely merged weights
 * baked into a separate session, and both match the float64 interpreter.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as g from '../../src-main/graph/index.js';
import { classifierLogits, encoderInputs, type EncoderConfig } from '../../src-main/model/encoder.js';
import { weightsFingerprint, type WeightTensor, type Weights } from '../../src-main/model/weights.js';
import { decodePack, encodePack } from '../../src-main/packs/codec.js';
import type { PackContent } from '../../src-main/packs/format.js';
import { mergeDense, sparseDiffFromDense } from '../../src-main/packs/sparse.js';
import { encoderClassifierModel, tokenBatch, weightFeeds } from '../../support/pack-sessions.js';
import { LiveBase, preparePatch } from '../../src-main/packs/swap.js';
import type { ValueEncoding } from '../../src-main/packs/values.js';
import { openSession, type HostSession, type HostTensor } from '../../src-main/runtime/index.js';
import { Rng } from '../../src-main/util/rng.js';
import { relErr } from '../support/ort-run.js';
import { goldenContent, perturb, syntheticBase } from '../../support/pack-fixtures.js';

const CFG: EncoderConfig = { vocab: 32, hidden: 16, layers: 2, heads: 2, ffn: 32, maxLen: 16, classes: 3 };

function makePack(base: ReturnType<typeof syntheticBase>, seed: number, encoding: ValueEncoding): PackContent {
  const rng = new Rng(seed);
  const tuned = perturb(base.weights, rng, { 'emb.tok': 40, 'l0.attn.qkv.w': 60, 'l1.ffn.in.w': 80, 'l1.ln2.g': 5, 'l0.attn.out.b': 16 }, 0.3);
  tuned.set('head.w', { dims: [CFG.hidden, CFG.classes], data: Float32Array.from({ length: CFG.hidden * CFG.classes }, () => rng.uniform() - 0.5) });
  tuned.set('head.b', { dims: [CFG.classes], data: Float32Array.from({ length: CFG.classes }, () => rng.uniform() - 0.5) });
  const { diffs, dense } = sparseDiffFromDense(base.weights, tuned, { encoding });
  const meta = goldenContent();
  // Through the codec, as a pack from disk would come.
  return decodePack(encodePack({ ...meta, base: { id: base.id, fingerprint: base.fingerprint }, diffs, dense }), { base });
}

const snapshot = (w: Weights) => new Map([...w].map(([k, t]) => [k, Buffer.from(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength))]));
const withHead = (base: Weights, head: ReadonlyMap<string, WeightTensor>) => new Map([...base, ...head]);

test('swap A → B → none leaves the base byte-identical, each swap touching only its nonzeros', () => {
  const base = syntheticBase(CFG, 3, 'swap-base');
  const before = snapshot(base.weights);
  const live = new LiveBase(base);
  const contentA = makePack(base, 11, 'int8');
  const a = preparePatch('a', contentA, base);
  const b = preparePatch('b', makePack(base, 12, 'float16'), base);
  live.activate(a);
  const merged = mergeDense(syntheticBase(CFG, 3, 'swap-base').weights, contentA);
  // Patched in place = densely merged, bit for bit (the merge scatters δ, then adds element-wise).
  for (const [name, t] of base.weights) assert.deepEqual(t.data, merged.get(name)!.data, name);
  live.activate(b);
  assert.equal(live.active, 'b');
  live.deactivate();
  assert.equal(live.active, undefined);
  const after = snapshot(base.weights);
  for (const [name, bytes] of before) assert.ok(bytes.equals(after.get(name)!), `${name} differs after A → B → none`);
  assert.equal(weightsFingerprint(base.weights), base.fingerprint);
});

test('inference with a pack patched into zero-copy inputs equals densely merged weights (ORT CPU, float64 reference)', async () => {
  const base = syntheticBase(CFG, 5, 'swap-base');
  const pristine = syntheticBase(CFG, 5, 'swap-base').weights;
  const packs = { a: makePack(base, 21, 'int8'), b: makePack(base, 22, 'float32') };
  const batch = tokenBatch(CFG, 3, 10);
  const live = new LiveBase(base);
  const headShapes = new Map([...packs.a.dense].map((t) => [t.name, { dims: t.dims, data: t.data }]));
  const shared = await openSession(encoderClassifierModel(CFG, withHead(base.weights, headShapes), 'inputs').bytes, { provider: 'cpu' });
  const sessions: HostSession[] = [shared];
  try {
    const run = async (s: HostSession, w?: Weights) => (await s.run({ ...batch, ...(w ? weightFeeds(w) : {}) })).logits.data as Float32Array;
    for (const [id, content] of Object.entries(packs)) {
      const head = live.activate(preparePatch(id, content, base));
      const patched = await run(shared, withHead(base.weights, head));
      const merged = mergeDense(pristine, content);
      // Same session, merged arrays: bit-identical, so ORT read the patched arrays' current contents.
      assert.deepEqual(await run(shared, merged), patched, `${id}: patched vs merged inputs`);
      // A separate session with the merged weights as initializers.
      const baked = await openSession(encoderClassifierModel(CFG, merged, 'initializers').bytes, { provider: 'cpu', ...externalOf(CFG, merged) });
      sessions.push(baked);
      const bakedLogits = await run(baked);
      assert.ok(relErr(patched, bakedLogits) < 1e-5, `${id}: patched vs baked ${relErr(patched, bakedLogits)}`);
      const reference = float64Logits(merged, batch);
      assert.ok(relErr(patched, reference) < 1e-4, `${id}: ORT vs float64 ${relErr(patched, reference)}`);
    }
    // Packs A and B predict differently, so the checks above can tell them apart.
    live.activate(preparePatch('a', packs.a, base));
    const la = await run(shared, withHead(base.weights, new Map(packs.a.dense.map((t) => [t.name, t]))));
    live.activate(preparePatch('b', packs.b, base));
    const lb = await run(shared, withHead(base.weights, new Map(packs.a.dense.map((t) => [t.name, t]))));
    assert.ok(relErr(la, lb) > 1e-3, 'patching A vs B in place changed nothing ORT saw');
  } finally {
    for (const s of sessions) await s.dispose();
  }
});

// Why worker sessions patch their own copy of the base (docs/taskpack-format.md, "Swap"):
// onnxruntime-node 1.30 refuses input tensors backed by a SharedArrayBuffer, so the main
// thread cannot patch one base that a worker's session reads. If this starts to pass, a
// shared base becomes possible.
test('ORT CPU refuses SharedArrayBuffer-backed inputs (so a worker owns and patches its base)', async () => {
  const base = syntheticBase(CFG, 8, 'swap-base');
  const content = makePack(base, 31, 'int8');
  const all = withHead(base.weights, new Map(content.dense.map((t) => [t.name, t])));
  const session = await openSession(encoderClassifierModel(CFG, all, 'inputs').bytes, { provider: 'cpu' });
  try {
    const batch = tokenBatch(CFG, 2, 6);
    const shared = new Map([...all].map(([k, t]) => {
      const data = new Float32Array(new SharedArrayBuffer(t.data.byteLength));
      data.set(t.data);
      return [k, { dims: t.dims, data }];
    }));
    await assert.rejects(session.run({ ...batch, ...weightFeeds(shared) }), /Invalid argument/);
    // The same values in ordinary ArrayBuffers run.
    assert.equal((await session.run({ ...batch, ...weightFeeds(all) })).logits.data.length, 2 * CFG.classes);
  } finally {
    await session.dispose();
  }
});

function externalOf(cfg: EncoderConfig, merged: Weights) {
  return { externalData: encoderClassifierModel(cfg, merged, 'initializers').externalData };
}

function float64Logits(weights: Weights, batch: Record<string, HostTensor>): Float64Array {
  const x = encoderInputs();
  const leaves = new Map<string, g.Tensor>();
  const p = (name: string) => leaves.get(name) ?? leaves.set(name, g.input(name, 'float32', [...weights.get(name)!.dims])).get(name)!;
  const logits = classifierLogits(CFG, p, x);
  const feeds: Record<string, g.NDArray> = {};
  for (const [k, t] of Object.entries(batch)) feeds[k] = { dtype: t.dtype as g.DType, shape: t.dims, data: t.data as g.NDArray['data'] };
  for (const name of leaves.keys()) feeds[name] = { dtype: 'float32', shape: weights.get(name)!.dims, data: weights.get(name)!.data };
  return g.evaluate([logits], feeds)[0].data as Float64Array;
}
