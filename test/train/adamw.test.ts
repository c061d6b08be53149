/** The in-graph AdamW against a direct float64 transcription of its definition (float64 and float16 moments). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as g from '../../src-main/graph/index.js';
import type { NDArray } from '../../src-main/graph/index.js';
import { fromHalf, toHalf } from '../../src-main/onnx/float16.js';
import { adamw, DEFAULT_ADAMW, halfScale, type AdamWConfig } from '../../src-main/train/adamw.js';
import { topoSort } from '../../src-main/graph/topo.js';
import { Rng } from '../../src-main/util/rng.js';

const f64 = (shape: number[], data: Float64Array): NDArray => ({ dtype: 'float64', shape, data });

// Clip sets: undefined = one global norm; else each tensor's set (tensors 0 and 2 share one).
for (const [clipNorm, sets] of [[0, undefined], [0.5, undefined], [0.5, ['rest', 'gates', 'rest']]] as const) {
  test(`AdamW (clip ${clipNorm || 'off'}${sets ? ', per clip set' : ''}, decayed and undecayed tensors) follows its definition for 6 steps`, () => {
    const cfg: AdamWConfig = { beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 0.1, clipNorm };
    const n = [5, 3, 2], decay = [true, false, false], lrs = [0.05, 0.2, 0.1];
    const inputs = n.map((k, i) => ({
      param: g.input(`p${i}`, 'float64', [k]), grad: g.input(`g${i}`, 'float64', [k]),
      m: g.input(`m${i}`, 'float64', [k]), v: g.input(`v${i}`, 'float64', [k]),
      lr: g.input(`lr${i}`, 'float64', []), decay: decay[i], ...(sets ? { clipSet: sets[i] } : {}),
    }));
    const step = g.input('step', 'float64', []);
    const { updates, gradNorm } = adamw(inputs, step, cfg);
    const outs = [gradNorm, ...updates.flatMap((u) => [u.param, u.m, u.v])];

    const rng = new Rng(11);
    let p = n.map((k) => Float64Array.from({ length: k }, () => rng.uniform() * 2 - 1));
    let m = n.map((k) => new Float64Array(k)), v = n.map((k) => new Float64Array(k));
    for (let t = 1; t <= 6; t++) {
      const grads = n.map((k) => Float64Array.from({ length: k }, () => (rng.uniform() * 2 - 1) * 3));
      const feeds: Record<string, NDArray> = { step: f64([], Float64Array.of(t)) };
      n.forEach((k, i) => Object.assign(feeds, {
        [`p${i}`]: f64([k], p[i]), [`g${i}`]: f64([k], grads[i]), [`m${i}`]: f64([k], m[i]), [`v${i}`]: f64([k], v[i]),
        [`lr${i}`]: f64([], Float64Array.of(lrs[i])),
      }));
      const got = g.evaluate(outs, feeds);
      // The definition, written out: clip by global norm, moments, bias correction, decoupled decay.
      const norm = Math.sqrt(grads.reduce((a, gr) => a + gr.reduce((b, x) => b + x * x, 0), 0));
      const setNorm = (i: number) => Math.sqrt(grads.reduce((a, gr, j) => a + (sets?.[j] === sets?.[i] ? gr.reduce((b, x) => b + x * x, 0) : 0), 0));
      assert.ok(Math.abs(got[0].data[0] - norm) <= 1e-12 * norm);
      n.forEach((k, i) => {
        const s = clipNorm > 0 ? Math.min(1, clipNorm / setNorm(i)) : 1;
        const [np, nm, nv] = [new Float64Array(k), new Float64Array(k), new Float64Array(k)];
        for (let j = 0; j < k; j++) {
          const gr = grads[i][j] * s;
          nm[j] = cfg.beta1 * m[i][j] + (1 - cfg.beta1) * gr;
          nv[j] = cfg.beta2 * v[i][j] + (1 - cfg.beta2) * gr * gr;
          const dir = nm[j] / (1 - cfg.beta1 ** t) / (Math.sqrt(nv[j] / (1 - cfg.beta2 ** t)) + cfg.eps);
          np[j] = p[i][j] - lrs[i] * (dir + (decay[i] ? cfg.weightDecay * p[i][j] : 0));
        }
        for (const [ref, out, what] of [[np, got[1 + 3 * i], 'param'], [nm, got[2 + 3 * i], 'm'], [nv, got[3 + 3 * i], 'v']] as const) {
          for (let j = 0; j < k; j++) assert.ok(Math.abs(out.data[j] - ref[j]) <= 1e-12 * Math.max(1, Math.abs(ref[j])), `step ${t} ${what}${i}[${j}]: ${out.data[j]} vs ${ref[j]}`);
        }
        p[i] = np; m[i] = nm; v[i] = nv;
      });
    }
  });
}

// float16 moments hold S·m and S·√v (adamw.ts's halfScale); gradients from 1e-7 to 1 per element.
test('AdamW with float16 moments: S·m and S·√v rounded to binary16 each step, the weights within 0.5 % of a step of float64 moments over 8 steps', () => {
  const cfg: AdamWConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, clipNorm: 1, moments: 'float16' };
  const k = 8, lr = 0.01, S = halfScale(cfg.clipNorm);
  const half = (x: number) => fromHalf(toHalf(x));
  const slot = {
    param: g.input('p', 'float64', [k]), grad: g.input('g', 'float64', [k]), m: g.input('m', 'float16', [k]), v: g.input('v', 'float16', [k]),
    lr: g.input('lr', 'float64', []), decay: true,
  };
  const { updates: [u] } = adamw([slot], g.input('step', 'float64', []), cfg);
  assert.deepEqual([u.m.dtype, u.v.dtype], ['float16', 'float16']);
  const rng = new Rng(5);
  let p = Float64Array.from({ length: k }, () => rng.uniform() - 0.5), p64 = p.slice();
  let ms = new Float64Array(k), rs = new Float64Array(k); // stored: S·m, S·√v
  const m64 = new Float64Array(k), v64 = new Float64Array(k);
  for (let t = 1; t <= 8; t++) {
    const grads = Float64Array.from({ length: k }, (_, j) => (rng.uniform() + 0.5) * 10 ** -j * (j % 2 ? -1 : 1));
    const [np, nm, nv] = g.evaluate([u.param, u.m, u.v], {
      p: f64([k], p), g: f64([k], grads), m: { dtype: 'float16', shape: [k], data: Uint16Array.from(ms, toHalf) },
      v: { dtype: 'float16', shape: [k], data: Uint16Array.from(rs, toHalf) }, lr: f64([], Float64Array.of(lr)), step: f64([], Float64Array.of(t)),
    });
    const s = Math.min(1, cfg.clipNorm / Math.sqrt(grads.reduce((a, x) => a + x * x, 0)));
    const bc1 = 1 - cfg.beta1 ** t, bc2 = 1 - cfg.beta2 ** t;
    for (let j = 0; j < k; j++) {
      const gr = grads[j] * s;
      // The stored form, written out.
      const m = cfg.beta1 * ms[j] + (1 - cfg.beta1) * S * gr, r = Math.sqrt(cfg.beta2 * rs[j] ** 2 + (1 - cfg.beta2) * (S * gr) ** 2);
      const want = p[j] * (1 - lr * cfg.weightDecay) - lr * (m / bc1) / (r / Math.sqrt(bc2) + S * cfg.eps);
      assert.ok(Math.abs(np.data[j] - want) <= 1e-12 * Math.max(1, Math.abs(want)), `step ${t} p[${j}]: ${np.data[j]} vs ${want}`);
      assert.equal(nm.data[j], half(m), `step ${t} m[${j}]`);
      assert.equal(nv.data[j], half(r), `step ${t} √v[${j}]`);
      ms[j] = half(m); rs[j] = half(r);
      // Float64 moments: the same steps to within float16's rounding, even for the 1e-7 gradients
      // (stored as v, 1e-17 would flush to 0 and m/ε would move that weight by ~lr·1e-7/1e-8 per step).
      m64[j] = cfg.beta1 * m64[j] + (1 - cfg.beta1) * gr;
      v64[j] = cfg.beta2 * v64[j] + (1 - cfg.beta2) * gr * gr;
      p64[j] = p64[j] * (1 - lr * cfg.weightDecay) - lr * (m64[j] / bc1) / (Math.sqrt(v64[j] / bc2) + cfg.eps);
    }
    p = Float64Array.from(np.data);
    for (let j = 0; j < k; j++) assert.ok(Math.abs(p[j] - p64[j]) <= 5e-3 * lr, `step ${t} p[${j}] (gradient ~1e-${j}): ${p[j]} vs float64 moments ${p64[j]}`);
  }
});

test('float16 moments refuse a run without gradient clipping (their range is set by it)', () => {
  const x = g.input('x', 'float32', [2]);
  assert.throws(() => adamw([{ param: x, grad: x, m: g.input('m', 'float16', [2]), v: g.input('v', 'float16', [2]), lr: g.input('lr', 'float32', []), decay: false }],
    g.input('step', 'float32', []), { ...DEFAULT_ADAMW, clipNorm: 0, moments: 'float16' }), /need gradient clipping/);
});

test('the gradient norm reads each gradient directly (ReduceSumSquare): no gradient-sized square is kept from the norm to the updates', () => {
  const slots = [[4, 3], [7]].map((shape, i) => ({
    param: g.input(`p${i}`, 'float32', shape), grad: g.input(`g${i}`, 'float32', shape),
    m: g.input(`m${i}`, 'float16', shape), v: g.input(`v${i}`, 'float16', shape), lr: g.input(`lr${i}`, 'float32', []), decay: i === 0,
  }));
  const { gradNorm } = adamw(slots, g.input('step', 'float32', []), { ...DEFAULT_ADAMW, moments: 'float16' });
  // Everything the norm is computed from, outside the inputs: scalars only (a [4, 3] or [7]
  // tensor here would live until its slot's update, every slot's at once).
  const sized = topoSort([gradNorm]).filter((t) => t.op !== 'Input' && t.rank > 0);
  assert.deepEqual(sized.map((t) => `${t.op} [${t.shape}]`), []);
});
