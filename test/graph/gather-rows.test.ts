/**
 * gatherRows: rows of an elementwise table expression computed from gathered leaves. The
 * table here is diff pruning's θ + z⊙z^j⊙w (Hard-Concrete gate from logits and noise, a
 * group gate broadcast from [1]) plus operands broadcast along rows ([w]) and across
 * columns ([rows, 1]); the ids repeat rows, as tokens do.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as g from '../../src-main/graph/index.js';
import { isLeaf } from '../../src-main/graph/api.js';
import { topoSort } from '../../src-main/graph/topo.js';
import { hardConcreteGate } from '../../src-main/train/hard-concrete.js';
import { Rng } from '../../src-main/util/rng.js';
import { relErr, runOnOrt } from '../support/ort-run.js';

const ROWS = 9, WIDTH = 4;
const IDS = [[3, 0, 3], [7, 7, 1]];

function build() {
  const leaf = (name: string, shape: number[]) => g.input(name, 'float32', shape);
  const theta = leaf('theta', [ROWS, WIDTH]), alpha = leaf('alpha', [ROWS, WIDTH]), noise = leaf('noise', [ROWS, WIDTH]);
  const w = leaf('w', [ROWS, WIDTH]), groupAlpha = leaf('groupAlpha', [1]), groupNoise = leaf('groupNoise', [1]);
  const colScale = leaf('colScale', [WIDTH]), rowScale = leaf('rowScale', [ROWS, 1]);
  const z = g.mul(hardConcreteGate(alpha, noise), hardConcreteGate(groupAlpha, groupNoise));
  const table = g.add(g.mul(g.add(theta, g.mul(z, w)), colScale), rowScale);
  const ids = g.input('ids', 'int32', [2, 3]);
  return { table, ids, wrt: [theta, alpha, w, groupAlpha, colScale, rowScale] };
}

function feeds(rng: Rng): Record<string, g.NDArray> {
  // float32 inputs (what ONNX Runtime runs) holding float32-exact values.
  const f32 = (shape: number[], draw: () => number): g.NDArray =>
    ({ dtype: 'float32', shape, data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.fround(draw())) });
  const normal = () => rng.normal();
  // Noise kept away from 0 and 1 and gate logits near 0, so no gate sits at a clip (a kink).
  const midNoise = () => 0.35 + 0.3 * rng.uniform();
  return {
    theta: f32([ROWS, WIDTH], normal), alpha: f32([ROWS, WIDTH], () => 0.3 * normal()), noise: f32([ROWS, WIDTH], midNoise),
    w: f32([ROWS, WIDTH], normal), groupAlpha: f32([1], () => 0.2), groupNoise: f32([1], () => 0.5),
    colScale: f32([WIDTH], normal), rowScale: f32([ROWS, 1], normal),
    ids: { dtype: 'int32', shape: [2, 3], data: Int32Array.from(IDS.flat()) },
  };
}

test('gatherRows equals gather of the whole table, value for value, and never builds a table-sized intermediate', () => {
  const { table, ids } = build();
  const rows = g.gatherRows(table, ids), reference = g.gather(table, ids);
  assert.deepEqual(rows.shape, [2, 3, WIDTH]);
  const f = feeds(new Rng(3));
  const [got, want] = g.evaluate([rows, reference], f);
  assert.deepEqual([...got.data], [...want.data]);
  const tableSized = topoSort([rows]).filter((t) => !isLeaf(t) && t.shape.length === 2 && t.shape[0] === ROWS);
  assert.deepEqual(tableSized.map((t) => t.op), []);
});

test('gatherRows of a plain table is the one Gather', () => {
  const table = g.input('t', 'float32', [ROWS, WIDTH]), ids = g.input('ids', 'int32', [5]);
  const rows = g.gatherRows(table, ids);
  assert.equal(rows.op, 'Gather');
  assert.deepEqual(rows.inputs, [table, ids]);
});

test('gatherRows: gradients match finite differences and the whole-table path (float64)', () => {
  const { table, ids, wrt } = build();
  const rows = g.gatherRows(table, ids);
  const rng = new Rng(5);
  const f = feeds(rng);
  for (let trial = 0; trial < 3; trial++) {
    const r = g.gradCheck(rows, wrt, f, () => rng.uniform());
    assert.ok(r.relErr <= 1e-6, `jvp ${r.jvp} vs vjp ${r.vjp} (rel ${r.relErr.toExponential(2)})`);
  }
  const u = g.input('u', 'float32', rows.shape);
  const uFeed: g.NDArray = { dtype: 'float32', shape: [2, 3, WIDTH], data: Float64Array.from({ length: 2 * 3 * WIDTH }, () => Math.fround(rng.normal())) };
  const viaRows = g.grad(g.reduceSum(g.mul(rows, u)), wrt);
  const viaTable = g.grad(g.reduceSum(g.mul(g.gather(table, ids), u)), wrt);
  const values = g.evaluate([...viaRows, ...viaTable], { ...f, u: uFeed });
  wrt.forEach((x, k) => assert.ok(relErr(values[k].data, values[k + wrt.length].data) <= 1e-12, `d/d${x.name}`));
});

test('gatherRows on ONNX Runtime (float32): values and gradients match the float64 interpreter', async () => {
  const { table, ids, wrt } = build();
  const rows = g.gatherRows(table, ids);
  const rng = new Rng(9);
  const f = feeds(rng);
  const u = g.input('u', 'float32', rows.shape);
  f.u = { dtype: 'float32', shape: [2, 3, WIDTH], data: Float64Array.from({ length: 2 * 3 * WIDTH }, () => Math.fround(rng.normal())) };
  const outputs: Record<string, g.Tensor> = { rows };
  g.grad(g.reduceSum(g.mul(rows, u)), wrt).forEach((d, k) => { outputs[`d${wrt[k].name}`] = d; });
  const names = Object.keys(outputs);
  const want = g.evaluate(names.map((k) => outputs[k]), f);
  const got = await runOnOrt(outputs, f);
  names.forEach((k, i) => assert.ok(relErr(got[k].data, want[i].data) <= 1e-5, `${k}: ${relErr(got[k].data, want[i].data)}`));
});
