/**
 * Every op of the table: a float64 gradient check against central differences and parity
 * of its float32 ONNX emission (forward and backward) on ONNX Runtime against the float64
 * interpreter. The coverage test fails when an op lacks a case.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as g from '../../src-main/graph/index.js';
import { isFloat } from '../../src-main/graph/tensor.js';
import { Rng } from '../../src-main/util/rng.js';
import { relErr, runOnOrt } from '../support/ort-run.js';
import { OP_CASES, opOfCase } from './op-cases.js';

const GRAD_TOL = 1e-6;
const PARITY_TOL = 1e-5;

test('every op in the table has a case (gradient check + ORT parity)', () => {
  const covered = new Set(OP_CASES.map(opOfCase));
  const missing = Object.keys(g.OPS).filter((op) => !covered.has(op));
  assert.deepEqual(missing, [], `ops without a test case: ${missing.join(', ')}`);
});

describe('gradient checks (float64, ⟨u, Jv⟩ vs ⟨Jᵀu, v⟩)', () => {
  for (const c of OP_CASES) {
    test(c.name, (t) => {
      const rng = new Rng(7);
      const { y, wrt, feeds } = c.build(rng);
      if (!isFloat(y.dtype)) return t.skip('integer/boolean output: no gradient flows');
      assert.ok(wrt.length > 0, 'a differentiable case must name inputs to check');
      for (let trial = 0; trial < 3; trial++) {
        const r = g.gradCheck(y, wrt, feeds, () => rng.uniform());
        assert.ok(r.relErr <= GRAD_TOL, `${c.name}: jvp ${r.jvp} vs vjp ${r.vjp} (rel ${r.relErr.toExponential(2)})`);
      }
    });
  }
});

describe('ORT float32 parity with the float64 interpreter (forward and backward)', () => {
  for (const c of OP_CASES) {
    test(c.name, async () => {
      const rng = new Rng(11);
      const { y, wrt, feeds } = c.build(rng);
      const outputs: Record<string, g.Tensor> = { __y: y };
      const allFeeds = { ...feeds };
      if (isFloat(y.dtype) && wrt.length) {
        const u = g.input('__u', y.dtype, y.shape);
        const [yv] = g.evaluate([y], feeds);
        allFeeds.__u = { dtype: y.dtype, shape: yv.shape, data: Float64Array.from(yv.data, () => Math.fround(2 * rng.uniform() - 1)) };
        g.grad(g.reduceSum(g.mul(y, u)), wrt).forEach((gk, k) => { outputs[`__grad${k}`] = gk; });
      }
      const names = Object.keys(outputs);
      const ref = g.evaluate(names.map((k) => outputs[k]), allFeeds);
      const got = await runOnOrt(outputs, allFeeds);
      names.forEach((k, i) => {
        assert.deepEqual([...got[k].shape], [...ref[i].shape], `${c.name} ${k}: shape`);
        if (outputs[k].dtype === 'bool' || outputs[k].dtype === 'int32') assert.deepEqual([...got[k].data], [...ref[i].data], `${c.name} ${k}`);
        else {
          const e = relErr(got[k].data, ref[i].data);
          assert.ok(e <= PARITY_TOL, `${c.name} ${k}: relative error ${e.toExponential(2)}`);
        }
      });
    });
  }
});
