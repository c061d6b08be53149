/** Reductions, softmax family, layer normalisation, top-k and cumulative sums. */
import { ONNX_DATA_TYPE } from '../../onnx/data-type.js';
import * as g from '../api.js';
import { attr, type OpAttrs, type OpDef, type OpNode, type OpTable } from '../op.js';
import { alloc, reduceAxes, stridesOf } from '../nd.js';
import { ShapeError } from '../shape.js';
import type { NDArray, Shape, Tensor } from '../tensor.js';

type ReduceAttrs = OpAttrs['ReduceSum'];
type Reduction = OpNode<ReduceAttrs>;
const reducedShape = (s: Shape, { axes, keepdims }: ReduceAttrs): Shape =>
  keepdims ? s.map((d, i) => (axes.includes(i) ? 1 : d)) : s.filter((_, i) => !axes.includes(i));
/** The cotangent of a reduction, broadcast back over the input's shape. */
const spread = (gy: Tensor, n: Reduction) => {
  const { axes, keepdims } = n.attrs;
  return g.expand(keepdims ? gy : g.unsqueeze(gy, axes), n.inputs[0].shape);
};
const keptY = (n: Reduction) => {
  const { axes, keepdims } = n.attrs;
  return keepdims ? n : g.unsqueeze(n, axes);
};

function reduction(onnx: string, init: number, step: (a: number, v: number) => number,
  finish: ((a: number, n: number) => number) | undefined, vjp: (gy: Tensor, n: Reduction) => Tensor): OpDef<ReduceAttrs> {
  return {
    infer: ([x], a) => {
      g.requireFloat(x, onnx);
      if (onnx === 'ReduceMean' && a.axes.some((ax) => typeof x.shape[ax] !== 'number'))
        throw new ShapeError('ReduceMean: reduced axes must have fixed sizes (use ReduceSum and a count for symbolic axes)');
      return { dtype: x.dtype, shape: reducedShape(x.shape, a) };
    },
    emit: (c) => {
      const { axes, keepdims } = c.node.attrs;
      c.emit(onnx, [c.input(0), c.int64s(axes)], { keepdims: attr.int(+keepdims) }, c.output);
    },
    eval: ([x], n) => {
      const { axes, keepdims } = n.attrs;
      return reduceAxes(x, axes, keepdims, init, step, finish);
    },
    vjp: (gy, n) => [vjp(gy, n)],
  };
}

/** Applies f to each lane (1-D slice along `axis`) of x, writing the lane of the result. */
function lanes(x: NDArray, axis: number, outLen: number, f: (get: (i: number) => number, set: (i: number, v: number) => void) => void, dtype = x.dtype): NDArray {
  const shape = x.shape.map((d, i) => (i === axis ? outLen : d));
  const out = alloc(dtype, shape);
  const xs = stridesOf(x.shape)[axis], os = stridesOf(shape)[axis];
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const xb = o * x.shape[axis] * inner + i, ob = o * outLen * inner + i;
      f((k) => x.data[xb + k * xs], (k, v) => { out.data[ob + k * os] = v; });
    }
  return out;
}

function logSumExpLane(get: (i: number) => number, n: number): number {
  let m = -Infinity;
  for (let i = 0; i < n; i++) m = Math.max(m, get(i));
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.exp(get(i) - m);
  return m + Math.log(s);
}

/** Sorted top-k positions of a lane, largest first (ties: lower index first, as ONNX). */
function topkLane(get: (i: number) => number, n: number, k: number): number[] {
  return [...Array(n).keys()].sort((a, b) => get(b) - get(a) || a - b).slice(0, k);
}

export const reduceOps = {
  // y = Σ_axes x;  x̄ = ȳ broadcast back
  ReduceSum: reduction('ReduceSum', 0, (a, v) => a + v, undefined, spread),
  // y = Σ_axes x²;  x̄ = 2x·ȳ broadcast back
  ReduceSumSquare: reduction('ReduceSumSquare', 0, (a, v) => a + v * v, undefined, (gy, n) => g.mul(spread(gy, n), g.mul(n.inputs[0], 2))),
  // y = (1/n)·Σ_axes x;  x̄ = ȳ/n broadcast back
  ReduceMean: reduction('ReduceMean', 0, (a, v) => a + v, (a, n) => a / n, (gy, n) => {
    const count = n.attrs.axes.reduce((p, ax) => p * (n.inputs[0].shape[ax] as number), 1);
    return g.div(spread(gy, n), count);
  }),
  // y = max_axes x;  x̄ = ȳ split evenly among the positions that attain the max, so tied
  // maxima moved together get ȳ in all (the whole ȳ to each would count it once per tie)
  ReduceMax: reduction('ReduceMax', -Infinity, Math.max, undefined, (gy, n) => {
    const x = n.inputs[0];
    const atMax = g.cast(g.equal(x, g.expand(keptY(n), x.shape)), x.dtype);
    return g.div(g.mul(atMax, spread(gy, n)), g.reduceSum(atMax, n.attrs.axes, true));
  }),

  // y = eˣ/Σeˣ along axis;  x̄ = y ⊙ (ȳ − Σ ȳ⊙y)
  Softmax: {
    infer: ([x]) => { g.requireFloat(x, 'Softmax'); return { dtype: x.dtype, shape: x.shape }; },
    emit: (c) => void c.emit('Softmax', [c.input(0)], { axis: attr.int(c.node.attrs.axis) }, c.output),
    eval: ([x], n) => {
      const ax = n.attrs.axis, len = x.shape[ax];
      return lanes(x, ax, len, (get, set) => { const l = logSumExpLane(get, len); for (let i = 0; i < len; i++) set(i, Math.exp(get(i) - l)); });
    },
    vjp: (gy, n) => [g.mul(n, g.sub(gy, g.reduceSum(g.mul(gy, n), n.attrs.axis, true)))],
  },

  // y = x − log Σeˣ, written out by hand (ONNX LogSoftmax falls back to CPU under WebGPU):
  // m = max x; s = x − m; y = s − log Σ eˢ.   x̄ = ȳ − eʸ·Σȳ
  LogSoftmax: {
    infer: ([x]) => { g.requireFloat(x, 'LogSoftmax'); return { dtype: x.dtype, shape: x.shape }; },
    emit: (c) => {
      const axes = c.int64s([c.node.attrs.axis]);
      const keep = { keepdims: attr.int(1) };
      const s = c.emit('Sub', [c.input(0), c.emit('ReduceMax', [c.input(0), axes], keep)]);
      const lse = c.emit('Log', [c.emit('ReduceSum', [c.emit('Exp', [s]), axes], keep)]);
      c.emit('Sub', [s, lse], {}, c.output);
    },
    eval: ([x], n) => {
      const ax = n.attrs.axis, len = x.shape[ax];
      return lanes(x, ax, len, (get, set) => { const l = logSumExpLane(get, len); for (let i = 0; i < len; i++) set(i, get(i) - l); });
    },
    vjp: (gy, n) => [g.sub(gy, g.mul(g.exp(n), g.reduceSum(gy, n.attrs.axis, true)))],
  },

  // y = γ⊙x̂ + β over the last axis, x̂ = (x − μ)·r, r = 1/√(var + ε).
  // γ̄ = Σ ȳ⊙x̂, β̄ = Σ ȳ (the batch sums happen in sumToShape); with ĝ = ȳ⊙γ:
  // x̄ = r·(ĝ − mean ĝ − x̂·mean(ĝ⊙x̂)).  μ and r are recomputed (cheap next to the MatMuls).
  LayerNorm: {
    infer: ([x, gamma, beta]) => {
      g.requireFloat(x, 'LayerNorm');
      const h = x.shape[x.rank - 1];
      if (gamma.rank !== 1 || beta.rank !== 1 || gamma.shape[0] !== h || beta.shape[0] !== h)
        throw new ShapeError(`LayerNorm: gamma and beta must be [${h}]`);
      return { dtype: x.dtype, shape: x.shape };
    },
    emit: (c) => void c.emit('LayerNormalization', [c.input(0), c.input(1), c.input(2)],
      { axis: attr.int(-1), epsilon: attr.float(c.node.attrs.eps) }, c.output),
    eval: ([x, gamma, beta], n) => {
      const ax = x.shape.length - 1, h = x.shape[ax], eps = n.attrs.eps;
      return lanes(x, ax, h, (get, set) => {
        let mu = 0; for (let i = 0; i < h; i++) mu += get(i); mu /= h;
        let v = 0; for (let i = 0; i < h; i++) v += (get(i) - mu) ** 2; v /= h;
        const r = 1 / Math.sqrt(v + eps);
        for (let i = 0; i < h; i++) set(i, (get(i) - mu) * r * gamma.data[i] + beta.data[i]);
      });
    },
    vjp: (gy, n, need) => {
      const [x, gamma] = n.inputs;
      const eps = n.attrs.eps;
      const xc = g.sub(x, g.reduceMean(x, -1, true));
      const r = g.reciprocal(g.sqrt(g.add(g.reduceMean(g.square(xc), -1, true), eps)));
      const xhat = g.mul(xc, r);
      const gh = g.mul(gy, gamma);
      const dx = need[0] ? g.mul(r, g.sub(g.sub(gh, g.reduceMean(gh, -1, true)), g.mul(xhat, g.reduceMean(g.mul(gh, xhat), -1, true)))) : null;
      return [dx, need[1] ? g.mul(gy, xhat) : null, need[2] ? gy : null];
    },
  },

  // y = the k largest of x along the last axis, sorted;  x̄ = ȳ scattered back to their positions
  TopK: {
    infer: ([x], a) => topkShape(x, a.k),
    emit: (c) => void c.emit('TopK', [c.input(0), c.int64s([c.node.attrs.k])], { axis: attr.int(-1), largest: attr.int(1), sorted: attr.int(1) }, [c.output, c.fresh()]),
    eval: ([x], n) => {
      const ax = x.shape.length - 1, k = n.attrs.k;
      return lanes(x, ax, k, (get, set) => topkLane(get, x.shape[ax], k).forEach((p, i) => set(i, get(p))));
    },
    vjp: (gy, n) => {
      const x = n.inputs[0];
      return [g.scatterAddElements(g.topkIndices(x, n.attrs.k), gy, -1, x.shape)];
    },
  },
  // The positions of TopK (int32): no cotangent.
  TopKIndices: {
    infer: ([x], a) => ({ ...topkShape(x, a.k), dtype: 'int32' }),
    emit: (c) => {
      const idx64 = c.fresh();
      c.emit('TopK', [c.input(0), c.int64s([c.node.attrs.k])], { axis: attr.int(-1), largest: attr.int(1), sorted: attr.int(1) }, [c.fresh(), idx64]);
      c.emit('Cast', [idx64], { to: attr.int(ONNX_DATA_TYPE.int32) }, c.output);
    },
    eval: ([x], n) => {
      const ax = x.shape.length - 1, k = n.attrs.k;
      return lanes(x, ax, k, (get, set) => topkLane(get, x.shape[ax], k).forEach((p, i) => set(i, p)), 'int32');
    },
    vjp: null,
  },

  // y_i = Σ_{j≤i} x_j along axis (reverse: Σ_{j≥i});  x̄ = the opposite-direction cumsum of ȳ
  CumSum: {
    infer: ([x]) => { g.requireFloat(x, 'CumSum'); return { dtype: x.dtype, shape: x.shape }; },
    emit: (c) => void c.emit('CumSum', [c.input(0), c.int64(c.node.attrs.axis)],
      { reverse: attr.int(+(c.node.attrs.reverse)) }, c.output),
    eval: ([x], n) => {
      const ax = n.attrs.axis, len = x.shape[ax], rev = n.attrs.reverse;
      return lanes(x, ax, len, (get, set) => {
        let s = 0;
        for (let t = 0; t < len; t++) { const i = rev ? len - 1 - t : t; s += get(i); set(i, s); }
      });
    },
    vjp: (gy, n) => [g.cumsum(gy, n.attrs.axis, !(n.attrs.reverse))],
  },
} satisfies Partial<OpTable>;

function topkShape(x: Tensor, k: number) {
  g.requireFloat(x, 'TopK');
  const last = x.shape[x.rank - 1];
  if (typeof last === 'number' && k > last) throw new ShapeError(`TopK: k=${k} exceeds axis size ${last}`);
  return { dtype: x.dtype, shape: [...x.shape.slice(0, -1), k] };
}
