/** The in-graph AdamW against a direct float64 transcription of its definition. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as g from '../../src-main/graph/index.js';
import type { NDArray } from '../../src-main/graph/index.js';
import { adamw, type AdamWConfig } from '../../src-main/train/adamw.js';
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
