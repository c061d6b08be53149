/**
 * Module methods' graph pieces (model/modules.ts) on the test encoder (fused QKV, post-norm)
 * in float64: gradient checks through LoRA's merge and the adapters; LoRA with B = 0 and
 * adapters with a zero up-projection give the base's logits exactly; LoRA's merge lands on
 * the q and v thirds of the fused QKV (against W + (α/r)·A·B merged by hand); shapes and
 * parameter counts, and the bottleneck sized to a budget.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as g from '../../src-main/graph/index.js';
import type { NDArray } from '../../src-main/graph/index.js';
import { classifierLogits, encoderInputs, encoderParamShapes, headParamShapes, initParams, type EncoderConfig } from '../../src-main/model/encoder.js';
import { adapterBottleneck, initModules, moduleBaseTensors, moduleParams, moduleShapes, withModules, type ModuleSpec } from '../../src-main/model/modules.js';
import { paramInputs } from '../../src-main/model/param-inputs.js';
import { Rng } from '../../src-main/util/rng.js';

const C: EncoderConfig = { vocab: 12, hidden: 8, layers: 2, heads: 2, ffn: 16, maxLen: 6, classes: 3 };
const SPECS: Record<string, ModuleSpec> = {
  'lora qv': { kind: 'lora', rank: 2, alpha: 3, targets: 'qv' },
  'lora all': { kind: 'lora', rank: 2, alpha: 3, targets: 'all' },
  houlsby: { kind: 'adapter', variant: 'houlsby', bottleneck: 3 },
  pfeiffer: { kind: 'adapter', variant: 'pfeiffer', bottleneck: 3 },
};

const baseShapes = () => ({ ...encoderParamShapes(C), ...headParamShapes(C) });
const f64 = (dims: readonly number[], data: ArrayLike<number>): NDArray => ({ dtype: 'float32', shape: [...dims], data: Float64Array.from(data) });

/** Logits of the encoder with `spec`'s modules (none: the base), and feeds: base weights, modules at `scale`·N(0, 1) and a padded batch. */
function setup(spec: ModuleSpec | undefined, seed = 1) {
  const rng = new Rng(seed);
  const shapes = baseShapes(), mods = spec ? moduleShapes(spec, shapes) : {};
  const params = paramInputs({ ...shapes, ...mods });
  const x = encoderInputs();
  const logits = classifierLogits(C, spec ? withModules(params.p, spec, params.p) : params.p, x);
  const feeds: Record<string, NDArray> = {
    ids: { dtype: 'int32', shape: [2, 5], data: Int32Array.of(1, 4, 7, 2, 0, 3, 9, 11, 5, 6) },
    mask: f64([2, 5], [1, 1, 1, 1, 0, 1, 1, 1, 1, 1]),
    positions: { dtype: 'int32', shape: [5], data: Int32Array.of(0, 1, 2, 3, 4) },
  };
  for (const [n, a] of Object.entries(initParams(shapes, rng))) feeds[n] = f64(shapes[n], n.startsWith('head.') || /\.(w|tok|pos)$/.test(n) ? a.map(() => 0.5 * rng.normal()) : a);
  for (const [n, d] of Object.entries(mods)) feeds[n] = f64(d, Array.from({ length: d.reduce((a, b) => a * b, 1) }, () => 0.4 * rng.normal()));
  return { logits, feeds, inputs: params.created(), mods };
}

for (const [name, spec] of Object.entries(SPECS)) {
  test(`${name}: float64 gradient check through the encoder with respect to every module tensor and a base weight it touches`, () => {
    const { logits, feeds, inputs, mods } = setup(spec);
    const rng = new Rng(9);
    for (const n of [...Object.keys(mods), 'l0.attn.qkv.w', 'l1.ffn.out.w']) {
      const r = g.gradCheck(logits, [inputs.find((t) => t.name === n)!], feeds, () => rng.uniform(), 1e-4);
      assert.ok(r.relErr <= 1e-6, `${n}: jvp ${r.jvp} vs vjp ${r.vjp} (rel ${r.relErr.toExponential(2)})`);
    }
  });
}

test('LoRA with B = 0 and adapters with a zero up-projection give the base logits exactly; nonzero, they do not', () => {
  const [baseLogits] = g.evaluate([setup(undefined).logits], setup(undefined).feeds);
  for (const [name, spec] of Object.entries(SPECS)) {
    const { logits, feeds, mods } = setup(spec);
    const zeroed = { ...feeds };
    for (const n of Object.keys(mods)) if (/\.b$|\.up\.[wb]$/.test(n) && !/\.down\.b$/.test(n)) zeroed[n] = f64(mods[n], new Float64Array(feeds[n].data.length));
    assert.deepEqual(g.evaluate([logits], zeroed)[0].data, baseLogits.data, `${name}: zeroed modules change the logits`);
    assert.notDeepEqual(g.evaluate([logits], feeds)[0].data, baseLogits.data, `${name}: the modules do not reach the logits`);
  }
});

test("LoRA's merge is W + (α/r)·A·B on the q and v thirds of the fused QKV (and on W_k, W_o and the FFN with targets 'all')", () => {
  for (const spec of [SPECS['lora qv'], SPECS['lora all']] as Extract<ModuleSpec, { kind: 'lora' }>[]) {
    const { logits, feeds } = setup(spec);
    const base = setup(undefined);
    const merged = { ...base.feeds };
    const addDelta = (w: string, target: string, col0: number) => {
      const a = feeds[`lora.${target}.a`], b = feeds[`lora.${target}.b`], W = merged[w];
      const [dIn, r] = a.shape, dOut = b.shape[1], cols = W.shape[1];
      const out = Float64Array.from(W.data as Float64Array);
      for (let i = 0; i < dIn; i++) for (let j = 0; j < dOut; j++) {
        let s = 0;
        for (let k = 0; k < r; k++) s += (a.data[i * r + k] as number) * (b.data[k * dOut + j] as number);
        out[i * cols + col0 + j] += (spec.alpha / spec.rank) * s;
      }
      merged[w] = { ...W, data: out };
    };
    for (let l = 0; l < C.layers; l++) {
      addDelta(`l${l}.attn.qkv.w`, `l${l}.attn.q`, 0);
      addDelta(`l${l}.attn.qkv.w`, `l${l}.attn.v`, 2 * C.hidden);
      if (spec.targets === 'all') {
        addDelta(`l${l}.attn.qkv.w`, `l${l}.attn.k`, C.hidden);
        for (const t of ['attn.out', 'ffn.in', 'ffn.out']) addDelta(`l${l}.${t}.w`, `l${l}.${t}`, 0);
      }
    }
    const [want] = g.evaluate([base.logits], merged), [got] = g.evaluate([logits], feeds);
    got.data.forEach((v, i) => assert.ok(Math.abs((v as number) - (want.data[i] as number)) <= 1e-12, `${spec.targets} logit ${i}: ${v} vs ${want.data[i]}`));
  }
});

test('module shapes and counts: LoRA factors per target, two adapters per layer (Houlsby) or one (Pfeiffer), Houlsby trains the layer norms', () => {
  const shapes = baseShapes(), h = C.hidden;
  assert.deepEqual(moduleShapes(SPECS['lora qv'], shapes), {
    'lora.l0.attn.q.a': [h, 2], 'lora.l0.attn.q.b': [2, h], 'lora.l0.attn.v.a': [h, 2], 'lora.l0.attn.v.b': [2, h],
    'lora.l1.attn.q.a': [h, 2], 'lora.l1.attn.q.b': [2, h], 'lora.l1.attn.v.a': [h, 2], 'lora.l1.attn.v.b': [2, h],
  });
  assert.deepEqual(moduleShapes(SPECS['lora all'], shapes)['lora.l1.ffn.in.a'], [h, 2]);
  assert.deepEqual(moduleShapes(SPECS['lora all'], shapes)['lora.l1.ffn.in.b'], [2, C.ffn]);
  assert.deepEqual(Object.keys(moduleShapes(SPECS.pfeiffer, shapes)), ['down.w', 'down.b', 'up.w', 'up.b'].flatMap((p) => [`adapter.l0.ffn.out.${p}`]).concat(
    ['down.w', 'down.b', 'up.w', 'up.b'].map((p) => `adapter.l1.ffn.out.${p}`)));
  const m = 3, adapter = 2 * h * m + h + m, layerNorms = 4 * h;
  assert.deepEqual(moduleBaseTensors(SPECS.houlsby, Object.keys(shapes)), ['l0.ln1.g', 'l0.ln1.b', 'l0.ln2.g', 'l0.ln2.b', 'l1.ln1.g', 'l1.ln1.b', 'l1.ln2.g', 'l1.ln2.b']);
  assert.equal(moduleParams(SPECS.houlsby, shapes), C.layers * (2 * adapter + layerNorms));
  assert.equal(moduleParams(SPECS.pfeiffer, shapes), C.layers * adapter);
  assert.equal(moduleParams(SPECS['lora qv'], shapes), C.layers * 2 * 2 * (h + h));
  assert.equal(moduleParams(SPECS['lora all'], shapes), C.layers * 2 * (4 * (h + h) + 2 * (h + C.ffn)));
  // The bottleneck sized to a budget: the largest that fits.
  const total = Object.values(shapes).reduce((a, d) => a + d.reduce((x, y) => x * y, 1), 0);
  for (const variant of ['houlsby', 'pfeiffer'] as const) {
    const b = adapterBottleneck(variant, shapes, 0.2);
    assert.ok(moduleParams({ kind: 'adapter', variant, bottleneck: b }, shapes) <= 0.2 * total);
    assert.ok(moduleParams({ kind: 'adapter', variant, bottleneck: b + 1 }, shapes) > 0.2 * total, `${variant}: ${b} is not the largest`);
  }
  assert.throws(() => moduleShapes({ kind: 'lora', rank: 0, alpha: 8, targets: 'qv' }, shapes), /rank must be a positive integer, got 0/);
  assert.throws(() => moduleShapes(SPECS.houlsby, { 'emb.tok': [4, 8] }), /no transformer layers/);
  assert.throws(() => moduleShapes({ kind: 'lora', rank: 9, alpha: 8, targets: 'qv' }, shapes), /LoRA rank 9 is wider than the 8 of 'l0\.attn\.q' \[8, 8\]/);
  assert.throws(() => moduleShapes({ kind: 'adapter', variant: 'pfeiffer', bottleneck: 9 }, shapes), /adapter bottleneck 9 is wider than the 8 it adapts after 'l0\.ffn\.out'/);
  assert.equal(adapterBottleneck('houlsby', shapes, 1), h, 'a budget above the widest adapter: the hidden width');
});

test('initialisation: LoRA A uniform in ±1/√d_in and B zero; adapters near zero (|w| ≤ 2·10⁻³), biases zero; the same seed gives the same tensors', () => {
  const shapes = baseShapes();
  const lora = initModules(SPECS['lora all'], moduleShapes(SPECS['lora all'], shapes), new Rng(4));
  const a = lora['lora.l0.ffn.out.a'];
  assert.ok(a.every((v) => Math.abs(v) <= 1 / Math.sqrt(C.ffn)) && a.some((v) => v !== 0));
  assert.ok(Object.entries(lora).every(([n, t]) => !n.endsWith('.b') || t.every((v) => v === 0)));
  const ad = initModules(SPECS.houlsby, moduleShapes(SPECS.houlsby, shapes), new Rng(4));
  assert.ok(Object.entries(ad).every(([n, t]) => (n.endsWith('.b') ? t.every((v) => v === 0) : t.every((v) => Math.abs(v) <= 2e-3) && t.some((v) => v !== 0))));
  assert.deepEqual(initModules(SPECS.houlsby, moduleShapes(SPECS.houlsby, shapes), new Rng(4)), ad);
});
