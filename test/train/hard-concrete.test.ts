/**
 * The Hard-Concrete gate as one op (graph's ClippedSigmoid): the same gate values and α
 * gradients as Sigmoid, Add and Clip composed, bit for bit on ONNX Runtime's CPU EP, with
 * only the gate's value kept for the backward pass.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as g from '../../src-main/graph/index.js';
import { topoSort } from '../../src-main/graph/topo.js';
import { fromHalf } from '../../src-main/onnx/float16.js';
import { fillGateNoise, GATE_STRETCH, hardConcreteGate, LOGISTIC_NOISE, STRETCH_LEFT } from '../../src-main/train/hard-concrete.js';
import { Rng } from '../../src-main/util/rng.js';
import { runOnOrt } from '../support/ort-run.js';

const N = 4096;
/** The gate as it was composed before: Sigmoid, Add, Clip (each keeping its input or output for the gradient). */
const composed = (alpha: g.Tensor, noise: g.Tensor) => g.clip(g.add(g.sigmoid(g.add(noise, alpha)), STRETCH_LEFT / GATE_STRETCH), 0, 1 / GATE_STRETCH);

function objective(gate: (a: g.Tensor, u: g.Tensor) => g.Tensor) {
  const alpha = g.input('alpha', 'float32', [N]), noise = g.input('noise', 'float32', [N]), w = g.input('w', 'float32', [N]);
  const c = gate(alpha, noise);
  const loss = g.reduceSum(g.mul(g.mul(c, GATE_STRETCH), w));
  const [dAlpha] = g.grad(loss, [alpha]);
  return { alpha, noise, w, c, loss, dAlpha };
}

test('Hard-Concrete gate: values and α gradients bit for bit those of Sigmoid, Add and Clip composed (ORT, float32), with closed, open and half-open gates', async () => {
  const rng = new Rng(17);
  const f32 = (draw: () => number): g.NDArray => ({ dtype: 'float32', shape: [N], data: Float64Array.from({ length: N }, () => Math.fround(draw())) });
  // Logits around the official init (5) and below, noise from the gate noise table: every regime of the clip.
  const feeds = {
    alpha: f32(() => 8 * rng.uniform() - 3), noise: f32(() => LOGISTIC_NOISE[rng.int(LOGISTIC_NOISE.length)]), w: f32(() => rng.normal()),
  };
  const one = objective(hardConcreteGate), two = objective(composed);
  const got = await runOnOrt({ c: one.c, d: one.dAlpha }, feeds, [one.alpha, one.noise, one.w]);
  const want = await runOnOrt({ c: two.c, d: two.dAlpha }, feeds, [two.alpha, two.noise, two.w]);
  const c = [...want.c.data];
  // Exactly at a bound the composed gate takes Clip's inner derivative, the op its outer one (0): none here.
  assert.equal(c.filter((v, i) => (v === 0 || v === Math.fround(1 / GATE_STRETCH)) && want.d.data[i] !== 0).length, 0);
  assert.ok(c.some((v) => v === 0) && c.some((v) => v === Math.fround(1 / GATE_STRETCH)) && c.filter((v) => v > 0 && v < 1 / GATE_STRETCH).length > N / 10);
  assert.deepEqual([...got.c.data], c);
  assert.deepEqual([...got.d.data], [...want.d.data]);
});

test('Hard-Concrete gate: float16 noise (the step graphs\' feeds) gives bit for bit the gate and gradient of its float32 values (ORT)', async () => {
  const rng = new Rng(5);
  const draws = fillGateNoise(new Uint16Array(N), rng);
  const alpha = Float64Array.from({ length: N }, () => Math.fround(8 * rng.uniform() - 3)), w = Float64Array.from({ length: N }, () => Math.fround(rng.normal()));
  const run = async (dtype: 'float16' | 'float32') => {
    const a = g.input('alpha', 'float32', [N]), noise = g.input('noise', dtype, [N]), wi = g.input('w', 'float32', [N]);
    const c = hardConcreteGate(a, noise);
    const [d] = g.grad(g.reduceSum(g.mul(g.mul(c, GATE_STRETCH), wi)), [a]);
    const data = dtype === 'float16' ? draws : Float64Array.from(draws, fromHalf);
    return runOnOrt({ c, d }, { alpha: { dtype: 'float32', shape: [N], data: alpha }, noise: { dtype, shape: [N], data }, w: { dtype: 'float32', shape: [N], data: w } }, [a, noise, wi]);
  };
  const half = await run('float16'), single = await run('float32');
  assert.deepEqual([...half.c.data], [...single.c.data]);
  assert.deepEqual([...half.d.data], [...single.d.data]);
  assert.ok(half.c.data.some((v) => v === 0) && half.c.data.some((v) => v > 0));
});

/** Forward tensors (parameter-sized, not inputs) that the backward pass reads: held from one to the other. */
function keptForBackward({ loss, dAlpha }: ReturnType<typeof objective>): g.Tensor[] {
  const forward = new Set(topoSort([loss]));
  return [...new Set(topoSort([dAlpha]).filter((t) => !forward.has(t)).flatMap((t) => t.inputs).filter((x) => forward.has(x) && x.op !== 'Input' && x.rank > 0))];
}

test('Hard-Concrete gate: its gradient reads the gate value alone, not σ(α + L) or σ(α + L) − ½ (two parameter-sized tensors per gated weight held from the forward to the backward pass)', () => {
  const gate = objective(hardConcreteGate);
  assert.deepEqual(keptForBackward(gate), [gate.c]);
  // The composed gate, for contrast, keeps its sigmoid and its shifted sigmoid as well.
  assert.deepEqual(keptForBackward(objective(composed)).map((t) => t.op).sort(), ['Add', 'Clip', 'Sigmoid']);
});
