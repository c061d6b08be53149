/**
 * Elementwise ops. Each: shape rule, ONNX emission, float64 semantics and VJP side by side.
 * Binary ops broadcast; their VJPs return full-shape cotangents and autodiff reduces them
 * to each operand's shape in one place (api.sumToShape).
 */
import * as g from '../api.js';
import type { OpDef, OpTable, VjpRule } from '../op.js';
import { alloc, mapN } from '../nd.js';
import { broadcastShapes, ShapeError } from '../shape.js';
import { erf, normCdf } from '../special.js';
import { isFloat, type Tensor } from '../tensor.js';
import { ONNX_DATA_TYPE } from '../../onnx/data-type.js';
import { attr } from '../op.js';
import { fromHalf, toHalf } from '../../onnx/float16.js';

function unary(onnx: string, f: (x: number) => number, vjp: (gy: Tensor, x: Tensor, y: Tensor) => Tensor): OpDef {
  return {
    infer: ([x]) => { g.requireFloat(x, onnx); return { dtype: x.dtype, shape: x.shape }; },
    emit: (c) => void c.emit(onnx, [c.input(0)], {}, c.output),
    eval: ([x]) => mapN(x.dtype, [x], f),
    vjp: (gy, node) => [vjp(gy, node.inputs[0], node)],
  };
}

function binary(onnx: string, f: (a: number, b: number) => number, vjp: VjpRule, out?: 'bool'): OpDef {
  return {
    infer: ([a, b]) => {
      if (a.dtype !== b.dtype) throw new ShapeError(`${onnx}: dtypes differ (${a.dtype} vs ${b.dtype})`);
      return { dtype: out ?? a.dtype, shape: broadcastShapes(a.shape, b.shape, onnx) };
    },
    emit: (c) => void c.emit(onnx, [c.input(0), c.input(1)], {}, c.output),
    eval: ([a, b], node) => mapN(node.dtype, [a, b], f),
    vjp: out ? null : vjp,
  };
}

const SQRT_PI = Math.sqrt(Math.PI);

export const elementwiseOps = {
  // y = −x;  x̄ = −ȳ
  Neg: unary('Neg', (x) => -x, (gy) => g.neg(gy)),
  // y = eˣ;  x̄ = ȳ·y
  Exp: unary('Exp', Math.exp, (gy, _x, y) => g.mul(gy, y)),
  // y = ln x;  x̄ = ȳ / x
  Log: unary('Log', Math.log, (gy, x) => g.div(gy, x)),
  // y = √x;  x̄ = ȳ / (2y)
  Sqrt: unary('Sqrt', Math.sqrt, (gy, _x, y) => g.div(gy, g.mul(y, 2))),
  // y = 1/x;  x̄ = −ȳ·y²
  Reciprocal: unary('Reciprocal', (x) => 1 / x, (gy, _x, y) => g.neg(g.mul(gy, g.square(y)))),
  // y = tanh x;  x̄ = ȳ·(1 − y²)
  Tanh: unary('Tanh', Math.tanh, (gy, _x, y) => g.mul(gy, g.sub(1, g.square(y)))),
  // y = σ(x);  x̄ = ȳ·y·(1 − y)
  Sigmoid: unary('Sigmoid', (x) => 1 / (1 + Math.exp(-x)), (gy, _x, y) => g.mul(gy, g.mul(y, g.sub(1, y)))),
  // y = σ(x);  x̄ = ȳ·s·(1 − s) with s = σ(−x) (= σ(x)·(1 − σ(x))), recomputed from x in the
  // backward pass instead of kept from the forward one. For a sum of σ over every gate (the
  // expected-L0 penalty) the forward needs σ only for the sum, and Sigmoid's rule would hold a
  // σ per gated weight until the backward pass reaches the penalty, after the task's gradients
  // (BERT-base: 418 MiB held through the whole backward pass). σ(−x), not σ(x): ONNX Runtime
  // merges identical nodes (common-subexpression elimination), which would bring the forward's
  // σ(x) back and keep it.
  SigmoidRecomputed: {
    ...unary('Sigmoid', (x) => 1 / (1 + Math.exp(-x)), (gy) => gy),
    vjp: (gy, n) => {
      const s = g.sigmoid(g.neg(n.inputs[0]));
      return [g.mul(gy, g.mul(s, g.sub(1, s)))];
    },
  },
  // y = erf x;  x̄ = ȳ·(2/√π)·e^{−x²}
  Erf: unary('Erf', erf, (gy, x) => g.mul(gy, g.mul(g.exp(g.neg(g.square(x))), 2 / SQRT_PI))),
  // y = max(x, 0);  x̄ = ȳ·[x > 0]  (the indicator multiplied as 0/1: see Clip)
  Relu: unary('Relu', (x) => Math.max(x, 0), (gy, x) => g.mul(gy, g.cast(g.greater(x, 0), gy.dtype))),
  // y = x·Φ(x) (exact, erf form);  x̄ = ȳ·(Φ(x) + x·φ(x)), Φ(x) = ½(1 + erf(x/√2)), φ = Φ′
  Gelu: unary('Gelu', (x) => x * normCdf(x), (gy, x) => {
    const cdf = g.mul(g.add(g.erf(g.mul(x, Math.SQRT1_2)), 1), 0.5);
    const pdf = g.mul(g.exp(g.mul(g.square(x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
    return g.mul(gy, g.add(cdf, g.mul(x, pdf)));
  }),
  // y = |x|;  x̄ = ȳ·sign(x)  (Where, not Sign: Sign falls back to CPU under WebGPU)
  Abs: unary('Abs', Math.abs, (gy, x) => g.where(g.greater(x, 0), gy, g.neg(gy))),

  // y = a + b;  ā = ȳ, b̄ = ȳ
  Add: binary('Add', (a, b) => a + b, (gy, _n, need) => [need[0] ? gy : null, need[1] ? gy : null]),
  // y = a − b;  ā = ȳ, b̄ = −ȳ
  Sub: binary('Sub', (a, b) => a - b, (gy, _n, need) => [need[0] ? gy : null, need[1] ? g.neg(gy) : null]),
  // y = a·b;  ā = ȳ·b, b̄ = ȳ·a
  Mul: binary('Mul', (a, b) => a * b, (gy, n, need) => [
    need[0] ? g.mul(gy, n.inputs[1]) : null, need[1] ? g.mul(gy, n.inputs[0]) : null]),
  // y = a/b;  ā = ȳ/b, b̄ = −ȳ·y/b
  Div: binary('Div', (a, b) => a / b, (gy, n, need) => [
    need[0] ? g.div(gy, n.inputs[1]) : null, need[1] ? g.neg(g.div(g.mul(gy, n), n.inputs[1])) : null]),
  // y = aᵇ;  ā = ȳ·b·aᵇ⁻¹, b̄ = ȳ·y·ln a
  Pow: binary('Pow', Math.pow, (gy, n, need) => {
    const [a, b] = n.inputs;
    return [need[0] ? g.mul(gy, g.mul(b, g.pow(a, g.sub(b, 1)))) : null, need[1] ? g.mul(gy, g.mul(n, g.log(a))) : null];
  }),
  // y = min(a, b);  the smaller operand takes ȳ (ties go to a)
  Min: binary('Min', Math.min, (gy, n, need) => {
    const bWins = g.greater(n.inputs[0], n.inputs[1]);
    return [need[0] ? g.where(bWins, 0, gy) : null, need[1] ? g.where(bWins, gy, 0) : null];
  }),
  // y = max(a, b);  the larger operand takes ȳ (ties go to a)
  Max: binary('Max', Math.max, (gy, n, need) => {
    const bWins = g.less(n.inputs[0], n.inputs[1]);
    return [need[0] ? g.where(bWins, 0, gy) : null, need[1] ? g.where(bWins, gy, 0) : null];
  }),
  // Comparisons give booleans: no cotangent flows through them.
  Equal: binary('Equal', (a, b) => +(a === b), () => [], 'bool'),
  Less: binary('Less', (a, b) => +(a < b), () => [], 'bool'),
  Greater: binary('Greater', (a, b) => +(a > b), () => [], 'bool'),

  // y = c ? a : b;  ā = c ? ȳ : 0, b̄ = c ? 0 : ȳ, c gets none
  Where: {
    infer: ([c, a, b]) => {
      if (c.dtype !== 'bool') throw new ShapeError(`Where: condition must be bool, got ${c.dtype}`);
      if (a.dtype !== b.dtype) throw new ShapeError(`Where: branch dtypes differ (${a.dtype} vs ${b.dtype})`);
      return { dtype: a.dtype, shape: broadcastShapes(c.shape, broadcastShapes(a.shape, b.shape, 'Where'), 'Where') };
    },
    emit: (c) => void c.emit('Where', [c.input(0), c.input(1), c.input(2)], {}, c.output),
    eval: ([c, a, b], node) => mapN(node.dtype, [c, a, b], (cv, av, bv) => (cv ? av : bv)),
    vjp: (gy, n, need) => [null, need[1] ? g.where(n.inputs[0], gy, 0) : null, need[2] ? g.where(n.inputs[0], 0, gy) : null],
  },

  // y = clip(x, lo, hi);  x̄ = ȳ·[lo < x < hi]
  Clip: {
    infer: ([x]) => { g.requireFloat(x, 'Clip'); return { dtype: x.dtype, shape: x.shape }; },
    emit: (c) => {
      const { min, max } = c.node.attrs;
      c.emit('Clip', [c.input(0), c.scalar(min, c.node.dtype), c.scalar(max, c.node.dtype)], {}, c.output);
    },
    eval: ([x], n) => {
      const { min, max } = n.attrs;
      return mapN(x.dtype, [x], (v) => Math.min(max, Math.max(min, v)));
    },
    // x̄ = ȳ·[min < x < max], tested as [clip(x) = x]: one comparison instead of two (at
    // the bounds themselves it takes the inner one-sided derivative, a valid subgradient).
    // The indicator multiplies as 0/1: ORT's CPU Where costs ~2 ns per element, Cast and
    // Mul a fraction of that (Hard-Concrete gates clip every gated weight each step). The
    // values are Where's, except that a non-finite ȳ outside the interval gives NaN, not 0.
    vjp: (gy, n) => [g.mul(gy, g.cast(g.equal(n, n.inputs[0]), gy.dtype))],
  },

  // y = (c ⊙ w)·k for a diff's gate values c, its weights w and a scalar k (the gates' stretch,
  // times the group gate when structured: train/diff-params.ts);
  //   c̄ = (ȳ·k) ⊙ w,  w̄ = (ȳ·k) ⊙ c,  k̄ = Σ (ȳ ⊙ c) ⊙ w.
  // One op, so that the backward pass reads c, w and k alone: as two Muls, one Mul's rule keeps
  // a product (c·k or c ⊙ w) from the forward pass to the backward one, a third parameter-sized
  // tensor per gated weight beside the gate values and θ + δ (BERT-base: 330 MiB).
  GatedDiff: {
    infer: ([c, w, k]) => {
      if (c.dtype !== w.dtype || k.dtype !== c.dtype) throw new ShapeError(`GatedDiff: dtypes differ (${c.dtype}, ${w.dtype}, ${k.dtype})`);
      if (k.shape.some((d) => d !== 1)) throw new ShapeError(`GatedDiff: k must be a scalar, got shape [${k.shape}]`);
      return { dtype: c.dtype, shape: broadcastShapes(c.shape, w.shape, 'GatedDiff') };
    },
    emit: (c) => void c.emit('Mul', [c.emit('Mul', [c.input(0), c.input(1)]), c.input(2)], {}, c.output),
    eval: ([c, w, k], n) => mapN(n.dtype, [c, w, k], (cv, wv, kv) => cv * wv * kv),
    vjp: (gy, n, need) => {
      const [c, w, k] = n.inputs;
      const scaled = need[0] || need[1] ? g.mul(gy, k) : gy;
      return [need[0] ? g.mul(scaled, w) : null, need[1] ? g.mul(scaled, c) : null, need[2] ? g.mul(g.mul(gy, c), w) : null];
    },
  },

  // y = clip(σ(x) + shift, min, max);  x̄ = ȳ·[min < y < max]·s·(1 − s) with s = y − shift.
  // The Hard-Concrete gate's unstretched value (train/hard-concrete.ts), one per gated weight:
  // as Sigmoid, Add and Clip, the backward pass would keep σ(x) and σ(x) + shift from the
  // forward pass as well as y, two parameter-sized tensors per gated weight (BERT-base: 836
  // MiB). Here σ(x) is read back from y: inside (min, max), y − shift is σ(x) exactly (the
  // forward's subtraction and this addition are exact by Sterbenz's lemma under the bounds
  // infer checks), so x̄ is the three ops' chain rule bit for bit; at the bounds themselves it
  // takes the outer one-sided derivative, 0 (Clip's takes the inner one; both are subgradients).
  ClippedSigmoid: {
    infer: ([x], { shift, min, max }) => {
      g.requireFloat(x, 'ClippedSigmoid');
      if (!(shift <= 0 && 2 * min >= shift && min < max && max <= -shift)) throw new ShapeError(`ClippedSigmoid: σ(x) is read back exactly only for shift ≤ 0 and shift/2 ≤ min < max ≤ −shift, got shift ${shift}, [${min}, ${max}]`);
      return { dtype: x.dtype, shape: x.shape };
    },
    emit: (c) => {
      const { shift, min, max } = c.node.attrs, t = c.node.dtype;
      const shifted = c.emit('Add', [c.emit('Sigmoid', [c.input(0)]), c.scalar(shift, t)]);
      c.emit('Clip', [shifted, c.scalar(min, t), c.scalar(max, t)], {}, c.output);
    },
    eval: ([x], n) => {
      const { shift, min, max } = n.attrs;
      return mapN(x.dtype, [x], (v) => Math.min(max, Math.max(min, 1 / (1 + Math.exp(-v)) + shift)));
    },
    vjp: (gy, n) => {
      const { shift, min, max } = n.attrs;
      const inside = g.mul(g.cast(g.greater(n, min), gy.dtype), g.cast(g.less(n, max), gy.dtype));
      const s = g.sub(n, shift);
      return [g.mul(g.mul(gy, inside), g.mul(s, g.sub(1, s)))];
    },
  },

  // y = cast(x);  between float types x̄ = cast(ȳ) back; an integer output carries no cotangent.
  // A float16 value is held in float64, rounded to binary16.
  Cast: {
    infer: ([x], a) => ({ dtype: a.to, shape: x.shape }),
    emit: (c) => void c.emit('Cast', [c.input(0)], { to: attr.int(ONNX_DATA_TYPE[c.node.dtype]) }, c.output),
    eval: ([x], n) => {
      const out = alloc(n.dtype, x.shape);
      const toInt = n.dtype === 'int32', toBool = n.dtype === 'bool', toHalf16 = n.dtype === 'float16';
      for (let i = 0; i < x.data.length; i++) {
        const v = x.data[i];
        out.data[i] = toBool ? +(v !== 0) : toInt ? Math.trunc(v) : toHalf16 ? fromHalf(toHalf(v)) : v;
      }
      return out;
    },
    vjp: (gy, n) => [isFloat(n.inputs[0].dtype) ? g.cast(gy, n.inputs[0].dtype) : null],
  },
} satisfies Partial<OpTable>;
